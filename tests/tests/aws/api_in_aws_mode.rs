//! The same API, spawned in AWS mode: a report with a file goes to DynamoDB and S3, its receipt
//! through SES, and the dashboard reads it all back.

use serde_json::json;
use shared::api::{ErrorBody, ErrorCode, FollowUpView, IncidentDetail, ReportDetail, ReportReceipt};
use tocsin_tests::{PNG_BYTES, moto, spawn_app_aws, valid_report};

#[tokio::test]
async fn a_report_round_trips_through_dynamodb_s3_and_ses() {
    let app = spawn_app_aws().await;
    let marker = moto::unique("aws-mode");
    let mut form = valid_report();
    form["description"] = json!(format!("Leaked API key in a public repository ({marker})"));
    let response = app.submit_multipart(&form, &[("evidence.png", PNG_BYTES)]).await;
    assert_eq!(response.status(), 201);
    let receipt: ReportReceipt = response.json().await.unwrap();
    assert!(receipt.receipt_emailed);

    let detail: ReportDetail = app.get_json(&format!("/api/reports/{}", receipt.reference)).await;
    assert!(detail.description.contains(&marker));
    let download = app.get(&format!("/api/attachments/{}", detail.attachments[0].id)).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), PNG_BYTES);

    let raw = moto::sent_raw_emails()
        .await
        .into_iter()
        .find(|m| m.contains(&receipt.reference.to_string()) && m.contains("ada@example.com"))
        .expect("the receipt went through SES");
    let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let text = parsed.body_text(0).unwrap();
    let token_start = text.find("/follow-up#").unwrap() + "/follow-up#".len();
    let token: String =
        text[token_start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c)).collect();

    let seen: FollowUpView = app
        .client
        .get(app.url("/api/follow-up"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen.reference, receipt.reference);

    let opened = app
        .client
        .post(app.url(&format!("/api/reports/{}/incident", receipt.reference)))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 201);
    let incident: IncidentDetail = opened.json().await.unwrap();
    assert_eq!(incident.reports[0].reference, receipt.reference);
    let again = app
        .client
        .post(app.url(&format!("/api/reports/{}/incident", receipt.reference)))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let error: ErrorBody = again.json().await.unwrap();
    assert_eq!(error.code, ErrorCode::Conflict);

    // The outbox exists only in local mode.
    assert_eq!(app.get("/api/outbox").await.status(), 404);
}
