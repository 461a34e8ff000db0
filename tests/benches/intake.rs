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
//!    - The three take turns for `BENCH_ROUNDS` (6) rounds, each round starting one level further
//!      on, and each level is judged by its median p99: one stall of the disk decides a run's p99
//!      by itself, in whichever run it falls; taking turns spreads the store's growth over all
//!      three, and starting in turn spreads whatever follows from going first or after another.
//!    - Requests due in a run's first second are left out: they open the clients' connections, all
//!      at once, a cost of starting the load rather than of carrying it.
//!
//! `cargo xtask bench` runs it (it installs oha); `OHA` names the oha binary.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::Deserialize;
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
    failed: u64,
}

/// A run at a given rate, which also keeps the p99 with the first second counted.
struct RunAtRate {
    run: Run,
    p99_from_start_ms: f64,
}

fn oha_command(url: &str, body: &Path, clients: u32) -> Command {
    let oha = std::env::var("OHA").unwrap_or_else(|_| "oha".into());
    let mut command = Command::new(oha);
    command
        .args(["--no-tui", "-m", "POST", "-H", "content-type: application/json"])
        .arg("-D")
        .arg(body)
        .args(["-c", &clients.to_string()])
        .arg(url);
    command
}

fn run(mut command: Command) {
    let output = command.output().unwrap_or_else(|e| panic!("oha: {e}; `cargo xtask bench` installs it"));
    assert!(output.status.success(), "oha failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// As many requests as `clients` can send in `seconds`.
fn capacity(url: &str, body: &Path, clients: u32, seconds: u32, report: &Path) -> Run {
    let mut command = oha_command(url, body, clients);
    command.args(["-z", &format!("{seconds}s"), "--output-format", "json", "-o"]).arg(report);
    run(command);
    let report: Value = serde_json::from_slice(&std::fs::read(report).unwrap()).expect("oha's JSON");
    let codes = report["statusCodeDistribution"].as_object().cloned().unwrap_or_default();
    let ok = codes.get("201").and_then(Value::as_u64).unwrap_or(0);
    let refused: u64 = codes.iter().filter(|(code, _)| *code != "201").filter_map(|(_, n)| n.as_u64()).sum();
    // oha cuts the requests still under way when its time is up; those are not failures.
    let errors = report["errorDistribution"].as_object().cloned().unwrap_or_default();
    let failed: u64 =
        errors.iter().filter(|(what, _)| !what.contains("deadline")).filter_map(|(_, n)| n.as_u64()).sum();
    Run {
        per_second: ok as f64 / f64::from(seconds),
        p50_ms: report["latencyPercentiles"]["p50"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        p99_ms: report["latencyPercentiles"]["p99"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        failed: refused + failed,
    }
}

/// A request as oha's CSV lists it (answered ones only; times in seconds from the start).
#[derive(Deserialize)]
struct Answered {
    #[serde(rename = "request-start")]
    start: f64,
    #[serde(rename = "request-duration")]
    duration: f64,
    status: u16,
}

/// See the module's third point.
const WARM_UP_SECONDS: f64 = 1.0;

/// `rate` requests a second for `seconds` from `clients`, each timed from when it was due (not from
/// when a free client sent it: otherwise 10 clients wait out a stall instead of sending, and their
/// p99 omits the very delays that 1,000 clients, all sending, record).
fn offered_load(url: &str, body: &Path, clients: u32, seconds: u32, rate: f64, listing: &Path) -> RunAtRate {
    let requests = (rate * f64::from(seconds)).round() as u64;
    let mut command = oha_command(url, body, clients);
    command
        .args(["-n", &requests.to_string(), "-q", &format!("{rate:.0}"), "--latency-correction"])
        .args(["--output-format", "csv", "-o"])
        .arg(listing);
    run(command);
    let answered: Vec<Answered> =
        csv::Reader::from_path(listing).unwrap().deserialize().collect::<Result<_, _>>().expect("oha's CSV");
    let stored: Vec<&Answered> = answered.iter().filter(|request| request.status == 201).collect();
    assert!(
        stored.iter().any(|request| request.start >= WARM_UP_SECONDS),
        "{clients} clients: no report stored after the first second ({} answered)",
        answered.len()
    );
    let milliseconds = |requests: &mut dyn Iterator<Item = &&Answered>| {
        let mut times: Vec<f64> = requests.map(|request| request.duration * 1000.0).collect();
        times.sort_by(f64::total_cmp);
        times
    };
    let steady = milliseconds(&mut stored.iter().filter(|request| request.start >= WARM_UP_SECONDS));
    let from_start = milliseconds(&mut stored.iter());
    let percentile = |times: &[f64], p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    RunAtRate {
        run: Run {
            per_second: stored.len() as f64 / f64::from(seconds),
            p50_ms: percentile(&steady, 0.50),
            p99_ms: percentile(&steady, 0.99),
            // Refused, or never answered.
            failed: requests - stored.len() as u64,
        },
        p99_from_start_ms: percentile(&from_start, 0.99),
    }
}

/// The middle value (the upper of the two middle ones for an even count).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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
    let capacity =
        tokio::task::block_in_place(|| capacity(&url, &body, 64, seconds, &dir.path().join("capacity.json")));
    println!(
        "| intake: reports stored per second, 64 clients / raw SQLite inserts per second (goal ≥ 0.5) | \
         {:.0} / {raw:.0} = **{:.2}** | p50 {:.1} ms, p99 {:.1} ms; {:.0} stored, {} failed |",
        capacity.per_second,
        capacity.per_second / raw,
        capacity.p50_ms,
        capacity.p99_ms,
        capacity.per_second * f64::from(seconds),
        capacity.failed
    );
    let offered = capacity.per_second / 2.0;
    let rounds: usize = std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    let levels = [10, 100, 1_000];
    let mut runs: Vec<Vec<RunAtRate>> = levels.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for level in (0..levels.len()).map(|turn| (round + turn) % levels.len()) {
            let clients = levels[level];
            let listing = dir.path().join(format!("offered-{clients}.csv"));
            let run = tokio::task::block_in_place(|| offered_load(&url, &body, clients, seconds, offered, &listing));
            runs[level].push(run);
        }
    }
    let baseline = median(runs[0].iter().map(|at_rate| at_rate.run.p99_ms));
    let baseline_from_start = median(runs[0].iter().map(|at_rate| at_rate.p99_from_start_ms));
    for (clients, runs) in levels.iter().zip(&runs) {
        let p99 = median(runs.iter().map(|at_rate| at_rate.run.p99_ms));
        let p99_from_start = median(runs.iter().map(|at_rate| at_rate.p99_from_start_ms));
        let each: Vec<String> = runs.iter().map(|at_rate| format!("{:.1}", at_rate.run.p99_ms)).collect();
        println!(
            "| intake at {offered:.0} reports/s offered, {clients} clients: median p99 / median p99 with 10 clients \
             | {p99:.1} / {baseline:.1} ms = **{:.2}** | p99 by round {} ms; with the first second {p99_from_start:.1} \
             / {baseline_from_start:.1} ms = {:.2}; p50 {:.1} ms; {:.0} stored/s, {} failed |",
            p99 / baseline,
            each.join(", "),
            p99_from_start / baseline_from_start,
            median(runs.iter().map(|at_rate| at_rate.run.p50_ms)),
            runs.iter().map(|at_rate| at_rate.run.per_second).sum::<f64>() / runs.len() as f64,
            runs.iter().map(|at_rate| at_rate.run.failed).sum::<u64>()
        );
    }
    let stored: i64 = app.database().query_row("SELECT COUNT(*) FROM reports", [], |row| row.get(0)).unwrap();
    eprintln!("{stored} reports in the store");
}
