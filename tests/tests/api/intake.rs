use std::collections::HashSet;

use serde_json::{Value, json};
use shared::api::{ErrorBody, ErrorCode, ReportDetail, ReportReceipt};
use tocsin_tests::{PNG_BYTES, spawn_app, valid_report};

fn with(field: &str, value: &str) -> Value {
    let mut form = valid_report();
    form[field] = json!(value);
    form
}

#[tokio::test]
async fn a_valid_report_is_stored_with_a_reference_and_a_receipt_is_emailed() {
    let app = spawn_app().await;
    let response = app
        .submit_multipart(&valid_report(), &[("screenshot.png", PNG_BYTES), ("auth.log", b"sshd: failed login\n")])
        .await;
    assert_eq!(response.status(), 201);
    let receipt: ReportReceipt = response.json().await.unwrap();
    assert!(receipt.reference.to_string().starts_with("TOC-"));
    assert!(receipt.receipt_emailed);
    assert_eq!(receipt.follow_up_url, None, "the private link travels only by email when there is one");
    assert_eq!(receipt.attachments.len(), 2);
    // Computed independently (`sha256sum`) from the bytes of PNG_BYTES.
    assert_eq!(receipt.attachments[0].sha256, "4ff6ab670a58c14270e034e2090d9a432caa263a14e0a25785386b0c12f880b5");

    let detail: ReportDetail = app.get_json(&format!("/api/reports/{}", receipt.reference)).await;
    assert_eq!(detail.reporter_email.as_deref(), Some("ada@example.com"));
    assert_eq!(detail.steps_to_reproduce.as_deref(), Some("1. Open the account page\n2. Look at recent sign-ins"));
    assert_eq!(
        detail.attachments.iter().map(|a| a.file_name.as_str()).collect::<Vec<_>>(),
        ["screenshot.png", "auth.log"]
    );
    assert_eq!(app.stored_attachment_files(), 2);

    let outbox = app.outbox();
    assert_eq!(outbox.len(), 1);
    let receipt_email = &outbox[0];
    assert_eq!(receipt_email.entry.to, ["ada@example.com"]);
    assert!(receipt_email.subject.contains(&receipt.reference.to_string()));
    let token = receipt_email.follow_up_token();
    assert!(receipt_email.text.contains(&format!("{}/follow-up#{token}", app.address)));
    // The HTML part escapes the link's slashes as entities; the token itself must be there.
    assert!(receipt_email.html.contains(&format!("follow-up#{token}")));
    for part in [&receipt_email.text, &receipt_email.html] {
        assert!(part.contains(&receipt.reference.to_string()));
    }
    assert!(token.len() >= 43, "at least 256 bits, base64url");
}

#[tokio::test]
async fn anonymous_reports_need_no_contact_and_get_their_private_link_on_screen() {
    let app = spawn_app().await;
    let mut form = with("reporter_kind", "anonymous");
    form["name"] = json!("");
    form["email"] = json!("");
    let response = app.submit_json(&form).await;
    assert_eq!(response.status(), 201);
    let receipt: ReportReceipt = response.json().await.unwrap();
    assert!(!receipt.receipt_emailed);
    let link = receipt.follow_up_url.expect("the only way back is shown once");
    assert!(link.starts_with(&format!("{}/follow-up#", app.address)));
    assert!(app.outbox().is_empty());
}

/// Every rule of the form: the response names the field, and nothing is stored or sent.
#[tokio::test]
async fn each_validation_rule_is_a_422_naming_the_field_and_stores_nothing() {
    let app = spawn_app().await;
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(&str, Value)> = vec![
        ("reporter_kind", with("reporter_kind", "")),
        ("reporter_kind", with("reporter_kind", "martian")),
        ("name", with("name", "")),
        ("name", with("name", &long(201))),
        ("name", with("name", "Ada\u{0007}")),
        ("name", with("name", "<b>Ada</b>")),
        ("email", with("email", "")),
        ("email", with("email", "ada.example.com")),
        ("email", with("email", "ada@localhost")),
        ("email", with("email", &format!("{}@example.com", long(250)))),
        ("description", with("description", "")),
        ("description", with("description", "too short")),
        ("description", with("description", &long(20_001))),
        ("description", with("description", "A long enough text with a NUL \u{0000} inside")),
        ("steps_to_reproduce", with("steps_to_reproduce", &long(20_001))),
        ("observed_at", with("observed_at", "2999-01-01T00:00:00Z")),
        ("observed_at", with("observed_at", "1999-12-31T23:59:59Z")),
        ("observed_at", with("observed_at", "last Tuesday")),
        ("affected_system", with("affected_system", "line one\nline two")),
        ("affected_system", with("affected_system", &long(501))),
    ];
    for (field, form) in cases {
        for response in [app.submit_json(&form).await, app.submit_multipart(&form, &[("a.png", PNG_BYTES)]).await] {
            assert_eq!(response.status(), 422, "{field}: {form}");
            let error: ErrorBody = response.json().await.unwrap();
            assert_eq!(error.code, ErrorCode::ValidationFailed);
            assert_eq!(error.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), [field], "{form}");
            assert!(!error.fields[0].message.is_empty());
        }
    }
    assert!(app.all_reports().await.is_empty());
    assert_eq!(app.stored_attachment_files(), 0);
    assert!(app.outbox().is_empty());
}

