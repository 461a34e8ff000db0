//! Attachment bytes: where files sent with reports are kept.

use std::time::Duration;

use async_trait::async_trait;

/// A pre-signed request that uploads one file straight to storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUpload {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// Attachment bytes. Keys and upload ids come from the server.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> anyhow::Result<()>;
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
    /// Whether browsers upload straight to this store (then files come by ticket, not in the form).
    fn takes_direct_uploads(&self) -> bool;
    /// Signs an upload of exactly `size_bytes` into the upload area under `upload_id`.
    async fn sign_upload(&self, upload_id: &str, size_bytes: u64, expires_in: Duration)
    -> anyhow::Result<SignedUpload>;
    /// The bytes of a finished upload, removed from the upload area; `None` if there is none.
    async fn take_upload(&self, upload_id: &str) -> anyhow::Result<Option<Vec<u8>>>;
}
