//! How much the deadline checker reads per run, on SQLite and on DynamoDB (moto): 100,000 closed
//! incidents (their obligations met) and 100 incidents with their internal notice overdue. The due-time
//! index is sparse, so a run should read the 100 due rows and nothing of the closed history.
//!
//! `cargo xtask bench` runs it (it starts moto). `BENCH_CLOSED` changes the history's size.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use functions::config::DeadlineSettings;
use functions::ports::{IncidentCommit, IncidentStore};
use functions::service::deadlines::obligation_writes;
use functions::startup::load_deadlines;
use shared::deadlines::obligation::{Evidence, EvidenceKind, ObligationStatus};
use shared::reference::{Reference, ReferenceKind};
use shared::workflow::audit::{AuditEvent, ChainHead, seal};
use shared::workflow::record::{IncidentEvent, IncidentRecord, Origin};
use tocsin_tests::checker::{checker, start};

const DUE: u32 = 100;

/// One incident committed the way the service would, with its obligation rows.
fn commit(number: u32, closed: bool, deadlines: &shared::deadlines::obligation::Deadlines) -> IncidentCommit {
    let reference = Reference { kind: ReferenceKind::Incident, year: 2026, number };
    let opened_at = start() - Duration::hours(3);
    let opened =
        IncidentEvent::Opened { title: format!("Incident {number}"), origin: Origin::Declared, detected_at: None };
    let mut record = IncidentRecord::open(reference, &opened, opened_at, "bench").expect("opens");
    let reconciled = deadlines.reconcile(&record, opened_at).expect("the internal notice applies");
    record.apply(&reconciled, opened_at, "bench");
    if closed {
        for obligation in &mut record.obligations {
            let evidence = Evidence { kind: EvidenceKind::MessageId, value: format!("<{number}@bench>"), file: None };
            obligation.status = ObligationStatus::Met { met_at: opened_at, by: "bench".into(), evidence };
        }
    }
    let events = [AuditEvent::Incident(opened), AuditEvent::Incident(reconciled)];
    let (entries, head) = seal(&ChainHead::genesis(), reference, opened_at, "bench", events);
    let obligations = obligation_writes(None, &record, opened_at);
    IncidentCommit { record, previous: None, entries, head, link_report: None, alert_key: None, obligations }
}

async fn measure(name: &str, store: Arc<dyn IncidentStore>, closed: u32) {
    let deadlines = load_deadlines(&DeadlineSettings::default()).expect("the built-in rules load");
    let seeding = Instant::now();
    let commits: Vec<IncidentCommit> = (1..=closed + DUE).map(|n| commit(n, n > DUE, &deadlines)).collect();
    let mut pending = commits.into_iter();
    loop {
        // A few at a time: moto serves one request at a time, and a queue longer than the SDK's
        // attempt timeout would make it retry transactions that already succeeded.
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
    let seeded = seeding.elapsed();
    let checker = checker(store);
    let now = Utc::now().max(start() + Duration::days(2));
    let began = Instant::now();
    let run = checker.run_at(now).await;
    let took = began.elapsed();
    let again = checker.run_at(now).await;
    println!(
        "{name}: {closed} closed + {DUE} due incidents (seeded in {:.1} s); first run read {} rows and sent {} \
         escalations in {:.0} ms; a second run read {} rows",
        seeded.as_secs_f64(),
        run.rows_read,
        run.escalations_sent,
        took.as_secs_f64() * 1000.0,
        again.rows_read,
    );
    assert_eq!(run.rows_read, DUE as usize, "the checker read more than the due rows");
}

#[tokio::main]
async fn main() {
    let closed: u32 = std::env::var("BENCH_CLOSED").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = functions::adapters::sqlite::SqliteStore::open(&dir.path().join("bench.sqlite3")).unwrap();
    measure("SQLite", Arc::new(sqlite), closed).await;
    if std::env::var("TOCSIN_MOTO_ENDPOINT").is_ok() {
        let dynamo = tocsin_tests::moto::fresh_dynamo().await;
        measure("DynamoDB (moto)", dynamo.store(), closed).await;
    } else {
        println!("DynamoDB: skipped (no TOCSIN_MOTO_ENDPOINT; `cargo xtask bench` starts moto)");
    }
}
