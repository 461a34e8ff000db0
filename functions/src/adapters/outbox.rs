//! The local mailer: each email becomes an RFC 5322 `.eml` file (text and HTML parts) in the
//! outbox directory, and a line in `index.jsonl` that the dashboard lists.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};
use shared::api::{OutboxEntry, Page};
use uuid::Uuid;

use super::mime::build_message;
use super::serial::SerialThread;
use crate::ports::{Clock, DELIVERY_TAG, Email, Mailer, PageRequest, SentLookup, StoreError};

const INDEX_FILE: &str = "index.jsonl";

pub struct OutboxMailer {
    dir: PathBuf,
    sender: Mailbox,
    clock: Arc<dyn Clock>,
    /// Every write and index read runs in turn on this thread (which holds the directory), so
    /// concurrent sends never interleave lines and a read never sees half a line.
    files: SerialThread<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct IndexLine {
    #[serde(flatten)]
    entry: OutboxEntry,
    tags: Vec<(String, String)>,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf, sender: &str, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating outbox {}", dir.display()))?;
        let sender = sender.parse().with_context(|| format!("the email sender {sender:?} is not a valid mailbox"))?;
        let files = SerialThread::start("outbox", dir.clone()).context("starting the outbox thread")?;
        Ok(Self { dir, sender, clock, files })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Emails newest first; the cursor is how many were already served.
    pub async fn list(&self, page: PageRequest) -> Result<Page<OutboxEntry>, StoreError> {
        let skip = match page.cursor.as_deref() {
            None => 0,
            Some(c) => c.parse::<usize>().map_err(|_| StoreError::InvalidCursor)?,
        };
        let mut entries = self.read_index().await?;
        entries.reverse();
        let total = entries.len();
        let items: Vec<_> = entries.into_iter().skip(skip).take(page.limit as usize).collect();
        let served = skip + items.len();
        Ok(Page { items, next_cursor: (served < total).then(|| served.to_string()) })
    }

    /// The `.eml` bytes of one email, by id.
    pub async fn message(&self, id: &str) -> Result<Option<(OutboxEntry, Vec<u8>)>, StoreError> {
        let Some(entry) = self.read_index().await?.into_iter().find(|e| e.id == id) else { return Ok(None) };
        let bytes = tokio::fs::read(self.dir.join(&entry.file)).await.context("reading outbox message")?;
        Ok(Some((entry, bytes)))
    }

    async fn read_index(&self) -> anyhow::Result<Vec<OutboxEntry>> {
        Ok(self.read_lines().await?.into_iter().map(|line| line.entry).collect())
    }

    /// On the outbox thread, so a line being appended is never read half-written.
    async fn read_lines(&self) -> anyhow::Result<Vec<IndexLine>> {
        self.files.run(|dir| read_index_lines(dir)).await?
    }
}

fn read_index_lines(dir: &Path) -> anyhow::Result<Vec<IndexLine>> {
    let text = match std::fs::read_to_string(dir.join(INDEX_FILE)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).context("reading the outbox index"),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<IndexLine>(l).context("parsing the outbox index"))
        .collect()
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> anyhow::Result<String> {
        let id = Uuid::now_v7().to_string();
        let written_at = self.clock.now();
        let message = build_message(&self.sender, email, &format!("{id}@outbox.tocsin"), written_at)?;
        let file = format!("{}-{id}.eml", written_at.format("%Y%m%dT%H%M%S"));
        let line = IndexLine {
            entry: OutboxEntry {
                id: id.clone(),
                to: email.to.clone(),
                subject: email.subject.clone(),
                written_at,
                file: file.clone(),
            },
            tags: email.tags.clone(),
        };
        let mut json = serde_json::to_string(&line)?;
        json.push('\n');
        let formatted = message.formatted();
        // The message needs no write-then-rename: nothing reads it before its index line exists.
        self.files
            .run(move |dir| -> anyhow::Result<()> {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(dir.join(&file))
                    .and_then(|mut eml| eml.write_all(&formatted))
                    .context("writing outbox message")?;
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join(INDEX_FILE))
                    .and_then(|mut index| index.write_all(json.as_bytes()))
                    .context("appending to the outbox index")
            })
            .await??;
        Ok(id)
    }

    /// The index line is the outbox's record of a sent email: without it, the message was not sent.
    async fn sent_with_tag(&self, delivery: &str) -> anyhow::Result<SentLookup> {
        let lines = self.read_lines().await?;
        let found = lines.into_iter().find(|line| line.tags.iter().any(|(n, v)| n == DELIVERY_TAG && v == delivery));
        Ok(found.map_or(SentLookup::NotSent, |line| SentLookup::Sent { message_id: line.entry.id }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::SystemClock;

    #[tokio::test]
    async fn writes_a_two_part_eml_and_lists_it_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = OutboxMailer::new(
            dir.path().to_path_buf(),
            "Tocsin <security@example.com>",
            std::sync::Arc::new(SystemClock),
        )
        .unwrap();
        for n in 1..=3 {
            let email = Email {
                to: vec!["ada@example.com".into()],
                subject: format!("Receipt {n}"),
                text: "plain part".into(),
                html: "<p>html part</p>".into(),
                tags: vec![("kind".into(), "receipt".into())],
            };
            outbox.send(&email).await.unwrap();
        }
        let first = outbox.list(PageRequest { cursor: None, limit: 2 }).await.unwrap();
        assert_eq!(first.items.iter().map(|e| e.subject.as_str()).collect::<Vec<_>>(), ["Receipt 3", "Receipt 2"]);
        let second = outbox.list(PageRequest { cursor: first.next_cursor, limit: 2 }).await.unwrap();
        assert_eq!(second.items[0].subject, "Receipt 1");
        assert_eq!(second.next_cursor, None);

        let (_, eml) = outbox.message(&second.items[0].id).await.unwrap().unwrap();
        let eml = String::from_utf8(eml).unwrap();
        assert!(eml.contains("To: ada@example.com"));
        assert!(eml.contains("Content-Type: multipart/alternative"));
        assert!(eml.contains("Content-Type: text/plain") && eml.contains("Content-Type: text/html"));
    }
}
