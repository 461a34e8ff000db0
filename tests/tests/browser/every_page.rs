//! Every page of the app, with data on it, at a desktop and a phone width: axe-core finds no
//! WCAG 2.1 AA violation, nothing scrolls sideways at 320 px, and each page leaves a screenshot
//! at both widths (the README's tour uses them).

use std::path::PathBuf;

use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
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

const TAB: char = '\u{e004}';
const ENTER: char = '\u{e007}';

/// Presses keys as a keyboard does, on whatever has the focus (never aimed at an element).
async fn press(c: &Client, keys: impl IntoIterator<Item = char>) {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for key in keys {
        actions = actions.then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    }
    c.perform_actions(actions).await.unwrap();
}

/// Where the keyboard focus is: the element's id (or first class), and whether it shows a focus indicator.
async fn focus(c: &Client) -> (String, bool) {
    let script = "const el = document.activeElement, style = getComputedStyle(el); \
        const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0; \
        return [el.id || el.classList[0] || el.tagName.toLowerCase(), outlined || style.boxShadow !== 'none'];";
    serde_json::from_value(c.execute(script, vec![]).await.unwrap()).unwrap()
}

/// Presses Tab until the focus reaches `id`, noting every stop on the way.
async fn tab_to(c: &Client, id: &str, stops: &mut Vec<(String, bool)>) {
    for _ in 0..30 {
        press(c, [TAB]).await;
        let stop = focus(c).await;
        let arrived = stop.0 == id;
        stops.push(stop);
        if arrived {
            return;
        }
    }
    panic!("Tab never reached #{id}; the stops were {stops:?}");
}

#[tokio::test]
async fn the_report_form_is_completed_and_sent_with_the_keyboard_alone() {
    let app = app_with_ui().await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&app.url("/report")).await.unwrap();
    settle(c, "/report").await;

    let mut stops = Vec::new();
    tab_to(c, "reporter_kind-customer", &mut stops).await;
    press(c, " ".chars()).await;
    tab_to(c, "name", &mut stops).await;
    press(c, "Grace Hopper".chars()).await;
    tab_to(c, "email", &mut stops).await;
    press(c, "grace@example.com".chars()).await;
    tab_to(c, "description", &mut stops).await;
    press(c, "The password reset page tells anyone whether an email address has an account.".chars()).await;
    tab_to(c, "affected_system", &mut stops).await;
    press(c, "https://shop.example/reset".chars()).await;
    tab_to(c, "submit-report", &mut stops).await;
    press(c, [ENTER]).await;
    let reference = super::text_of(c, "#report-reference").await;

    assert_eq!(stops.first().map(|s| s.0.as_str()), Some("skip-link"), "the first stop skips to the form: {stops:?}");
    assert!(stops.iter().all(|(id, _)| id != "website"), "the bots' trap is never focused: {stops:?}");
    let unmarked: Vec<_> = stops.iter().filter(|(_, shown)| !shown).collect();
    assert!(unmarked.is_empty(), "every stop shows where the focus is; these do not: {unmarked:?}");
    let detail: shared::api::ReportDetail = app.get_json(&format!("/api/reports/{reference}")).await;
    assert_eq!(detail.reporter_name.as_deref(), Some("Grace Hopper"));
    assert_eq!(detail.affected_system.as_deref(), Some("https://shop.example/reset"));
    browser.close().await;
}
