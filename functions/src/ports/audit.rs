//! The audit chains: each subject's (incident, report, policy register, security log) sealed
//! entries and their head.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::audit::{AuditEntry, AuditEvent, ChainHead, seal};
use shared::reference::Reference;

use super::error::StoreResult;

/// What a write adds to a subject's audit chain: sealed entries and the head they lead to, on
/// condition that the chain's head is still `previous` (`None`: the chain is new).
#[derive(Debug, Clone)]
pub struct ChainAppend {
    pub previous: Option<ChainHead>,
    pub entries: Vec<AuditEntry>,
    pub head: ChainHead,
}

impl ChainAppend {
    /// `events` sealed onto the chain whose head is `previous`.
    pub fn seal(
        previous: Option<ChainHead>,
        subject: Reference,
        at: DateTime<Utc>,
        actor: &str,
        events: impl IntoIterator<Item = AuditEvent>,
    ) -> Self {
        let start = previous.clone().unwrap_or_else(ChainHead::genesis);
        let (entries, head) = seal(&start, subject, at, actor, events);
        ChainAppend { previous, entries, head }
    }
}

/// Reads every subject's chain, and appends to the chains that have no record of their own.
/// Records with a chain (incidents, reports, the register) extend it in their own commits.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// A subject's audit chain head, if it has one.
    async fn audit_head(&self, subject: Reference) -> StoreResult<Option<ChainHead>>;
    /// Audit entries of a subject in chain order, those after `after_seq`, at most `limit`.
    async fn audit_entries(&self, subject: Reference, after_seq: u64, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    /// Every subject that has a chain head or any entry, in reference order: what a full check
    /// walks, so an entry left without a head (or filed under a made-up subject) shows too.
    async fn audit_subjects(&self) -> StoreResult<Vec<Reference>>;
    /// Appends entries to a chain that has no record of its own (the security log). Fails with a
    /// conflict, changing nothing, if the head is no longer `previous` (`None`: no chain yet).
    async fn append_audit(&self, subject: Reference, chain: ChainAppend) -> StoreResult<()>;
}
