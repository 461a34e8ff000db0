//! Report intake on the local server with SQLite, under `oha` on loopback, against the raw SQLite
//! insert rate of the same report measured in the same run.
//!
//! 1. The floor: one connection inserting the report's fields with a prepared statement, one
//!    transaction per report, with the store's own settings (WAL, `synchronous=NORMAL`); the best
//!    of three runs.
//! 2. Capacity: as many reports as 64 clients can send in `BENCH_SECONDS` (10), each a real
//!    `POST /api/reports` (bot-barrier ticket checked, validated, numbered, audited, stored, and
//!    its receipt written to the outbox).
//! 3. Latency under load: half that rate offered by 10, 100 and 1,000 concurrent clients, each
//!    request timed from when it was due; p99 should stay flat as the clients grow.
//!
//! `cargo xtask bench` runs it (it installs oha); `OHA` names the oha binary.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;
use sha2::Digest;
use tocsin_tests::{spawn_app, valid_report};

/// Reports per second one connection inserts as bare rows of the store's own `reports` table
/// (its schema and indexes, from the first migration) with one prepared statement: the floor under
/// everything else.
fn raw_insert_rate(database: &Path, form: &Value) -> f64 {
    let connection = rusqlite::Connection::open(database).unwrap();
    connection.pragma_update(None, "journal_mode", "WAL").unwrap();
    connection.pragma_update(None, "synchronous", "NORMAL").unwrap();
    connection.execute_batch(include_str!("../../functions/migrations/0001_intake.sql")).unwrap();
    let text = |field: &str| form[field].as_str().unwrap_or_default().to_owned();
    let rows: u32 = 20_000;
    let mut insert = connection
        .prepare(
            "INSERT INTO reports (reference, status, reporter_kind, reporter_name, reporter_email, description, \
             steps_to_reproduce, affected_system, received_at, follow_up_token_hash) \
             VALUES (?1, 'received', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .unwrap();
    let began = Instant::now();
    for number in 1..=rows {
        insert
            .execute((
                format!("TOC-2026-{number:06}"),
                text("reporter_kind"),
                text("name"),
                text("email"),
                text("description"),
                text("steps_to_reproduce"),
                text("affected_system"),
                chrono::Utc::now().to_rfc3339(),
                sha2::Sha256::digest(number.to_le_bytes()).to_vec(),
            ))
            .unwrap();
    }
    f64::from(rows) / began.elapsed().as_secs_f64()
}

struct Run {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    ok: u64,
    failed: u64,
}

/// One oha run against `url`; `rate` sets the offered load (requests per second) when given.
fn oha(url: &str, body: &Path, clients: u32, seconds: u32, rate: Option<f64>) -> Run {
    let oha = std::env::var("OHA").unwrap_or_else(|_| "oha".into());
    let mut command = Command::new(&oha);
    command
        .args(["--no-tui", "--output-format", "json", "-m", "POST", "-H", "content-type: application/json"])
        .arg("-D")
        .arg(body)
        .args(["-c", &clients.to_string(), "-z", &format!("{seconds}s")]);
    if let Some(rate) = rate {
        // Timed from when each request was due, not from when a free client sent it: otherwise 10
        // clients wait out a stall instead of sending, and their p99 omits the very delays that
        // 1,000 clients, all sending, record (coordinated omission).
        command.args(["-q", &format!("{rate:.0}"), "--latency-correction"]);
    }
    let output = command.arg(url).output().unwrap_or_else(|e| panic!("{oha}: {e}; `cargo xtask bench` installs it"));
    assert!(output.status.success(), "oha failed: {}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("oha's JSON");
    let codes = report["statusCodeDistribution"].as_object().cloned().unwrap_or_default();
    let ok = codes.get("201").and_then(Value::as_u64).unwrap_or(0);
    let refused: u64 = codes.iter().filter(|(code, _)| *code != "201").filter_map(|(_, n)| n.as_u64()).sum();
    // oha cuts the requests still under way when its time is up; those are not failures.
    let errors = report["errorDistribution"].as_object().cloned().unwrap_or_default();
    let failed: u64 =
        errors.iter().filter(|(what, _)| !what.contains("deadline")).filter_map(|(_, n)| n.as_u64()).sum();
    if !errors.is_empty() {
        eprintln!("oha, {clients} clients: {errors:?}");
    }
    Run {
        per_second: ok as f64 / f64::from(seconds),
        p50_ms: report["latencyPercentiles"]["p50"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        p99_ms: report["latencyPercentiles"]["p99"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        ok,
        failed: refused + failed,
    }
}

#[tokio::main]
async fn main() {
    let seconds: u32 = std::env::var("BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let app = spawn_app().await;
    let form = app.with_ticket(&valid_report()).await;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("report.json");
    std::fs::write(&body, serde_json::to_vec(&form).unwrap()).unwrap();
    let url = app.url("/api/reports");

    // The best of three runs, each into a new database: the floor is the machine's best, not its
    // noise (single runs here ranged from 12,300 to 19,200 a second).
    let raw =
        (1..=3).map(|run| raw_insert_rate(&dir.path().join(format!("raw-{run}.sqlite3")), &form)).fold(0.0, f64::max);
    // oha blocks; the server runs on this runtime's other threads.
    let capacity = tokio::task::block_in_place(|| oha(&url, &body, 64, seconds, None));
    println!(
        "| intake: reports stored per second, 64 clients / raw SQLite inserts per second (goal ≥ 0.5) | \
         {:.0} / {raw:.0} = **{:.2}** | p50 {:.1} ms, p99 {:.1} ms; {} stored, {} failed |",
        capacity.per_second,
        capacity.per_second / raw,
        capacity.p50_ms,
        capacity.p99_ms,
        capacity.ok,
        capacity.failed
    );
    let offered = capacity.per_second / 2.0;
    let mut baseline_p99 = None;
    for clients in [10, 100, 1_000] {
        let run = tokio::task::block_in_place(|| oha(&url, &body, clients, seconds, Some(offered)));
        let baseline = *baseline_p99.get_or_insert(run.p99_ms);
        println!(
            "| intake at {offered:.0} reports/s offered, {clients} clients: p99 / p99 with 10 clients | \
             {:.1} / {baseline:.1} ms = **{:.2}** | p50 {:.1} ms; {:.0} stored/s, {} failed |",
            run.p99_ms,
            run.p99_ms / baseline,
            run.p50_ms,
            run.per_second,
            run.failed
        );
    }
    let stored: i64 = app.database().query_row("SELECT COUNT(*) FROM reports", [], |row| row.get(0)).unwrap();
    eprintln!("{stored} reports in the store");
}
