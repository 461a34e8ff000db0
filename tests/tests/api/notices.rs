//! Customer breach notices over HTTP: composed with every section the law asks for, recipients
//! from a CSV (bad lines named), previewed, approved by a second member, then sent once to each
//! recipient with the progress readable; no field of a notice or a report adds a mail header.

use std::time::Duration;

use serde_json::{Value, json};
use shared::api::{ErrorBody, IncidentDetail, NoticeRecipientsSaved, Page, ReportReceipt, TimelineEntry};
use shared::notices::NoticeProgress;
use shared::notifications::EmailPreview;
use tocsin_tests::{PNG_BYTES, TestApp, spawn_app, valid_report};

const HEADERS: [&str; 7] = ["content-type", "date", "from", "message-id", "mime-version", "subject", "to"];

async fn declare(app: &TestApp) -> IncidentDetail {
    let form = json!({ "title": "Customer database copied", "detected_at": "", "summary": "" });
    app.client.post(app.url("/api/incidents")).json(&form).send().await.unwrap().json().await.unwrap()
}

async fn command(
    client: &reqwest::Client,
    app: &TestApp,
    incident: &IncidentDetail,
    command: Value,
) -> reqwest::Response {
    let path = format!("/api/incidents/{}/commands", incident.record.reference);
    let body = json!({ "expected_version": incident.version, "command": command });
    client.post(app.url(&path)).json(&body).send().await.unwrap()
}

fn notice(subject: &str) -> Value {
    json!({
        "subject": subject,
        "nature": "On 20 November someone copied part of our customer database.\n\nIt held names and emails.",
        "contact": "Dana Privacy, dpo@corp.example",
        "consequences": "Phishing emails that look like ours.",
        "measures": "We closed the hole and reset every password.",
        "advice": "Choose a new password; ignore emails asking for it.",
        "controller_information": "Ask dpo@corp.example for the list of your users concerned."
    })
}

