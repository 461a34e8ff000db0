//! Mail: sending it, the local outbox read back, what the mail service says about messages sent,
//! and the mailbox where messages to the security address arrive.

use async_trait::async_trait;
use shared::api::{OutboxEntry, Page};
use shared::notices::MailEvent;

use super::error::StoreResult;
use super::paging::PageRequest;

/// Where the receiving mail service leaves the messages sent to the security address (S3, by
/// SES's receipt rule), each under the id the service gave it.
#[async_trait]
pub trait InboundMailbox: Send + Sync {
    /// The raw message and where it is kept (for the record), or `None` if it is not there.
    async fn fetch(&self, message_id: &str) -> anyhow::Result<Option<(Vec<u8>, String)>>;
}

/// One email with both parts; `tags` travel as SES message tags on AWS and as headers in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub tags: Vec<(String, String)>,
}

/// Whether a mailer sent the email carrying a given delivery tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentLookup {
    Sent {
        message_id: String,
    },
    NotSent,
    /// The mailer cannot tell (SES): its Send event will say.
    Unknown,
}

/// The tag that names a notice delivery (`<list>.<seq>`) on its email.
pub const DELIVERY_TAG: &str = "delivery";

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends the email and returns the provider's message id.
    async fn send(&self, email: &Email) -> anyhow::Result<String>;
    /// Whether an email tagged [`DELIVERY_TAG`] = `delivery` was sent: how an interrupted
    /// campaign settles a delivery it claimed without sending twice.
    async fn sent_with_tag(&self, delivery: &str) -> anyhow::Result<SentLookup>;
}

/// The local outbox read back: what the dashboard's outbox page lists and downloads.
#[async_trait]
pub trait OutboxReader: Send + Sync {
    async fn list(&self, page: PageRequest) -> StoreResult<Page<OutboxEntry>>;
    /// One message's entry and its RFC 5322 bytes.
    async fn message(&self, id: &str) -> StoreResult<Option<(OutboxEntry, Vec<u8>)>>;
}

/// One event from the mail service about a message Tocsin sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailEventReport {
    /// The message's [`DELIVERY_TAG`] value.
    pub delivery: String,
    pub message_id: String,
    pub event: MailEvent,
}
