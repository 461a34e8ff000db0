//! Attachment bytes on the local disk, under the data directory (never under a served path).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use async_trait::async_trait;

use crate::ports::{AttachmentStore, SignedUpload};

pub struct LocalAttachmentStore {
    dir: PathBuf,
}

impl LocalAttachmentStore {
    pub fn new(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating attachment directory {}", dir.display()))?;
        Ok(Self { dir })
    }

    /// Keys are server-generated; refusing anything else keeps a bug from becoming path traversal.
    fn path_of(&self, key: &str) -> anyhow::Result<PathBuf> {
        ensure!(
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "invalid attachment key {key:?}"
        );
        Ok(self.dir.join(key))
    }
}

#[async_trait]
impl AttachmentStore for LocalAttachmentStore {
    async fn put(&self, key: &str, _content_type: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let path = self.path_of(key)?;
        // Write then rename, so a crash never leaves a half-written file under the real key.
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, bytes).await.with_context(|| format!("writing {}", partial.display()))?;
        tokio::fs::rename(&partial, &path).await.with_context(|| format!("renaming into {}", path.display()))
    }

    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path_of(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).context("reading attachment"),
        }
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match tokio::fs::remove_file(self.path_of(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).context("deleting attachment"),
            _ => Ok(()),
        }
    }

    /// Locally the API takes files inside the form, so there is no separate upload area.
    fn takes_direct_uploads(&self) -> bool {
        false
    }

    async fn sign_upload(&self, _: &str, _: u64, _: Duration) -> anyhow::Result<SignedUpload> {
        bail!("the local attachment store takes files inside the form, not by upload ticket")
    }

    async fn take_upload(&self, _: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_reads_and_deletes_and_refuses_path_like_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalAttachmentStore::new(dir.path().join("attachments")).unwrap();
        store.put("abc-123", "text/plain", b"log line".to_vec()).await.unwrap();
        assert_eq!(store.get("abc-123").await.unwrap().as_deref(), Some(&b"log line"[..]));
        store.delete("abc-123").await.unwrap();
        assert_eq!(store.get("abc-123").await.unwrap(), None);
        assert!(store.put("../escape", "text/plain", vec![1]).await.is_err());
        assert!(store.get("a/b").await.is_err());
    }
}
