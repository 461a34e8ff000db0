//! The audit chains: each subject's (incident, report, policy register, security log) sealed
//! entries and their head.

use async_trait::async_trait;
use shared::audit::{AuditEntry, ChainHead};
use shared::reference::Reference;

use super::error::StoreError;

/// Reads every subject's chain, and appends to the chains that have no record of their own.
/// Records with a chain (incidents, reports, the register) extend it in their own commits.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// A subject's audit chain head, if it has one.
    async fn audit_head(&self, subject: Reference) -> Result<Option<ChainHead>, StoreError>;
    /// Audit entries of a subject in chain order, those after `after_seq`, at most `limit`.
    async fn audit_entries(
        &self,
        subject: Reference,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// Appends entries to a chain that has no record of its own (the security log). Fails with a
    /// conflict, changing nothing, if the head is no longer `previous` (`None`: no chain yet).
    async fn append_audit(
        &self,
        subject: Reference,
        previous: Option<ChainHead>,
        entries: Vec<AuditEntry>,
        head: ChainHead,
    ) -> Result<(), StoreError>;
}
