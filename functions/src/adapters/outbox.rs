//! The local mailer: every email is appended to one mailbox file, `outbox.mbox` (mboxrd, which any
//! mail client opens), and gets a line in `index.jsonl` that the dashboard lists and that says
//! where in the mailbox its RFC 5322 message (text and HTML parts) lies.
//!
//! One file for all, not an `.eml` file each: creating a file cost up to 20 ms on these machines'
//! ext4 (no journal: allocating an inode walks every one deleted in the last minutes), and every
//! receipt waited for it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};
use shared::api::{OutboxEntry, Page};
use uuid::Uuid;

use super::mime::build_message;
use super::serial::SerialThread;
use crate::ports::{
    Clock, DELIVERY_TAG, Email, Mailer, OutboxReader, PageRequest, SentLookup, StoreError, StoreResult,
};

const MAILBOX_FILE: &str = "outbox.mbox";
const INDEX_FILE: &str = "index.jsonl";

/// How long after an append the files are written to disk. At most this much sent email waits in
/// memory, and the kernel never gathers a burst of it: left to itself, it wrote out 30 seconds of
/// receipts at once, every fsync on the machine (the SQLite commits among them) queued behind.
const FLUSH_PAUSE: Duration = Duration::from_millis(500);

pub struct OutboxMailer {
    dir: PathBuf,
    sender: Mailbox,
    clock: Arc<dyn Clock>,
    /// Every write and read runs in turn on this thread (which holds the files), so concurrent
    /// sends never interleave and a read never sees half a message or half a line.
    files: SerialThread<OutboxFiles>,
}

struct OutboxFiles {
    dir: PathBuf,
    mailbox: File,
    index: File,
    /// Tells the flusher thread there is something to write.
    appended: mpsc::SyncSender<()>,
}

#[derive(Serialize, Deserialize)]
struct IndexLine {
    #[serde(flatten)]
    entry: OutboxEntry,
    tags: Vec<(String, String)>,
    /// Where the message lies in the mailbox, as quoted there (mboxrd).
    offset: u64,
    length: u64,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf, sender: &str, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating outbox {}", dir.display()))?;
        let sender = sender.parse().with_context(|| format!("the email sender {sender:?} is not a valid mailbox"))?;
        let append = |name: &str| {
            File::options()
                .create(true)
                .append(true)
                .open(dir.join(name))
                .with_context(|| format!("opening outbox {name}"))
        };
        let (mailbox, index) = (append(MAILBOX_FILE)?, append(INDEX_FILE)?);
        let (appended, appends) = mpsc::sync_channel(1);
        let flushed = [mailbox.try_clone()?, index.try_clone()?];
        std::thread::Builder::new()
            .name("outbox-flusher".into())
            .spawn(move || flush_after_appends(&flushed, &appends))
            .context("starting the outbox flusher thread")?;
        let files = OutboxFiles { dir: dir.clone(), mailbox, index, appended };
        let files = SerialThread::start("outbox", files).context("starting the outbox thread")?;
        Ok(Self { dir, sender, clock, files })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn read_lines(&self) -> anyhow::Result<Vec<IndexLine>> {
        self.files.run(|files| read_index_lines(&files.dir)).await?
    }
}

