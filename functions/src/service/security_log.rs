//! The security log: one hash chain per year of sign-ins, refusals, invitations, role changes and
//! exports, and the append that chains without a record of their own (a report's) share.

use chrono::Datelike;
use shared::access::SecurityEvent;
use shared::audit::AuditEvent;
use shared::reference::{Reference, ReferenceKind};

use super::error::ServiceError;
use super::services::Services;
use crate::ports::{ChainAppend, StoreError};

/// No one could have made a request before Tocsin existed: security logs start this year.
const FIRST_SECURITY_LOG_YEAR: i32 = 2026;

impl Services {
    /// Appends one event to this year's security log, retrying when another request appended first.
    pub async fn log_security(&self, actor: &str, event: SecurityEvent) -> Result<(), ServiceError> {
        let subject = Reference::new(ReferenceKind::Security, self.clock.now().year(), 1);
        self.append_event(subject, actor, AuditEvent::Security(event)).await
    }

    /// Adds one event to the end of a chain kept without a record of its own (the security log,
    /// a report's), retrying when another writer got there first.
    pub(super) async fn append_event(
        &self,
        subject: Reference,
        actor: &str,
        event: AuditEvent,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        for _ in 0..8 {
            let previous = self.audit.audit_head(subject).await?;
            let chain = ChainAppend::seal(previous, subject, now, actor, [event.clone()]);
            match self.audit.append_audit(subject, chain).await {
                Err(StoreError::Conflict(_)) => continue,
                other => return Ok(other?),
            }
        }
        Err(ServiceError::Unavailable(format!("the audit trail of {subject} is busy")))
    }

    /// Every year's security log that exists.
    pub async fn security_logs(&self) -> Result<Vec<Reference>, ServiceError> {
        let mut logs = Vec::new();
        for year in FIRST_SECURITY_LOG_YEAR..=self.clock.now().year() {
            let subject = Reference::new(ReferenceKind::Security, year, 1);
            if self.audit.audit_head(subject).await?.is_some() {
                logs.push(subject);
            }
        }
        Ok(logs)
    }
}
