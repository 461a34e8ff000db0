//! What the benchmarks share: incidents committed the way the service would, in bulk, and
//! latency figures.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use functions::ports::{ChainAppend, IncidentCommit, IncidentStore};
use functions::service::commit::obligation_writes;
use shared::audit::AuditEvent;
use shared::deadlines::obligation::{Deadlines, Evidence, EvidenceKind, ObligationStatus};
use shared::record::effects::reconcile;
use shared::record::{IncidentEvent, IncidentRecord, Origin};
use shared::reference::{Reference, ReferenceKind};

/// Incident `number` of 2026, opened at `opened_at` with its obligations; a `closed` one has them all met.
pub fn incident_commit(number: u32, closed: bool, deadlines: &Deadlines, opened_at: DateTime<Utc>) -> IncidentCommit {
    let reference = Reference { kind: ReferenceKind::Incident, year: 2026, number };
    let opened = IncidentEvent::Opened {
        title: format!("Incident {number}"),
        origin: Origin::Declared,
        detected_at: None,
        by_account: None,
    };
    let mut record = IncidentRecord::open(reference, &opened, opened_at, "bench").expect("opens");
    let reconciled = reconcile(deadlines, &record, opened_at).expect("the internal notice applies");
    record.apply(&reconciled, opened_at, "bench");
    if closed {
        for obligation in &mut record.obligations {
            let evidence = Evidence { kind: EvidenceKind::MessageId, value: format!("<{number}@bench>"), file: None };
            obligation.status = ObligationStatus::Met { met_at: opened_at, by: "bench".into(), evidence };
        }
    }
    let events = [AuditEvent::Incident(opened), AuditEvent::Incident(reconciled)];
    let chain = ChainAppend::seal(None, reference, opened_at, "bench", events);
    let obligations = obligation_writes(None, &record, opened_at);
    IncidentCommit { record, chain, link_report: None, alert_key: None, obligations, campaign: None }
}

/// Commits incidents through the store, four at a time.
pub async fn commit_all<S: IncidentStore + ?Sized + 'static>(
    store: &Arc<S>,
    commits: impl IntoIterator<Item = IncidentCommit>,
) {
    let mut pending = commits.into_iter();
    loop {
        let batch: Vec<_> = pending.by_ref().take(4).collect();
        if batch.is_empty() {
            break;
        }
        let writes = batch.into_iter().map(|c| {
            let store = store.clone();
            tokio::spawn(async move { store.commit_incident(c).await.expect("seeded") })
        });
        for write in writes.collect::<Vec<_>>() {
            write.await.unwrap();
        }
    }
}

/// The median and the 99th percentile of some timings, in milliseconds.
pub fn p50_p99(timings: &mut [Duration]) -> (f64, f64) {
    assert!(!timings.is_empty(), "no timings");
    timings.sort();
    let at = |q: f64| timings[((timings.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99))
}
