//! The obligation rows kept beside incidents and the policy register: what the deadline checker
//! reads through the due-time index, and the board lists by state.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::Page;
use shared::deadlines::obligation::{Obligation, ObligationStatus};
use shared::reference::Reference;

use super::error::StoreResult;
use super::paging::PageRequest;

/// The deadline checker's write to one obligation's delivery log, kept only if the row is still at
/// `expected_version` (someone else's write in between wins).
pub struct DeliveryUpdate<'a> {
    pub subject: Reference,
    pub obligation: &'a str,
    pub expected_version: u64,
    pub deliveries: &'a Deliveries,
    pub next_check_at: Option<DateTime<Utc>>,
}

/// An obligation as the deadline checker and the board see it, kept beside its incident (or the
/// policy register, for the organisation's standing duties).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObligationRow {
    pub subject: Reference,
    pub incident_title: String,
    pub response_lead: Option<String>,
    pub obligation: Obligation,
}

impl ObligationRow {
    pub fn state(&self) -> ObligationState {
        match self.obligation.status {
            ObligationStatus::Open => ObligationState::Open,
            ObligationStatus::Met { .. } => ObligationState::Met,
            ObligationStatus::NotRequired { .. } => ObligationState::NotRequired,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationState {
    Open,
    Met,
    NotRequired,
}

impl ObligationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ObligationState::Open => "open",
            ObligationState::Met => "met",
            ObligationState::NotRequired => "not_required",
        }
    }
}

/// The board's order within a state: due time, then incident and rule; rows without a due time
/// (clock not started) sort after every dated one.
pub fn board_key(row: &ObligationRow) -> String {
    let due = row
        .obligation
        .due_at
        .map_or_else(|| "~".to_owned(), |d| d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    format!("{due}#{}#{}", row.subject, row.obligation.id)
}

/// A row written with an incident or register change; `check_at` puts it on the due index (the
/// checker then plans its reminders), `None` takes it off.
#[derive(Debug, Clone)]
pub struct ObligationWrite {
    pub row: ObligationRow,
    pub check_at: Option<DateTime<Utc>>,
}

/// Each reminder or escalation step's delivery, by step key.
pub type Deliveries = BTreeMap<String, Delivery>;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    /// When a checker run took the step; a claim never confirmed is retried after a while.
    pub claimed_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Not sent: a later reminder or the due time overtook it.
    #[serde(default)]
    pub superseded: bool,
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default)]
    pub message_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledObligation {
    pub row: ObligationRow,
    pub deliveries: Deliveries,
    pub version: u64,
    pub next_check_at: Option<DateTime<Utc>>,
}

/// The obligation rows as the deadline checker and the board read them. Rows are written with
/// the change that moves them ([`ObligationWrite`] in an incident or register commit); here only
/// their delivery log and next check time change, each by a conditional write on the version
/// read, so of two checker runs exactly one takes each step.
#[async_trait]
pub trait ObligationStore: Send + Sync {
    /// Obligations with a reminder or escalation due by `now`, earliest first, at most `limit`:
    /// read through the due-time index, so closed incidents cost nothing.
    async fn due_obligations(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<ScheduledObligation>>;
    /// Replaces an obligation's delivery log and next check time if its version is still
    /// `expected_version`; `false` when someone else changed it first.
    async fn update_delivery(&self, update: DeliveryUpdate<'_>) -> StoreResult<bool>;
    async fn scheduled_obligation(
        &self,
        subject: Reference,
        obligation: &str,
    ) -> StoreResult<Option<ScheduledObligation>>;
    /// Obligations in one state across incidents: open ones by due time (soonest first), met
    /// and not required ones by due time (latest first).
    async fn obligations_by_state(
        &self,
        state: ObligationState,
        page: PageRequest,
    ) -> StoreResult<Page<ScheduledObligation>>;
}
