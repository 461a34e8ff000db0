//! The API server's local cold start: from spawning the release `tocsin` binary on a fresh data
//! directory (so the SQLite migrations run) to its first answered request, against spawning a
//! process that does nothing (`true`) and waiting for it, which is what a process alone costs here.
//!
//! `cargo xtask bench` builds the binary in release and names it in `TOCSIN_BIN`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SAMPLES: usize = 15;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Spawn to first `200` from `/api/health`.
async fn cold_start(binary: &str) -> Duration {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let health = format!("http://127.0.0.1:{port}/api/health");
    let http = reqwest::Client::new();
    let began = Instant::now();
    let mut server = Command::new(binary)
        .env("TOCSIN_DATA_DIR", data.path())
        .env("TOCSIN_SERVER__PORT", port.to_string())
        .env("TOCSIN_DEADLINES__CHECK_EVERY_SECONDS", "86400")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{binary}: {e}"));
    let answered = loop {
        if http.get(&health).send().await.is_ok_and(|r| r.status().is_success()) {
            break began.elapsed();
        }
        assert!(began.elapsed() < Duration::from_secs(30), "no answer from {health}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();
    answered
}

/// Spawn to exit of a process that does nothing.
fn bare_process() -> Duration {
    let began = Instant::now();
    let status = Command::new("true").status().unwrap();
    assert!(status.success());
    began.elapsed()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let binary = std::env::var("TOCSIN_BIN").expect("TOCSIN_BIN names the release tocsin binary");
    let (mut starts, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        starts.push(cold_start(&binary).await);
        bare.push(bare_process());
    }
    let (start, bare) = (median(starts).as_secs_f64() * 1000.0, median(bare).as_secs_f64() * 1000.0);
    println!(
        "| API server cold start (spawn to first answer, fresh SQLite) / spawning `true`, median of {SAMPLES} | \
         {start:.1} / {bare:.1} ms = **{:.1}** | |",
        start / bare
    );
}