/// Every email in the outbox at `dir`, oldest first, with its message: for tools and tests that
/// read a data directory whose server may still be writing to it.
pub fn read_outbox(dir: &Path) -> anyhow::Result<Vec<(OutboxEntry, Vec<u8>)>> {
    read_index_lines(dir)?
        .into_iter()
        .map(|line| {
            let message = read_message(dir, &line)?;
            Ok((line.entry, message))
        })
        .collect()
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

fn read_message(dir: &Path, line: &IndexLine) -> anyhow::Result<Vec<u8>> {
    let mut quoted = vec![0; usize::try_from(line.length)?];
    let mut mailbox = File::open(dir.join(MAILBOX_FILE)).context("opening the outbox mailbox")?;
    mailbox.seek(SeekFrom::Start(line.offset))?;
    mailbox.read_exact(&mut quoted).context("reading a message from the outbox mailbox")?;
    Ok(mboxrd::unquote(&quoted))
}

impl OutboxFiles {
    /// Appends the message and then its index line. A failed append is cut off again, so the
    /// mailbox never holds half a message.
    fn append(
        &mut self,
        from_line: &str,
        message: &[u8],
        line: impl FnOnce(u64, u64) -> IndexLine,
    ) -> anyhow::Result<()> {
        let start = self.mailbox.metadata().context("reading the outbox mailbox's size")?.len();
        let quoted = mboxrd::quote(message);
        let mut entry = Vec::with_capacity(from_line.len() + quoted.len() + 2);
        entry.extend_from_slice(from_line.as_bytes());
        entry.extend_from_slice(&quoted);
        // The blank line that ends a message in a mailbox, after the message's own last line ends.
        if !quoted.ends_with(b"\n") {
            entry.push(b'\n');
        }
        entry.push(b'\n');
        if let Err(error) = self.mailbox.write_all(&entry) {
            let _ = self.mailbox.set_len(start);
            return Err(error).context("appending to the outbox mailbox");
        }
        let offset = start + from_line.len() as u64;
        let mut json = serde_json::to_vec(&line(offset, quoted.len() as u64))?;
        json.push(b'\n');
        self.index.write_all(&json).context("appending to the outbox index")?;
        // Full means a flush is already due.
        let _ = self.appended.try_send(());
        Ok(())
    }
}

/// Ends once the outbox's files are dropped.
fn flush_after_appends(files: &[File], appends: &mpsc::Receiver<()>) {
    while appends.recv().is_ok() {
        std::thread::sleep(FLUSH_PAUSE);
        for file in files {
            if let Err(error) = file.sync_data() {
                tracing::warn!(%error, "writing the outbox to disk failed");
            }
        }
    }
}

/// mboxrd: a message line that begins `From ` (after any `>`s) gains a `>`, so that it cannot be
/// read as the start of the next message; reading takes one off again.
mod mboxrd {
    fn is_quotable(line: &[u8]) -> bool {
        line.iter().position(|&b| b != b'>').is_some_and(|at| line[at..].starts_with(b"From "))
    }

    pub(super) fn quote(message: &[u8]) -> Vec<u8> {
        let mut quoted = Vec::with_capacity(message.len() + 2);
        for line in message.split_inclusive(|&b| b == b'\n') {
            if is_quotable(line) {
                quoted.push(b'>');
            }
            quoted.extend_from_slice(line);
        }
        quoted
    }

    pub(super) fn unquote(quoted: &[u8]) -> Vec<u8> {
        let mut message = Vec::with_capacity(quoted.len());
        for line in quoted.split_inclusive(|&b| b == b'\n') {
            let quoted_from = line.starts_with(b">") && is_quotable(line);
            message.extend_from_slice(if quoted_from { &line[1..] } else { line });
        }
        message
    }
}

#[async_trait]
impl OutboxReader for OutboxMailer {
    /// Emails newest first; the cursor is how many were already served.
    async fn list(&self, page: PageRequest) -> StoreResult<Page<OutboxEntry>> {
        let skip = match page.cursor.as_deref() {
            None => 0,
            Some(c) => c.parse::<usize>().map_err(|_| StoreError::InvalidCursor)?,
        };
        let mut entries: Vec<_> = self.read_lines().await?.into_iter().map(|line| line.entry).collect();
        entries.reverse();
        let total = entries.len();
        let items: Vec<_> = entries.into_iter().skip(skip).take(page.limit as usize).collect();
        let served = skip + items.len();
        Ok(Page { items, next_cursor: (served < total).then(|| served.to_string()) })
    }

    /// One email's entry and its message (`.eml` bytes), by id.
    async fn message(&self, id: &str) -> StoreResult<Option<(OutboxEntry, Vec<u8>)>> {
        let id = id.to_owned();
        let found = self
            .files
            .run(move |files| -> anyhow::Result<_> {
                let Some(line) = read_index_lines(&files.dir)?.into_iter().find(|line| line.entry.id == id) else {
                    return Ok(None);
                };
                let message = read_message(&files.dir, &line)?;
                Ok(Some((line.entry, message)))
            })
            .await??;
        Ok(found)
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> anyhow::Result<String> {
        let id = Uuid::now_v7().to_string();
        let written_at = self.clock.now();
        let message = build_message(&self.sender, email, &format!("{id}@outbox.tocsin"), written_at)?;
        // The separator line of mbox: the envelope sender and the time, as asctime writes it.
        let from_line = format!("From {} {}\n", self.sender.email, written_at.format("%a %b %e %H:%M:%S %Y"));
        let entry = OutboxEntry {
            id: id.clone(),
            to: email.to.clone(),
            subject: email.subject.clone(),
            written_at,
            file: format!("{}-{id}.eml", written_at.format("%Y%m%dT%H%M%S")),
        };
        let tags = email.tags.clone();
        let formatted = message.formatted();
        self.files
            .run(move |files| {
                files.append(&from_line, &formatted, |offset, length| IndexLine { entry, tags, offset, length })
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
    async fn appends_two_part_messages_to_the_mailbox_and_lists_them_newest_first() {
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
                text: format!("plain part\nFrom {n} to the end of the line"),
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
        assert!(eml.contains("\r\nTo: ada@example.com\r\n"), "{eml}");
        assert!(eml.contains("Content-Type: multipart/alternative"));
        assert!(eml.contains("Content-Type: text/plain") && eml.contains("Content-Type: text/html"));
        assert!(eml.contains("\nFrom 1 to the end"), "the body line comes back as it was sent");

        let mailbox = std::fs::read_to_string(dir.path().join(MAILBOX_FILE)).unwrap();
        let separators: Vec<_> = mailbox.lines().filter(|l| l.starts_with("From ")).collect();
        assert_eq!(separators.len(), 3, "one separator per message, the body's From line quoted: {mailbox}");
        assert!(separators.iter().all(|l| l.starts_with("From security@example.com ")));
        assert_eq!(mailbox.matches("\n>From ").count(), 3);
        let read: Vec<_> = read_outbox(dir.path()).unwrap().into_iter().map(|(entry, _)| entry.subject).collect();
        assert_eq!(read, ["Receipt 1", "Receipt 2", "Receipt 3"]);
    }

    #[test]
    fn mboxrd_quoting_round_trips_every_from_line() {
        let message = b"Subject: x\r\n\r\nFrom here\r\n>From there\r\n>>From afar\r\n From not\r\nFromage\r\n";
        let quoted = mboxrd::quote(message);
        assert_eq!(
            String::from_utf8_lossy(&quoted),
            "Subject: x\r\n\r\n>From here\r\n>>From there\r\n>>>From afar\r\n From not\r\nFromage\r\n"
        );
        assert_eq!(mboxrd::unquote(&quoted), message);
        assert_eq!(mboxrd::unquote(&mboxrd::quote(b"From the last line")), b"From the last line");
    }
}
