//! What a person sees when things go wrong under them: the server down, a slow network, a
//! session that ends mid-work. Each time a clear message, and nothing they typed is lost.

use std::time::Duration;

use fantoccini::Client;
use serde_json::json;
use shared::api::IncidentDetail;
use tocsin_tests::browser::Browser;
use tocsin_tests::fault_proxy::{Fault, FaultProxy};
use tocsin_tests::{PASSWORD, client_with_cookie};

use super::incident_journey::{click, command, element, wait_for_text, wait_until};
use super::{app_with_ui, fill, screenshot, sign_in, text_of};

/// What a field holds now, as the person sees it.
async fn value_of(c: &Client, id: &str) -> String {
    element(c, id).await.prop("value").await.unwrap().unwrap_or_default()
}

const TYPED: [(&str, &str); 4] = [
    ("name", "Grace Hopper"),
    ("email", "grace@example.com"),
    ("description", "A stranger's order history showed up on my account page after I signed in."),
    ("steps_to_reproduce", "Sign in\nOpen Orders"),
];

async fn typed_is_kept(c: &Client) {
    for (id, text) in TYPED {
        assert_eq!(value_of(c, id).await, text, "#{id} kept what was typed");
    }
    assert!(element(c, "reporter_kind-customer").await.is_selected().await.unwrap());
}

#[tokio::test]
async fn the_report_form_keeps_what_was_typed_through_a_server_outage_and_a_slow_network() {
    let app = app_with_ui().await;
    let proxy = FaultProxy::start(&app.address).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&proxy.url("/report")).await.unwrap();
    click(c, "reporter_kind-customer").await;
    for (id, text) in TYPED {
        fill(c, id, text).await;
    }

    // The server goes away: the form says so and keeps everything.
    proxy.set(Fault::Down);
    click(c, "submit-report").await;
    let summary = text_of(c, ".error-summary").await;
    assert!(summary.contains("Could not reach the Tocsin server"), "{summary}");
    typed_is_kept(c).await;
    screenshot(c, "failure-server-down").await;
    assert!(app.all_reports().await.is_empty());

    // It comes back over a slow network: the wait is explained, then the report goes through once.
    proxy.set(Fault::Slow(Duration::from_secs(6)));
    click(c, "submit-report").await;
    let notice = wait_for_text(c, "#still-working", "Still working on it").await;
    assert!(notice.contains("nothing you typed is lost"), "{notice}");
    screenshot(c, "failure-slow-network").await;
    let reference = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(fantoccini::Locator::Id("report-reference"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(reference.starts_with("TOC-"), "{reference}");
    wait_until("the notice goes once the answer is in", || async {
        element(c, "still-working").await.text().await.unwrap().is_empty()
    })
    .await;
    let reports = app.all_reports().await;
    assert_eq!(reports.len(), 1, "one report, however many attempts");
    assert_eq!(reports[0].reference.to_string(), reference);
    browser.close().await;
}

#[tokio::test]
async fn a_session_that_ends_mid_work_asks_for_a_sign_in_on_the_spot_and_keeps_the_typed_note() {
    let app = app_with_ui().await;
    let declare = json!({ "title": "Leaked API key in a public repository", "detected_at": "", "summary": "" });
    let incident: IncidentDetail =
        app.client.post(app.url("/api/incidents")).json(&declare).send().await.unwrap().json().await.unwrap();
    let reference = incident.record.reference.to_string();

    let browser = Browser::launch().await;
    let c = &browser.client;
    sign_in(c, &app, &app.admin, &app.admin.recovery_codes[0]).await;
    c.goto(&app.url(&format!("/dashboard/incidents/{reference}"))).await.unwrap();
    let note = "Key revoked at 14:02; the repository owner has been asked to purge the history.";
    fill(c, "note_markdown", note).await;

    // The session ends on the server (as after 30 idle minutes) while the note is being written.
    let cookie = c.get_named_cookie("__Host-tocsin-session").await.unwrap();
    let ended = client_with_cookie(&format!("__Host-tocsin-session={}", cookie.value()));
    assert_eq!(ended.delete(app.url("/api/session")).send().await.unwrap().status(), 204);

    click(c, "add-note").await;
    wait_until("the sign-in dialog opens", || async {
        c.execute("return document.getElementById('session-ended').open", vec![]).await.unwrap() == json!(true)
    })
    .await;
    let dialog = text_of(c, "#session-ended").await;
    assert!(dialog.contains("Your session has ended"), "{dialog}");
    let focused = c.execute("return document.activeElement.id", vec![]).await.unwrap();
    assert_eq!(focused, json!("reauth_password"), "focus moves into the dialog");
    assert_eq!(value_of(c, "note_markdown").await, note, "the note is still there");
    assert!(c.current_url().await.unwrap().path().ends_with(&reference), "the page stayed where it was");
    screenshot(c, "failure-session-ended").await;

    // Signing in again in the dialog, then sending the note again.
    fill(c, "reauth_password", PASSWORD).await;
    fill(c, "reauth_code", &app.admin.recovery_codes[1]).await;
    click(c, "reauth-submit").await;
    wait_until("the dialog closes", || async {
        c.execute("return document.getElementById('session-ended').open", vec![]).await.unwrap() == json!(false)
    })
    .await;
    command(c, "add-note").await;
    wait_for_text(c, "#timeline", "purge the history").await;
    browser.close().await;
}
