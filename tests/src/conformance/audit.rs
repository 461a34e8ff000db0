//! [`AuditStore`]: chains read in order, and extended only from the head they were sealed on.

use std::sync::Arc;

use functions::ports::{AuditStore, ChainAppend, IncidentStore, StoreError};
use shared::access::SecurityEvent;
use shared::audit::{AuditEvent, verify};
use shared::reference::{Reference, ReferenceKind};

use super::fixtures::{at, commit, note, open_incident};

pub async fn keeps_the_audit_chain_and_refuses_stale_writes(
    audit: Arc<dyn AuditStore>,
    incidents: Arc<dyn IncidentStore>,
) {
    let incident = open_incident(&incidents, "Malware on a build agent", at(11, 9), None).await.unwrap();
    let (record, head) = incidents.incident(incident).await.unwrap().unwrap();
    let notes: Vec<_> = (0..30).map(|i| note(&format!("Step {i}"))).collect();
    let after_notes =
        commit(&incidents, record.clone(), Some(head.clone()), notes, at(11, 10), None, None).await.unwrap();
    assert_eq!(after_notes.seq, 31);

    // A writer that read the incident before the notes is refused, and writes nothing.
    let stale = commit(&incidents, record, Some(head), vec![note("late")], at(11, 11), None, None).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(audit.audit_head(incident).await.unwrap(), Some(after_notes.clone()));

    let mut entries = Vec::new();
    loop {
        let page = audit.audit_entries(incident, entries.len() as u64, 7).await.unwrap();
        assert!(page.len() <= 7);
        if page.is_empty() {
            break;
        }
        entries.extend(page);
    }
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=31).collect::<Vec<_>>());
    assert!(verify(incident, &entries, Some(&after_notes)).is_intact());
    assert_eq!(audit.audit_head(Reference::new(ReferenceKind::Incident, 2026, 50)).await.unwrap(), None);
    assert_eq!(audit.audit_subjects().await.unwrap(), [incident], "every chain, once");
}

/// A chain with no record of its own (the security log) starts once and grows only from the head
/// read: a second start, or entries sealed on an old head, are refused and write nothing.
pub async fn a_chain_of_its_own_grows_only_from_its_head(audit: Arc<dyn AuditStore>) {
    let log = Reference::new(ReferenceKind::Security, 2026, 1);
    let signed_out = |email: &str| AuditEvent::Security(SecurityEvent::SignedOut { email: email.to_owned() });
    assert_eq!(audit.audit_head(log).await.unwrap(), None);

    let start = ChainAppend::seal(None, log, at(13, 9), "tester", [signed_out("ada@example.com")]);
    let first = start.head.clone();
    audit.append_audit(log, start.clone()).await.unwrap();
    let restarted = audit.append_audit(log, start).await;
    assert!(matches!(restarted, Err(StoreError::Conflict(_))), "a chain starts once: {restarted:?}");

    let events = [signed_out("bob@example.com"), signed_out("eve@example.com")];
    let next = ChainAppend::seal(Some(first.clone()), log, at(13, 10), "tester", events);
    let second = next.head.clone();
    audit.append_audit(log, next).await.unwrap();
    let late = ChainAppend::seal(Some(first), log, at(13, 11), "tester", [signed_out("mallory@example.com")]);
    let stale = audit.append_audit(log, late).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "sealed on an old head: {stale:?}");

    assert_eq!(audit.audit_head(log).await.unwrap(), Some(second.clone()));
    let entries = audit.audit_entries(log, 0, 10).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(verify(log, &entries, Some(&second)).is_intact());
    assert_eq!(audit.audit_entries(log, 1, 1).await.unwrap(), vec![entries[1].clone()]);
    assert_eq!(audit.audit_subjects().await.unwrap(), [log]);
}
