use serde_json::json;
use shared::api::{IncidentDetail, IncidentSummary, OutboxEntry, Page, ReportDetail, ReportReceipt, ReportSummary};
use shared::report::ReportStatus;
use tocsin_tests::{PNG_BYTES, TestApp, spawn_app, valid_report};

async fn submit_numbered(app: &TestApp, count: usize) -> Vec<ReportReceipt> {
    let mut receipts = Vec::new();
    for n in 0..count {
        let mut form = valid_report();
        form["description"] = json!(format!("Report number {n}: unexpected password reset"));
        receipts.push(app.submit_json(&form).await.json().await.unwrap());
    }
    receipts
}

#[tokio::test]
async fn reports_are_listed_newest_first_in_pages() {
    let app = spawn_app().await;
    let receipts = submit_numbered(&app, 7).await;
    let first: Page<ReportSummary> = app.get_json("/api/reports?limit=3").await;
    let second: Page<ReportSummary> =
        app.get_json(&format!("/api/reports?limit=3&cursor={}", first.next_cursor.clone().unwrap())).await;
    let third: Page<ReportSummary> =
        app.get_json(&format!("/api/reports?limit=3&cursor={}", second.next_cursor.clone().unwrap())).await;
    assert_eq!(third.next_cursor, None);
    let listed: Vec<_> = [first.items, second.items, third.items].concat().into_iter().map(|r| r.reference).collect();
    let expected: Vec<_> = receipts.iter().rev().map(|r| r.reference).collect();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn opening_an_incident_triages_the_report_and_the_filter_follows() {
    let app = spawn_app().await;
    let receipts = submit_numbered(&app, 3).await;
    let triaged = receipts[1].reference;
    let response = app
        .client
        .post(app.url(&format!("/api/reports/{triaged}/incident")))
        .json(&json!({ "title": "Account takeover wave" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let incident: IncidentDetail = response.json().await.unwrap();
    assert!(incident.record.reference.to_string().starts_with("INC-"));
    assert_eq!(incident.record.title, "Account takeover wave");
    assert_eq!(incident.reports.iter().map(|r| r.reference).collect::<Vec<_>>(), [triaged]);
    assert_eq!(incident.detected_at, incident.reports[0].received_at, "detection defaults to the earliest report");

    let received: Page<ReportSummary> = app.get_json("/api/reports?status=received").await;
    assert_eq!(received.items.len(), 2);
    assert!(received.items.iter().all(|r| r.status == ReportStatus::Received));
    let only_triaged: Page<ReportSummary> = app.get_json("/api/reports?status=triaged").await;
    assert_eq!(
        only_triaged.items.iter().map(|r| (r.reference, r.incident)).collect::<Vec<_>>(),
        [(triaged, Some(incident.record.reference))]
    );

    let incidents: Page<IncidentSummary> = app.get_json("/api/incidents").await;
    assert_eq!(incidents.items.len(), 1);
    assert_eq!(incidents.items[0].report_count, 1);
    let detail: ReportDetail = app.get_json(&format!("/api/reports/{triaged}")).await;
    assert_eq!(detail.incident, Some(incident.record.reference));

    // A report joins one incident only.
    let again =
        app.client.post(app.url(&format!("/api/reports/{triaged}/incident"))).json(&json!({})).send().await.unwrap();
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn an_empty_title_takes_the_report_headline() {
    let app = spawn_app().await;
    let receipt = &submit_numbered(&app, 1).await[0];
    let response = app
        .client
        .post(app.url(&format!("/api/reports/{}/incident", receipt.reference)))
        .json(&json!({ "title": "" }))
        .send()
        .await
        .unwrap();
    let incident: IncidentDetail = response.json().await.unwrap();
    assert_eq!(incident.record.title, "Report number 0: unexpected password reset");
}

#[tokio::test]
async fn attachments_download_as_attachments_never_inline() {
    let app = spawn_app().await;
    let receipt: ReportReceipt =
        app.submit_multipart(&valid_report(), &[("my screen \"shot\".png", PNG_BYTES)]).await.json().await.unwrap();
    let response = app.get(&format!("/api/attachments/{}", receipt.attachments[0].id)).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''my%20screen%20shot%2Epng"), "{disposition}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-type"], "image/png");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG_BYTES);

    assert_eq!(app.get("/api/attachments/00000000-0000-0000-0000-000000000000").await.status(), 404);
    assert_eq!(app.get("/api/attachments/..%2F..%2Ftocsin.sqlite3").await.status(), 404);
}

#[tokio::test]
async fn the_outbox_lists_sent_email_and_serves_the_eml() {
    let app = spawn_app().await;
    submit_numbered(&app, 2).await;
    let outbox: Page<OutboxEntry> = app.get_json("/api/outbox").await;
    assert_eq!(outbox.items.len(), 3, "the two receipts and the admin's invitation");
    assert!(outbox.items[0].written_at >= outbox.items[1].written_at);
    let response = app.get(&format!("/api/outbox/{}", outbox.items[0].id)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "message/rfc822");
    let eml = response.text().await.unwrap();
    assert!(eml.contains("Subject: We received your security report TOC-"));
}

#[tokio::test]
async fn unknown_references_are_404() {
    let app = spawn_app().await;
    for path in
        ["/api/reports/TOC-2026-999999", "/api/reports/not-a-reference", "/api/incidents/INC-2026-000001", "/api/nope"]
    {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}

#[tokio::test]
async fn local_mode_takes_files_inside_the_form_and_issues_no_upload_tickets() {
    let app = spawn_app().await;
    let settings: shared::api::ClientSettings = app.get_json("/api/client-settings").await;
    assert_eq!(settings.upload_method, shared::api::UploadMethod::Multipart);
    let response = app
        .client
        .post(app.url("/api/uploads"))
        .json(&json!({ "file_name": "a.png", "size_bytes": 70 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
