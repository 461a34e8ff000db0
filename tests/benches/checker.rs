//! How much the deadline checker reads per run, on SQLite and on DynamoDB (moto): 100,000 closed
//! incidents (their obligations met) and 100 incidents with their internal notice overdue. The due-time
//! index is sparse, so a run should read the 100 due rows and nothing of the closed history.
//!
//! `cargo xtask bench` runs it (it starts moto). `BENCH_CLOSED` changes the history's size.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use functions::config::DeadlineSettings;
use functions::ports::{IncidentCommit, Store};
use functions::startup::load_deadlines;
use shared::deadlines::obligation::Deadlines;
use tocsin_tests::bench::{commit_all, incident_commit};
use tocsin_tests::checker::{checker, start};

const DUE: u32 = 100;

fn commit(number: u32, closed: bool, deadlines: &Deadlines) -> IncidentCommit {
    incident_commit(number, closed, deadlines, start() - Duration::hours(3))
}

/// How the closed history gets into a store.
enum History {
    Commits,
    /// moto copies its whole state for every transaction, so 100,000 transactions would take
    /// hours there: the closed incidents go in with `BatchWriteItem`, as the items a commit
    /// writes for them (the incident and its obligation rows, off the due index).
    DynamoBatches {
        client: aws_sdk_dynamodb::Client,
        table: String,
    },
}

async fn seed_history(store: &Arc<dyn Store>, history: &History, commits: Vec<IncidentCommit>) {
    let History::DynamoBatches { client, table } = history else {
        return commit_all(store, commits).await;
    };
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    let s = |v: String| AttributeValue::S(v);
    let mut items = Vec::new();
    for commit in &commits {
        let reference = commit.record.reference;
        let opened = commit.record.opened_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        items.push(std::collections::HashMap::from([
            ("PK".to_owned(), s(format!("INCIDENT#{reference}"))),
            ("SK".to_owned(), s("INCIDENT".into())),
            ("GSI1PK".to_owned(), s("INCIDENTS".into())),
            ("GSI1SK".to_owned(), s(format!("{opened}#{reference}"))),
            ("reference".to_owned(), s(reference.to_string())),
            ("title".to_owned(), s(commit.record.title.clone())),
            ("opened_at".to_owned(), s(opened)),
            ("record".to_owned(), s(serde_json::to_string(&commit.record).unwrap())),
            ("report_count".to_owned(), AttributeValue::N("0".into())),
            ("version".to_owned(), AttributeValue::N(commit.chain.head.seq.to_string())),
        ]));
        for write in &commit.obligations {
            assert!(write.check_at.is_none(), "closed incidents have nothing due");
            items.push(std::collections::HashMap::from([
                ("PK".to_owned(), s(format!("INCIDENT#{reference}"))),
                ("SK".to_owned(), s(format!("OBLIGATION#{}", write.row.obligation.id))),
                ("state".to_owned(), s(write.row.state().as_str().into())),
                ("row".to_owned(), s(serde_json::to_string(&write.row).unwrap())),
                ("deliveries".to_owned(), s("{}".into())),
                ("version".to_owned(), AttributeValue::N("1".into())),
                ("GSI2PK".to_owned(), s(format!("OBLIGATIONS#{}", write.row.state().as_str()))),
                ("GSI2SK".to_owned(), s(functions::ports::board_key(&write.row))),
            ]));
        }
    }
    for chunk in items.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item.clone())).build().unwrap())
                    .build()
            })
            .collect();
        while !requests.is_empty() {
            let output = client.batch_write_item().request_items(table.clone(), requests).send().await.expect("seeded");
            requests = output.unprocessed_items().and_then(|u| u.get(table.as_str())).cloned().unwrap_or_default();
        }
    }
}

async fn measure(name: &str, store: Arc<dyn Store>, history: History, closed: u32) {
    let deadlines = load_deadlines(&DeadlineSettings::default()).expect("the built-in rules load");
    let seeding = Instant::now();
    // The due incidents first: on moto, transactions slow down as the table grows.
    commit_all(&store, (1..=DUE).map(|n| commit(n, false, &deadlines))).await;
    let history_commits = (DUE + 1..=DUE + closed).map(|n| commit(n, true, &deadlines)).collect();
    seed_history(&store, &history, history_commits).await;
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
    println!(
        "| checker, {name}, {closed} closed incidents: rows read per run / incidents due (goal ≤ 1.1) | \
         {} / {DUE} = **{:.2}** | {:.0} ms; the extra row is the annual policy review, due too |",
        run.rows_read,
        run.rows_read as f64 / f64::from(DUE),
        took.as_secs_f64() * 1000.0
    );
    // Besides the incidents' notices, the standing annual policy review is due: with no review
    // on record, the first run sets its register up due at once.
    assert!(run.rows_read <= DUE as usize + 1, "the checker read more than the due rows");
    assert_eq!(again.rows_read, 0, "nothing is due twice");
}

#[tokio::main]
async fn main() {
    let closed: u32 = std::env::var("BENCH_CLOSED").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = functions::adapters::sqlite::SqliteStore::open(&dir.path().join("bench.sqlite3")).unwrap();
    measure("SQLite", Arc::new(sqlite), History::Commits, closed).await;
    if std::env::var("TOCSIN_MOTO_ENDPOINT").is_ok() {
        // moto copies its whole state for every transaction: with 100,000 incidents one takes longer
        // than the attempt timeout set for DynamoDB, and a retry would only start it over.
        let patient = aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(std::time::Duration::from_secs(120))
            .operation_timeout(std::time::Duration::from_secs(120))
            .build();
        let config = aws_sdk_dynamodb::config::Builder::from(&tocsin_tests::moto::sdk_config().await)
            .timeout_config(patient)
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let table = tocsin_tests::moto::unique("tocsin-bench");
        let store = functions::adapters::dynamodb::DynamoStore::new(client.clone(), &table);
        store.create_table().await.expect("moto creates the table");
        measure("DynamoDB (moto)", Arc::new(store), History::DynamoBatches { client, table }, closed).await;
    } else {
        println!("DynamoDB: skipped (no TOCSIN_MOTO_ENDPOINT; `cargo xtask bench` starts moto)");
    }
}
