//! Notifications about incidents: IT and management told when one opens (the one-hour duty met
//! with the message ids), templates an operator can replace, previews, and headers that no field
//! can add to.

use serde_json::json;
use shared::api::{IncidentDetail, Page, TimelineEntry};
use shared::deadlines::obligation::{EvidenceKind, ObligationStatus};
use shared::notifications::EmailPreview;
use tocsin_tests::{TestApp, spawn_app_with};

const IT: &str = "it@corp.example";
const CTO: &str = "cto@corp.example";

async fn app_telling_it_and_the_cto(templates: Option<std::path::PathBuf>) -> TestApp {
    spawn_app_with(|settings| {
        settings.notifications.internal = vec![IT.to_owned(), CTO.to_owned()];
        settings.email.templates_dir = templates;
    })
    .await
}

async fn declare(app: &TestApp, title: &str) -> IncidentDetail {
    let form = json!({ "title": title, "detected_at": "", "summary": "" });
    let response = app.client.post(app.url("/api/incidents")).json(&form).send().await.unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_new_incident_emails_it_and_management_and_meets_the_one_hour_duty() {
    let app = app_telling_it_and_the_cto(None).await;
    let incident = declare(&app, "Ransomware note on the file server").await;
    let reference = incident.record.reference.to_string();

    let sent = app.outbox();
    assert_eq!(sent.iter().map(|e| e.entry.to[0].as_str()).collect::<Vec<_>>(), [IT, CTO], "one message each");
    for email in &sent {
        assert_eq!(email.subject, format!("Security incident {reference}: Ransomware note on the file server"));
        assert!(email.text.contains("A security incident was declared"), "{}", email.text);
        assert!(email.text.contains("Response lead: not assigned yet"), "{}", email.text);
        assert!(email.text.contains(&format!("/dashboard/incidents/{reference}")), "{}", email.text);
        assert!(email.html.contains("<strong>Detected:</strong>"), "{}", email.html);
    }

    let duty = incident.record.obligations.iter().find(|o| o.id == "POLICY-INTERNAL").expect("the one-hour duty");
    let ObligationStatus::Met { evidence, by, .. } = &duty.status else { panic!("not met: {:?}", duty.status) };
    assert_eq!((evidence.kind, by.as_str()), (EvidenceKind::MessageId, "Tocsin"));
    for email in &sent {
        assert!(evidence.value.contains(&email.entry.id), "{} names {}", evidence.value, email.entry.id);
    }
    let timeline: Page<TimelineEntry> = app.get_json(&format!("/api/incidents/{reference}/timeline")).await;
    assert!(
        timeline.items.iter().any(|e| e.summary == format!("Internal notification sent to {IT}, {CTO}")),
        "{:?}",
        timeline.items.iter().map(|e| &e.summary).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn with_no_one_to_tell_the_duty_stays_open_for_the_checker() {
    let app = spawn_app_with(|settings| settings.notifications.internal = Vec::new()).await;
    let incident = declare(&app, "Lost laptop").await;
    assert!(app.outbox().is_empty());
    let duty = incident.record.obligations.iter().find(|o| o.id == "POLICY-INTERNAL").unwrap();
    assert_eq!(duty.status, ObligationStatus::Open);
}

#[tokio::test]
async fn an_operator_template_replaces_the_built_in_one_and_the_preview_shows_it() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(
        templates.path().join("internal_notification.txt"),
        "ACME incident desk: {{ incident }} ({{ title }}), call the bridge.\n",
    )
    .unwrap();
    let app = app_telling_it_and_the_cto(Some(templates.path().to_path_buf())).await;
    let incident = declare(&app, "Phishing <wave> & more").await;
    let reference = incident.record.reference;

    let sent = app.outbox();
    assert_eq!(
        sent[0].text.trim(),
        format!("ACME incident desk: {reference} (Phishing <wave> & more), call the bridge.")
    );
    assert!(sent[0].html.contains("Phishing &lt;wave&gt; &amp; more"), "the built-in HTML part, escaped");

    let preview: EmailPreview =
        app.get_json(&format!("/api/incidents/{reference}/notifications/internal/preview")).await;
    assert_eq!(preview.to, [IT, CTO]);
    assert_eq!(preview.subject, sent[0].subject);
    assert_eq!(preview.text, sent[0].text);
    let unknown = app.client.get(app.url(&format!("/api/incidents/{reference}/notifications/gossip/preview")));
    assert_eq!(unknown.send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_broken_operator_template_stops_the_start_with_its_name() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(templates.path().join("internal_notification.html"), "{% if %}").unwrap();
    let mut settings = tocsin_tests::test_settings();
    settings.data_dir = tempfile::tempdir().unwrap().keep();
    settings.server.port = 0;
    settings.email.templates_dir = Some(templates.path().to_path_buf());
    let error = functions::startup::Application::build(settings).await.err().expect("the start fails");
    assert!(format!("{error:#}").contains("internal_notification.html"), "{error:#}");
}

/// Titles are one line, so CR/LF never reaches a header; encoded-word look-alikes must come back
/// as the same text, not be decoded into something else.
#[tokio::test]
async fn no_title_adds_a_header_or_decodes_into_another_subject() {
    let app = app_telling_it_and_the_cto(None).await;
    let refused = app
        .client
        .post(app.url("/api/incidents"))
        .json(&json!({ "title": "Breach\r\nBcc: attacker@evil.example", "detected_at": "", "summary": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422, "a line break in a title is refused with the reason");

    let tricks = [
        "=?utf-8?q?Hello=0D=0ABcc:_attacker@evil.example?=",
        "=?utf-8?b?SGVsbG8NCkJjYzogYXR0YWNrZXJAZXZpbC5leGFtcGxl?=",
        "Caf\u{e9} \u{202e}gnp.exe Bcc: attacker@evil.example",
    ];
    for title in tricks {
        let incident = declare(&app, title).await;
        let email = app.outbox().into_iter().last().unwrap();
        assert_eq!(email.subject, format!("Security incident {}: {title}", incident.record.reference));
        let mut names: Vec<String> = email.header_names.iter().map(|n| n.to_ascii_lowercase()).collect();
        names.sort();
        assert_eq!(names, ["content-type", "date", "from", "message-id", "mime-version", "subject", "to"], "{title}");
    }
}