#[tokio::test]
async fn all_failing_fields_are_reported_together_in_form_order() {
    let app = spawn_app().await;
    let response = app.submit_json(&json!({ "reporter_kind": "employee" })).await;
    assert_eq!(response.status(), 422);
    let error: ErrorBody = response.json().await.unwrap();
    assert_eq!(error.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["name", "email", "description"]);
}

#[tokio::test]
async fn oversize_attachments_are_413_and_store_nothing() {
    let app = spawn_app().await;
    let mut big = b"log line\n".repeat(10 * 1024 * 1024 / 9 + 1);
    big.truncate(10 * 1024 * 1024 + 1);
    let response = app.submit_multipart(&valid_report(), &[("ok.png", PNG_BYTES), ("huge.log", &big)]).await;
    assert_eq!(response.status(), 413);
    let error: ErrorBody = response.json().await.unwrap();
    assert_eq!(error.code, ErrorCode::PayloadTooLarge);
    assert_eq!(error.fields[0].field, "attachments");
    assert!(error.message.contains("huge.log"));
    assert!(app.all_reports().await.is_empty());
    assert_eq!(app.stored_attachment_files(), 0);
}

#[tokio::test]
async fn exactly_ten_megabytes_is_accepted() {
    let app = spawn_app().await;
    let mut log = b"a".repeat(10 * 1024 * 1024);
    log[0] = b'#';
    let response = app.submit_multipart(&valid_report(), &[("big.log", &log)]).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn more_than_five_files_is_refused_on_the_attachments_field() {
    let app = spawn_app().await;
    let files: Vec<(&str, &[u8])> = (0..6).map(|_| ("shot.png", PNG_BYTES)).collect();
    let response = app.submit_multipart(&valid_report(), &files).await;
    assert_eq!(response.status(), 422);
    let error: ErrorBody = response.json().await.unwrap();
    assert_eq!(error.fields[0].field, "attachments");
    assert!(app.all_reports().await.is_empty());
    assert_eq!(app.stored_attachment_files(), 0);
}

#[tokio::test]
async fn refused_types_are_415_whatever_the_file_name_says() {
    let app = spawn_app().await;
    let cases: [(&str, &[u8]); 6] = [
        ("cute.png", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"),
        ("photo.jpg", b"<html><body onload=alert(1)>"),
        ("logo.png", b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"),
        ("archive.png", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
        ("program.log", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
        ("renamed.pdf", PNG_BYTES),
    ];
    for (name, bytes) in cases {
        let response = app.submit_multipart(&valid_report(), &[("fine.png", PNG_BYTES), (name, bytes)]).await;
        assert_eq!(response.status(), 415, "{name}");
        let error: ErrorBody = response.json().await.unwrap();
        assert_eq!(error.code, ErrorCode::UnsupportedMediaType);
        assert_eq!(error.fields[0].field, "attachments");
        assert!(error.message.contains(name), "the message names the file: {}", error.message);
    }
    assert!(app.all_reports().await.is_empty());
    assert_eq!(app.stored_attachment_files(), 0);
}

#[tokio::test]
async fn two_hundred_concurrent_submissions_are_all_stored_with_unique_references() {
    let app = std::sync::Arc::new(spawn_app().await);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..200 {
        let app = app.clone();
        tasks.spawn(async move {
            let form = with("description", &format!("Concurrent report number {n} about a phishing email"));
            let response = app.submit_json(&form).await;
            assert_eq!(response.status(), 201);
            response.json::<ReportReceipt>().await.unwrap().reference
        });
    }
    let references: Vec<_> = tasks.join_all().await;
    let unique: HashSet<_> = references.iter().collect();
    assert_eq!(unique.len(), 200);

    let stored = app.all_reports().await;
    assert_eq!(stored.len(), 200);
    let stored_references: HashSet<_> = stored.iter().map(|r| r.reference).collect();
    assert_eq!(stored_references, references.iter().copied().collect());
    let descriptions: HashSet<_> = stored.iter().map(|r| r.headline.clone()).collect();
    assert_eq!(descriptions.len(), 200, "no report was stored twice");
    let mut numbers: Vec<_> = references.iter().map(|r| r.number).collect();
    numbers.sort();
    assert_eq!(numbers, (1..=200).collect::<Vec<_>>(), "references are sequential without gaps");
    assert_eq!(app.outbox().len(), 200);
}
