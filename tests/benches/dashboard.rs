//! Dashboard reads as the history grows: the incident list (its first page, and a page ten pages
//! in through the cursor) and one incident's detail, over HTTP from the real server on SQLite, at
//! 10,000 and then 100,000 incidents. Pages are keyset-paginated on an index, so the figures
//! should not follow the history's size.
//!
//! `cargo xtask bench` runs it. `BENCH_INCIDENTS` changes the larger size (the smaller is a tenth).

use std::time::{Duration, Instant};

use chrono::Utc;
use functions::config::DeadlineSettings;
use functions::startup::load_deadlines;
use shared::api::{IncidentSummary, Page};
use tocsin_tests::bench::{commit_all, incident_commit, p50_p99};
use tocsin_tests::{TestApp, spawn_app};

const SAMPLES: usize = 300;

/// Times `SAMPLES` sequential requests to each path `path_of(i)` gives, after a warm-up.
async fn timings(app: &TestApp, path_of: impl Fn(usize) -> String) -> Vec<Duration> {
    let fetch = |path: String| async move {
        let response = app.client.get(app.url(&path)).send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.bytes().await.unwrap();
    };
    for i in 0..20 {
        fetch(path_of(i)).await;
    }
    let mut taken = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let began = Instant::now();
        fetch(path_of(i)).await;
        taken.push(began.elapsed());
    }
    taken
}

/// The cursor of the page `pages` pages in.
async fn cursor_after(app: &TestApp, pages: usize) -> String {
    let mut path = "/api/incidents".to_owned();
    let mut cursor = String::new();
    for _ in 0..pages {
        let page: Page<IncidentSummary> = app.get_json(&path).await;
        cursor = page.next_cursor.expect("more pages");
        path = format!("/api/incidents?cursor={cursor}");
    }
    cursor
}

struct Figures {
    first_page: (f64, f64),
    tenth_page: (f64, f64),
    detail: (f64, f64),
}

async fn measure(app: &TestApp, incidents: u32) -> Figures {
    let first_page = p50_p99(&mut timings(app, |_| "/api/incidents".into()).await);
    let cursor = cursor_after(app, 10).await;
    let tenth_page = p50_p99(&mut timings(app, |_| format!("/api/incidents?cursor={cursor}")).await);
    // Spread over the whole history, the same way at each size.
    let reference = |i: usize| (i as u64 * 7_919 % u64::from(incidents)) as u32 + 1;
    let detail = p50_p99(&mut timings(app, |i| format!("/api/incidents/INC-2026-{:06}", reference(i))).await);
    Figures { first_page, tenth_page, detail }
}

#[tokio::main]
async fn main() {
    let large: u32 = std::env::var("BENCH_INCIDENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let small = large / 10;
    let app = spawn_app().await;
    let deadlines = load_deadlines(&DeadlineSettings::default()).expect("the built-in rules load");
    let opened_at = Utc::now() - chrono::Duration::days(30);
    let store = app.services.incidents.clone();

    let seeding = Instant::now();
    commit_all(&store, (1..=small).map(|n| incident_commit(n, true, &deadlines, opened_at))).await;
    let at_small = measure(&app, small).await;
    commit_all(&store, (small + 1..=large).map(|n| incident_commit(n, true, &deadlines, opened_at))).await;
    let at_large = measure(&app, large).await;
    eprintln!("seeded {large} incidents in {:.0} s", seeding.elapsed().as_secs_f64());

    let row = |what: &str, (p50_small, p99_small): (f64, f64), (p50_large, p99_large): (f64, f64)| {
        println!(
            "| dashboard, {what}: p50 (p99) at {small} → {large} incidents (goal: ratio ≤ 1.2) | \
             {p50_small:.2} ({p99_small:.2}) ms → {p50_large:.2} ({p99_large:.2}) ms | **{:.2}** |",
            p50_large / p50_small
        );
    };
    row("incident list, first page", at_small.first_page, at_large.first_page);
    row("incident list, 11th page by cursor", at_small.tenth_page, at_large.tenth_page);
    row("one incident's detail", at_small.detail, at_large.detail);
}
