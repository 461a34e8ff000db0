//! Notifications about incidents: IT and management told when one opens (the one-hour duty met
//! with the message ids), templates an operator can replace, previews, and headers that no field
//! can add to.

use serde_json::json;
use shared::api::{ErrorBody, ReportDetail, ReportReceipt};
use shared::api::{IncidentDetail, Page, TimelineEntry};
use shared::audit::Verification;
use shared::deadlines::obligation::{EvidenceKind, ObligationStatus};
use shared::filings::FilingDraft;
use shared::notifications::EmailPreview;
use tocsin_tests::{TestApp, spawn_app, spawn_app_with, valid_report};

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

    let path = format!("/api/incidents/{reference}/notifications/internal/preview");
    let preview: EmailPreview =
        app.client.post(app.url(&path)).json(&json!({})).send().await.unwrap().json().await.unwrap();
    assert_eq!(preview.to, [IT, CTO]);
    assert_eq!(preview.subject, sent[0].subject);
    assert_eq!(preview.text, sent[0].text);
    let unknown = app.client.post(app.url(&format!("/api/incidents/{reference}/notifications/gossip/preview")));
    assert_eq!(unknown.json(&json!({})).send().await.unwrap().status(), 404);
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

async fn command(app: &TestApp, incident: &IncidentDetail, command: serde_json::Value) -> reqwest::Response {
    let path = format!("/api/incidents/{}/commands", incident.record.reference);
    let body = json!({ "expected_version": incident.version, "command": command });
    app.client.post(app.url(&path)).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn a_status_update_goes_to_each_stakeholder_and_onto_the_timeline() {
    let app = spawn_app().await;
    let incident = declare(&app, "Payment page defaced").await;
    let reference = incident.record.reference;
    let update = |message: &str| {
        app.client.post(app.url(&format!("/api/incidents/{reference}/updates"))).json(&json!({ "message": message }))
    };
    let none_yet: ErrorBody = update("Contained.").send().await.unwrap().json().await.unwrap();
    assert!(none_yet.message.contains("no stakeholders"), "{}", none_yet.message);

    let bad = command(
        &app,
        &incident,
        json!({ "type": "set_stakeholders", "emails": ["ceo@corp.example", "not an address"] }),
    );
    let bad = bad.await;
    assert_eq!(bad.status(), 422);
    let bad: ErrorBody = bad.json().await.unwrap();
    assert!(bad.fields[0].message.contains("\"not an address\" is not an email address"), "{:?}", bad.fields);
    let emails = json!(["CEO@corp.example", " legal@corp.example ", "ceo@corp.example", ""]);
    let set = command(&app, &incident, json!({ "type": "set_stakeholders", "emails": emails })).await;
    assert_eq!(set.status(), 200);
    let set: IncidentDetail = set.json().await.unwrap();
    assert_eq!(set.record.stakeholders, ["ceo@corp.example", "legal@corp.example"], "trimmed, lower-cased, once each");

    let path = format!("/api/incidents/{reference}/notifications/stakeholder/preview");
    let draft = json!({ "message": "Draft: *contained*." });
    let preview: EmailPreview =
        app.client.post(app.url(&path)).json(&draft).send().await.unwrap().json().await.unwrap();
    assert_eq!(preview.to, set.record.stakeholders);
    assert!(preview.text.contains("Draft: *contained*.") && preview.html.contains("<em>contained</em>"), "{preview:?}");
    assert!(app.outbox().is_empty(), "a preview sends nothing");
    let empty = update("  ").send().await.unwrap();
    assert_eq!(empty.status(), 422, "an empty update is refused");

    let posted = update("The page is restored.\n\n**Next:** rotate the CDN keys. <img src=x onerror=alert(1)>");
    let posted = posted.send().await.unwrap();
    assert_eq!(posted.status(), 201);
    let sent = app.outbox();
    assert_eq!(
        sent.iter().map(|e| e.entry.to[0].as_str()).collect::<Vec<_>>(),
        ["ceo@corp.example", "legal@corp.example"]
    );
    for email in &sent {
        assert_eq!(email.subject, format!("Update on security incident {reference}: Payment page defaced"));
        assert!(email.text.contains("**Next:** rotate the CDN keys."), "{}", email.text);
        assert!(email.html.contains("<strong>Next:</strong> rotate the CDN keys."), "{}", email.html);
        assert!(!email.html.contains("<img"), "raw HTML in an update is escaped: {}", email.html);
    }
    let timeline: Page<TimelineEntry> = app.get_json(&format!("/api/incidents/{reference}/timeline")).await;
    let entry =
        timeline.items.iter().find(|e| e.summary.starts_with("Status update sent to")).expect("on the timeline");
    assert_eq!(entry.summary, "Status update sent to ceo@corp.example, legal@corp.example");
    assert!(entry.note_html.as_deref().unwrap().contains("<strong>Next:</strong>"), "{entry:?}");
}

#[tokio::test]
async fn the_reporter_is_emailed_when_their_report_is_taken_up_or_dismissed() {
    let app = spawn_app().await;
    let taken: ReportReceipt = app.submit_json(&valid_report()).await.json().await.unwrap();
    let dismissed: ReportReceipt = app.submit_json(&valid_report()).await.json().await.unwrap();
    let mut anonymous = valid_report();
    anonymous["reporter_kind"] = json!("anonymous");
    anonymous["email"] = json!("");
    anonymous["name"] = json!("");
    let silent: ReportReceipt = app.submit_json(&anonymous).await.json().await.unwrap();
    let receipts = app.outbox().len();

    let open = app.client.post(app.url(&format!("/api/reports/{}/incident", taken.reference))).json(&json!({}));
    assert_eq!(open.send().await.unwrap().status(), 201);
    let reason = "This is about a partner's site, not ours; we passed it on to them.";
    let dismiss = app.client.post(app.url(&format!("/api/reports/{}/dismiss", dismissed.reference)));
    assert_eq!(dismiss.json(&json!({ "reason": reason })).send().await.unwrap().status(), 200);
    let dismiss_silent = app.client.post(app.url(&format!("/api/reports/{}/dismiss", silent.reference)));
    assert_eq!(dismiss_silent.json(&json!({ "reason": reason })).send().await.unwrap().status(), 200);

    let updates = &app.outbox()[receipts..];
    assert_eq!(updates.len(), 2, "no address, no email");
    assert_eq!(updates[0].entry.to, ["ada@example.com"]);
    assert_eq!(
        updates[0].subject,
        format!("Your security report {}: Under investigation by the response team", taken.reference)
    );
    assert!(updates[1].text.contains(&format!("Why: {reason}")), "{}", updates[1].text);
    assert!(updates[1].subject.contains("Closed by the response team"), "{}", updates[1].subject);

    let verify: Verification = app.get_json(&format!("/api/audit/{}/verify", dismissed.reference)).await;
    assert!(verify.is_intact() && verify.entries_checked == 2, "the dismissal and the email: {verify:?}");
    let report: ReportDetail = app.get_json(&format!("/api/reports/{}", dismissed.reference)).await;
    assert_eq!(report.dismissal_reason.as_deref(), Some(reason));
}

#[tokio::test]
async fn a_regulator_filing_is_drafted_from_the_record_and_recording_it_meets_the_duty() {
    let app = spawn_app_with(|s| s.notifications.contact_point = Some("Dana Privacy, dpo@corp.example".into())).await;
    let mut incident = declare(&app, "Customer database copied").await;
    for change in [
        json!({ "type": "set_verdict", "verdict": "confirmed", "confirmed_at": chrono::Utc::now() }),
        json!({ "type": "set_data_categories", "categories": ["Personal information"] }),
        json!({ "type": "record_investigation", "form": { "affected_estimate": "1200", "jurisdictions": ["FR"], "risk_to_people": "high_risk" } }),
    ] {
        let response = command(&app, &incident, change).await;
        assert_eq!(response.status(), 200);
        incident = response.json().await.unwrap();
    }
    let reference = incident.record.reference;
    let path = format!("/api/incidents/{reference}/filings/EU-GDPR-33");
    let draft: FilingDraft = app.get_json(&path).await;
    assert!(draft.items[0].answer.contains("About 1200 people affected") && draft.items[0].drafted, "{draft:?}");
    assert_eq!(draft.items[1].answer, "Dana Privacy, dpo@corp.example");
    assert!(draft.items[2].answer.contains("a high risk to people"), "{draft:?}");
    assert!(draft.missing.iter().any(|m| m.starts_with("Art. 33(3)(d)")), "no measures logged yet: {draft:?}");
    let not_a_filing = app.client.get(app.url(&format!("/api/incidents/{reference}/filings/POLICY-INTERNAL")));
    assert_eq!(not_a_filing.send().await.unwrap().status(), 404);

    let measures = "Access keys rotated; the export bucket made private.";
    let save = json!({ "type": "save_filing", "obligation": "EU-GDPR-33", "answers": ["", "", "", measures] });
    let saved = command(&app, &incident, save).await;
    assert_eq!(saved.status(), 200);
    incident = saved.json().await.unwrap();
    let draft: FilingDraft = app.get_json(&path).await;
    assert_eq!((draft.items[3].answer.as_str(), draft.items[3].drafted), (measures, false));

    let file = json!({ "type": "record_filing", "obligation": "EU-GDPR-33", "method": "portal", "authority_reference": "CNIL-2026-4711" });
    let filed = command(&app, &incident, file).await;
    assert_eq!(filed.status(), 200);
    let incident: IncidentDetail = filed.json().await.unwrap();
    let duty = incident.record.obligations.iter().find(|o| o.id == "EU-GDPR-33").unwrap();
    let ObligationStatus::Met { evidence, .. } = &duty.status else { panic!("{:?}", duty.status) };
    assert_eq!(
        (evidence.kind, evidence.value.as_str()),
        (EvidenceKind::FilingReference, "CNIL-2026-4711 (Online portal)")
    );
    let draft: FilingDraft = app.get_json(&path).await;
    let made = draft.filed.expect("the filing is recorded");
    assert_eq!((made.by.as_str(), made.authority_reference.as_str()), (tocsin_tests::ADMIN_NAME, "CNIL-2026-4711"));
}
