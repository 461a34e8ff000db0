//! The affected-people register at scale: a file of 1,000,000 people imported over HTTP into the
//! real server on SQLite, as a rate against raw SQLite inserts of the same rows in the same run;
//! the same import through the DynamoDB adapter on moto at a size moto holds; and the incident
//! page and the obligations board at 1,000 and at 1,000,000 people, which read the register's
//! counts, never its people.
//!
//! `cargo xtask bench` runs it. `BENCH_PEOPLE` changes the large size, `BENCH_DYNAMO_PEOPLE` moto's.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::api::IncidentDetail;
use shared::people::{PeopleCsv, Person};
use tocsin_tests::bench::p50_p99;
use tocsin_tests::{TestApp, spawn_app_with};

const SAMPLES: usize = 300;
const PLACES: [&str; 8] = ["US-CA", "US-TX", "US-NY", "DE", "FR", "IE", "US-FL", "GB"];

/// `count` lines of people from `first`, spread over places and data elements like a real export.
fn file(first: usize, count: usize) -> String {
    let mut text = String::from("id,name,email,jurisdiction,language,data_elements\n");
    for n in first..first + count {
        let elements =
            if n % 50 == 0 { "name;credentials;ssn;health_information" } else { "name;contact_details;credentials" };
        text.push_str(&format!(
            "C-{n:08},Customer {n},customer{n}@example.com,{},en,\"{elements}\"\n",
            PLACES[n % PLACES.len()]
        ));
    }
    text
}

fn people_of(text: &str) -> Vec<Person> {
    PeopleCsv::open(text.as_bytes()).unwrap().map(Result::unwrap).collect()
}

/// Raw inserts of the same rows (id, JSON, group) into a plain table, one prepared statement in
/// one transaction on a file database with the server's pragmas: the fastest SQLite goes.
fn raw_sqlite_rate(people: &[Person]) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let mut db = rusqlite::Connection::open(dir.path().join("raw.sqlite3")).unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    db.pragma_update(None, "synchronous", "NORMAL").unwrap();
    db.execute_batch(
        "CREATE TABLE people (incident TEXT, id TEXT, person TEXT, grp TEXT, PRIMARY KEY (incident, id)) WITHOUT ROWID",
    )
    .unwrap();
    let began = Instant::now();
    let tx = db.transaction().unwrap();
    {
        let mut insert = tx.prepare("INSERT INTO people VALUES ('INC-2026-000001', ?1, ?2, ?3)").unwrap();
        for person in people {
            let json = serde_json::to_string(person).unwrap();
            insert.execute(rusqlite::params![person.id, json, person.group().encode()]).unwrap();
        }
    }
    tx.commit().unwrap();
    people.len() as f64 / began.elapsed().as_secs_f64()
}

async fn import(app: &TestApp, incident: &IncidentDetail, text: String) -> Duration {
    let path = format!("/api/incidents/{}/people", incident.record.reference);
    let began = Instant::now();
    let answer = app.client.post(app.url(&path)).body(text).send().await.unwrap();
    assert!(answer.status().is_success(), "{}", answer.text().await.unwrap());
    began.elapsed()
}

async fn p50(app: &TestApp, path: &str) -> (f64, f64) {
    let mut taken = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + 20 {
        let began = Instant::now();
        let answer = app.client.get(app.url(path)).send().await.unwrap();
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
        answer.bytes().await.unwrap();
        if i >= 20 {
            taken.push(began.elapsed());
        }
    }
    p50_p99(&mut taken)
}

#[tokio::main]
async fn main() {
    let large: usize = std::env::var("BENCH_PEOPLE").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let on_moto: usize = std::env::var("BENCH_DYNAMO_PEOPLE").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let app = spawn_app_with(|s| s.deadlines.roles.push(shared::deadlines::rules::EntityRole::CoveredEntity)).await;
    let incident: IncidentDetail = app
        .client
        .post(app.url("/api/incidents"))
        .json(&json!({ "title": "Mass breach" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reference = incident.record.reference;
    let confirm =
        json!({ "expected_version": incident.version, "command": { "type": "set_verdict", "verdict": "confirmed" } });
    let path = format!("/api/incidents/{reference}/commands");
    assert!(app.client.post(app.url(&path)).json(&confirm).send().await.unwrap().status().is_success());

    // 1,000 people, then the page and the board.
    import(&app, &incident, file(0, 1_000)).await;
    let page_small = p50(&app, &format!("/api/incidents/{reference}")).await;
    let board_small = p50(&app, "/api/obligations").await;

    // The rest, in one file: the import's rate against raw inserts of the same rows.
    let text = file(1_000, large - 1_000);
    let bytes = text.len();
    let rows = people_of(&text);
    let raw_rate = raw_sqlite_rate(&rows);
    drop(rows);
    let took = import(&app, &incident, text).await;
    let rate = (large - 1_000) as f64 / took.as_secs_f64();
    let detail: IncidentDetail = app.get_json(&format!("/api/incidents/{reference}")).await;
    assert_eq!(detail.record.people.total(), large as u64);
    // Steady state: the write-ahead log that the import filled is checkpointed once writes stop.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let page_large = p50(&app, &format!("/api/incidents/{reference}")).await;
    let board_large = p50(&app, "/api/obligations").await;

    println!(
        "| people import, {large} people over HTTP on SQLite: rate vs raw SQLite inserts of the same rows (goal ≥ 0.5) | \
         {rate:.0} vs {raw_rate:.0} people/s | **{:.2}** ({:.0} MB file in {:.1} s) |",
        rate / raw_rate,
        bytes as f64 / 1e6,
        took.as_secs_f64()
    );
    let row = |what: &str, (small_p50, small_p99): (f64, f64), (large_p50, large_p99): (f64, f64)| {
        println!(
            "| {what}: p50 (p99) at 1,000 → {large} people (goal: ratio ≤ 1.2) | \
             {small_p50:.2} ({small_p99:.2}) ms → {large_p50:.2} ({large_p99:.2}) ms | **{:.2}** |",
            large_p50 / small_p50
        );
    };
    row("incident page", page_small, page_large);
    row("obligations board", board_small, board_large);

    // The DynamoDB adapter on moto, through the port, at a size moto holds.
    let dynamo = tocsin_tests::moto::fresh_dynamo().await.store();
    let moto_people = people_of(&file(0, on_moto));
    let began = Instant::now();
    for chunk in moto_people.chunks(2_000) {
        dynamo.stage_people(&reference, "bench", chunk).await.unwrap();
    }
    let change = dynamo.commit_import(&reference, "bench").await.unwrap();
    assert_eq!(change.population.total(), on_moto as u64);
    let moto_rate = on_moto as f64 / began.elapsed().as_secs_f64();

    println!(
        "| people import, {on_moto} people through the DynamoDB adapter on moto: rate vs raw SQLite inserts (stated, moto is a Python mock) | \
         {moto_rate:.0} vs {raw_rate:.0} people/s | **{:.5}** |",
        moto_rate / raw_rate
    );
}
