//! Every page of the app, with data on it, at a desktop and a phone width: axe-core finds no
//! WCAG 2.1 AA violation, nothing scrolls sideways at 320 px, and each page leaves a screenshot
//! at both widths (the README's tour uses them).

use std::path::PathBuf;

use fantoccini::Client;
use serde_json::json;
use shared::api::{IncidentDetail, ReportReceipt};
use tocsin_tests::browser::Browser;
use tocsin_tests::{PNG_BYTES, TestApp, valid_report};

use super::{app_with_ui, screenshot, sign_in};

const DESKTOP: (u32, u32) = (1280, 1000);
const PHONE: (u32, u32) = (320, 800);

/// axe-core from `tests/a11y` (`cargo xtask test` runs `npm ci` there).
fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("a11y/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; `cargo xtask test` installs axe-core", path.display()))
}

/// Waits until the page has its heading and nothing is still loading.
async fn settle(c: &Client, page: &str) {
    let ready = "return !!document.querySelector('h1') && !document.querySelector('.loading, [aria-busy=true]')";
    for _ in 0..100 {
        if c.execute(ready, vec![]).await.unwrap() == json!(true) {
            // Effects that follow the data (focus, countdowns) get a frame to run.
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{page} never finished loading");
}

/// The WCAG 2.1 A and AA rules axe-core reports as violated on the current page, one line each.
async fn axe_violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.unwrap();
    let run = r"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
            .then(result => done(result.violations.map(v =>
                `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)))
            .catch(error => done([`axe failed: ${error}`]));";
    let found = c.execute_async(run, vec![]).await.unwrap();
    serde_json::from_value(found).unwrap()
}

/// What sticks out past the window's right edge (nothing when the page does not scroll sideways):
/// the innermost elements that do, with how far.
async fn sticking_out(c: &Client) -> Vec<String> {
    let find = r"
        if (document.documentElement.scrollWidth <= window.innerWidth) return [];
        const edge = window.innerWidth;
        const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
            if (getComputedStyle(a).overflowX !== 'visible') return true; return false; };
        const out = [...document.body.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right > edge + 0.5 && !clipped(e));
        return out.filter(e => !out.some(o => o !== e && e.contains(o))).slice(0, 5).map(e =>
            `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).split(' ').join('.') : ''} by ${Math.ceil(e.getBoundingClientRect().right - edge)} px`);";
    serde_json::from_value(c.execute(find, vec![]).await.unwrap()).unwrap()
}

async fn resize(c: &Client, (width, height): (u32, u32)) {
    c.set_window_size(width, height).await.unwrap();
    let inner = c.execute("return window.innerWidth", vec![]).await.unwrap();
    assert_eq!(inner, json!(width), "the window takes the width asked for");
}

/// Checks `path` at both widths and photographs it.
async fn visit(c: &Client, app: &TestApp, axe: &str, problems: &mut Vec<String>, name: &str, path: &str) {
    for (width, size) in [("desktop", DESKTOP), ("phone", PHONE)] {
        resize(c, size).await;
        c.goto(&app.url(path)).await.unwrap();
        settle(c, path).await;
        for violation in axe_violations(c, axe).await {
            problems.push(format!("{path} at {width} width: {violation}"));
        }
        for element in sticking_out(c).await {
            problems.push(format!("{path} at {width} width scrolls sideways: {element}"));
        }
        screenshot(c, &format!("{name}-{width}")).await;
    }
}

#[tokio::test]
async fn every_page_passes_axe_fits_320_px_and_is_photographed() {
    let app = app_with_ui().await;

    // Something on every page: a report with a file and a follow-up link, an incident opened from
    // it, an emailed report with a refused file, and a second team member.
    let receipt: ReportReceipt =
        app.submit_multipart(&valid_report(), &[("screenshot.png", PNG_BYTES)]).await.json().await.unwrap();
    let report = receipt.reference.to_string();
    let follow_up = app.outbox().last().expect("a receipt").follow_up_token();
    let open = json!({ "title": "Account takeover via reused password" });
    let incident: IncidentDetail = app
        .client
        .post(app.url(&format!("/api/reports/{report}/incident")))
        .json(&open)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let incident = incident.record.reference.to_string();
    let raw = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../functions/tests/fixtures/inbound/attachments.eml"),
    )
    .unwrap();
    let arriving = functions::service::email_intake::ArrivingEmail {
        raw: &raw,
        kept_at: None,
        authentication: None,
        files_flagged: None,
    };
    app.services.take_in_email(arriving).await.unwrap();
    app.join_as("lead", "Ada Responder", "ada@tocsin.example").await;

    let public: Vec<(&str, String)> = vec![
        ("report-form", "/report".into()),
        ("follow-up", format!("/follow-up#{follow_up}")),
        ("sign-in", "/sign-in".into()),
        ("forgot-password", "/forgot-password".into()),
        ("reset-password", "/reset-password#no-such-token".into()),
        ("welcome", "/welcome#no-such-token".into()),
        ("not-found", "/no-such-page".into()),
    ];
    let dashboard: Vec<(&str, String)> = vec![
        ("reports", "/dashboard/reports".into()),
        ("report", format!("/dashboard/reports/{report}")),
        ("incidents", "/dashboard/incidents".into()),
        ("incident", format!("/dashboard/incidents/{incident}")),
        ("obligations", "/dashboard/obligations".into()),
        ("metrics", "/dashboard/metrics".into()),
        ("policy", "/dashboard/policy".into()),
        ("team", "/dashboard/team".into()),
        ("inbound", "/dashboard/inbound".into()),
        ("outbox", "/dashboard/outbox".into()),
    ];

    let browser = Browser::launch().await;
    let c = &browser.client;
    let axe = axe_source();
    let mut problems = Vec::new();
    for (name, path) in &public {
        visit(c, &app, &axe, &mut problems, name, path).await;
    }
    // The page a reporter sees once the form is sent.
    resize(c, DESKTOP).await;
    let files = tempfile::tempdir().unwrap();
    super::report_with_a_screenshot(c, &app, files.path()).await;
    for violation in axe_violations(c, &axe).await {
        problems.push(format!("the report received page: {violation}"));
    }
    screenshot(c, "report-received-desktop").await;

    let code = app.admin.code_at(chrono::Utc::now() + chrono::Duration::seconds(30));
    sign_in(c, &app, &app.admin, &code).await;
    for (name, path) in &dashboard {
        visit(c, &app, &axe, &mut problems, name, path).await;
    }
    browser.close().await;
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}
