//! Customer notice campaigns: each recipient's delivery, and the addresses never to mail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::notices::{DeliveryCounts, DeliveryKind, DeliveryState, MailEvent, MailOutcome, Recipient};
use shared::reference::Reference;

use super::error::StoreResult;

/// A customer notice being sent: its recipient list's deliveries, for as long as one is unsettled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// The recipient list's id (`RecipientList::list`), which keys the deliveries.
    pub list: String,
    pub incident: Reference,
    pub notice_id: u32,
    pub started_at: DateTime<Utc>,
}

/// A campaign starting or ending, written in the same transaction as the incident change.
#[derive(Debug, Clone)]
pub enum CampaignWrite {
    Start(Campaign),
    Finish { list: String },
}

/// One recipient's delivery of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    /// The recipient's place in the list, from 1.
    pub seq: u32,
    pub recipient: Recipient,
    pub state: DeliveryState,
    pub outcome: MailOutcome,
}

/// Which of a list's deliveries to read: those after `after_seq`, at most `limit`, only those in
/// state `kind` if given.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryPage {
    pub kind: Option<DeliveryKind>,
    pub after_seq: u32,
    pub limit: u32,
}

impl DeliveryPage {
    pub fn any_state(after_seq: u32, limit: u32) -> Self {
        Self { kind: None, after_seq, limit }
    }

    pub fn in_state(kind: DeliveryKind, after_seq: u32, limit: u32) -> Self {
        Self { kind: Some(kind), after_seq, limit }
    }
}

/// Notice deliveries and the suppression list. Each delivery moves only by a conditional write on
/// the state read, so of two senders exactly one wins each step.
#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Writes deliveries of a new list, pending, numbered in order from `first_seq` (a long list
    /// is written in parts, the first from 1).
    async fn insert_recipients(&self, list: &str, first_seq: u32, recipients: &[Recipient]) -> StoreResult<()>;
    /// Campaigns started and not finished, oldest first.
    async fn active_campaigns(&self) -> StoreResult<Vec<Campaign>>;
    /// One page of a list's deliveries, in order.
    async fn deliveries(&self, list: &str, page: DeliveryPage) -> StoreResult<Vec<DeliveryRow>>;
    /// Moves a delivery from `from` to `to`; `false` (nothing written) if it is no longer `from`.
    async fn move_delivery(&self, list: &str, seq: u32, from: &DeliveryState, to: &DeliveryState) -> StoreResult<bool>;
    /// Merges a mail event into a delivery's outcome (a union: repeats and any order agree) and
    /// returns the delivery as it now is; `None` if there is no such delivery.
    async fn merge_mail_event(&self, list: &str, seq: u32, event: MailEvent) -> StoreResult<Option<DeliveryRow>>;
    async fn delivery_counts(&self, list: &str) -> StoreResult<DeliveryCounts>;
    /// Why an address must not be mailed, if it must not.
    async fn suppression(&self, email: &str) -> StoreResult<Option<String>>;
    /// Suppresses an address; the first reason stays.
    async fn suppress(&self, email: &str, reason: &str) -> StoreResult<()>;
}