fn sorted_lower(names: &[String]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_notice_is_previewed_approved_by_a_second_member_and_sent_once_to_each_customer() {
    let app = spawn_app().await;
    let incident = declare(&app).await;
    let reference = incident.record.reference;

    let mut missing = notice("Your account data");
    missing["consequences"] = json!(" ");
    let refused =
        command(&app.client, &app, &incident, json!({ "type": "draft_notice", "notice_id": null, "form": missing }));
    let refused = refused.await;
    assert_eq!(refused.status(), 422);
    let refused: ErrorBody = refused.json().await.unwrap();
    assert_eq!(refused.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["consequences"]);
    // A notice serves only duties of this incident to tell individuals, named by their ids.
    for serves in ["CA-IND", "POLICY-INTERNAL"] {
        let mut form = notice("Your account data");
        form["serves"] = json!([serves]);
        let refused =
            command(&app.client, &app, &incident, json!({ "type": "draft_notice", "notice_id": null, "form": form }));
        let refused: ErrorBody = refused.await.json().await.unwrap();
        assert_eq!(refused.fields[0].field, "serves");
        assert!(refused.fields[0].message.starts_with(serves), "{:?}", refused.fields);
    }

    // A subject shaped like an encoded word stays the text typed; it adds no header.
    let subject = "=?utf-8?q?Notice=0D=0ABcc:_attacker@evil.example?=";
    let drafted = command(
        &app.client,
        &app,
        &incident,
        json!({ "type": "draft_notice", "notice_id": null, "form": notice(subject) }),
    );
    let incident: IncidentDetail = drafted.await.json().await.unwrap();
    assert_eq!(incident.record.notices[0].content.subject, subject);

    let recipients = |csv: &str| {
        app.client
            .post(app.url(&format!("/api/incidents/{reference}/notices/1/recipients")))
            .json(&json!({ "source": "csv", "csv": csv }))
    };
    let injected = "account,name,email\nA-1,Ann,ann@example.com\nA-2,\"Eve\r\nBcc: x@evil.example\",eve@example.com\n";
    let bad = recipients(injected).send().await.unwrap();
    assert_eq!(bad.status(), 422, "a name with a line break is refused, the whole file with it");
    let bad: ErrorBody = bad.json().await.unwrap();
    assert!(bad.fields.iter().any(|f| f.message.starts_with("Line 3:")), "{:?}", bad.fields);
    let not_an_address = recipients("email\nann@example.com\nnot-an-address\n").send().await.unwrap();
    assert_eq!(not_an_address.status(), 422);

    let csv = "account,name,email,jurisdiction\nA-1,<b>Ann</b> O'Neil,Ann@Example.com,DE\nA-2,Bo,,FR\nA-3,Cy,cy@example.com,US-CA\n";
    let saved: NoticeRecipientsSaved = recipients(csv).send().await.unwrap().json().await.unwrap();
    assert_eq!(saved.count, 2);
    assert_eq!(saved.refused.len(), 1, "the account with no address is listed: {:?}", saved.refused);
    assert!(saved.refused[0].message.contains("A-2"), "{:?}", saved.refused);
    let incident = saved.incident;

    let preview: EmailPreview = app.get_json(&format!("/api/incidents/{reference}/notices/1/preview")).await;
    assert_eq!(preview.to, ["ann@example.com", "2 recipient(s)"]);
    assert!(preview.html.contains("Dear &lt;b&gt;Ann&lt;&#x2f;b&gt; O&#x27;Neil"), "{}", preview.html);
    assert!(preview.text.contains("WHAT YOU SHOULD DO\nChoose a new password"), "{}", preview.text);
    assert!(app.outbox().is_empty(), "a preview sends nothing");

    let asked = command(&app.client, &app, &incident, json!({ "type": "request_notice_approval", "notice_id": 1 }));
    let incident: IncidentDetail = asked.await.json().await.unwrap();
    let own = command(&app.client, &app, &incident, json!({ "type": "approve_notice", "notice_id": 1 })).await;
    assert_eq!(own.status(), 409);
    let own: ErrorBody = own.json().await.unwrap();
    assert!(own.message.contains("Another team member must approve"), "{}", own.message);
    assert!(app.outbox().is_empty(), "nothing goes before approval");

    // Four eyes are two accounts: a lead who shares the requester's name is another person.
    let lead = app.join_as("lead", &app.admin.name, "namesake@tocsin.example").await.client();
    let approved = command(&lead, &app, &incident, json!({ "type": "approve_notice", "notice_id": 1 })).await;
    assert_eq!(approved.status(), 200);

    let progress_path = format!("/api/incidents/{reference}/notices/1/progress");
    let mut progress: NoticeProgress = app.get_json(&progress_path).await;
    for _ in 0..100 {
        if progress.counts.settled() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        progress = app.get_json(&progress_path).await;
    }
    assert_eq!((progress.counts.sent, progress.counts.total()), (2, 2), "{progress:?}");

    let sent: Vec<_> = app.outbox().into_iter().filter(|e| e.entry.to[0].ends_with("@example.com")).collect();
    assert_eq!(sent.iter().map(|e| e.entry.to[0].as_str()).collect::<Vec<_>>(), ["ann@example.com", "cy@example.com"]);
    for email in &sent {
        assert_eq!(email.subject, subject);
        assert_eq!(sorted_lower(&email.header_names), HEADERS, "{subject}");
        assert!(email.html.contains("<p>It held names and emails.</p>"), "{}", email.html);
    }
    let timeline: Page<TimelineEntry> = app.get_json(&format!("/api/incidents/{reference}/timeline")).await;
    let summaries: Vec<&str> = timeline.items.iter().map(|e| e.summary.as_str()).collect();
    for expected in [
        "Customer notice 1: 2 recipient(s) from an imported CSV file; 1 left out: no usable email address (1)",
        "Customer notice 1 approved; sending",
        "Customer notice 1 sent to 2 recipient(s); 0 failed, 0 suppressed",
    ] {
        assert!(summaries.contains(&expected), "{expected:?} in {summaries:?}");
    }
    // The export is the record: the notice, who approved it and what its campaign did.
    let export = app.get(&format!("/api/incidents/{reference}/export.md")).await.text().await.unwrap();
    assert!(!export.contains("No notifications recorded"), "{export}");
    let line = export.lines().find(|l| l.starts_with("- Notice 1, ")).unwrap_or_else(|| panic!("{export}"));
    for part in [
        "Approved by",
        "recipients: 2 by email from an imported CSV file; 1 left out: no usable email address (1)",
        "2 sent, 0 failed, 0 suppressed",
    ] {
        assert!(line.contains(part), "{part:?} in {line}");
    }
    let latest: IncidentDetail = app.get_json(&format!("/api/incidents/{reference}")).await;
    let again = command(
        &app.client,
        &app,
        &latest,
        json!({ "type": "draft_notice", "notice_id": 1, "form": notice("Changed") }),
    );
    assert_eq!(again.await.status(), 409, "an approved notice no longer changes");
}

#[tokio::test]
async fn a_reporter_name_or_file_name_adds_no_header_to_the_receipt() {
    let app = spawn_app().await;
    let mut report = valid_report();
    report["name"] = json!("Eve\r\nBcc: attacker@evil.example");
    let refused = app.submit_multipart(&report, &[]).await;
    assert_eq!(refused.status(), 422, "a name is one line");

    let mut report = valid_report();
    report["name"] = json!("=?utf-8?q?Eve=0D=0ABcc:_x@evil.example?=");
    let files: [(&str, &[u8]); 1] = [("=?utf-8?q?shot=0D=0ABcc:_x@evil.example?=.png", PNG_BYTES)];
    let receipt = app.submit_multipart(&report, &files).await;
    assert_eq!(receipt.status(), 201);
    let _: ReportReceipt = receipt.json().await.unwrap();
    let email = app.outbox().into_iter().last().expect("the receipt");
    assert_eq!(sorted_lower(&email.header_names), HEADERS);
    assert!(email.text.contains("Hello =?utf-8?q?Eve=0D=0ABcc:_x@evil.example?="), "{}", email.text);
}
