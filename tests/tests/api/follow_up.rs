use serde_json::json;
use shared::api::{ErrorBody, FollowUp, FollowUpView, ReportDetail, ReportReceipt};
use shared::report::ReportStatus;
use tocsin_tests::{PNG_BYTES, TestApp, spawn_app, valid_report};

async fn submit(app: &TestApp, description: &str) -> (ReportReceipt, String) {
    let mut form = valid_report();
    form["description"] = json!(description);
    let receipt: ReportReceipt = app.submit_json(&form).await.json().await.unwrap();
    let token = app.outbox().last().expect("a receipt email").follow_up_token();
    (receipt, token)
}

async fn view(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/api/follow-up"));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_right_token_sees_only_its_own_report() {
    let app = spawn_app().await;
    let (first, first_token) = submit(&app, "First report: a suspicious login alert").await;
    let (second, second_token) = submit(&app, "Second report: a phishing email to staff").await;
    assert_ne!(first_token, second_token);

    let seen: FollowUpView = view(&app, Some(&format!("Bearer {first_token}"))).await.json().await.unwrap();
    assert_eq!(seen.reference, first.reference);
    assert_eq!(seen.description, "First report: a suspicious login alert");
    assert_eq!(seen.status, ReportStatus::Received);

    let seen: FollowUpView = view(&app, Some(&format!("Bearer {second_token}"))).await.json().await.unwrap();
    assert_eq!(seen.reference, second.reference);
}

#[tokio::test]
async fn a_wrong_or_missing_token_sees_nothing() {
    let app = spawn_app().await;
    let (_, token) = submit(&app, "A report that must stay private").await;
    let mut tampered = token.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for authorization in [
        None,
        Some("Bearer ".to_owned()),
        Some(format!("Bearer {tampered}")),
        Some(format!("Bearer {}", &token[..20])),
        Some("Bearer TOC-2026-000001".to_owned()),
        Some(format!("Basic {token}")),
        Some("Bearer !!!not base64!!!".to_owned()),
    ] {
        let response = view(&app, authorization.as_deref()).await;
        assert_eq!(response.status(), 404, "{authorization:?}");
        let body: ErrorBody = response.json().await.unwrap();
        assert!(!body.message.contains("TOC-"), "a 404 reveals nothing");
    }
}

#[tokio::test]
async fn the_reporter_adds_information_and_files_which_the_team_then_sees() {
    let app = spawn_app().await;
    let (receipt, token) = submit(&app, "Our invoices page shows other customers' data").await;
    let body = reqwest::multipart::Form::new()
        .text("follow_up", json!({ "message": "It happened again at 14:00.\nScreenshot attached." }).to_string())
        .part("attachment", reqwest::multipart::Part::bytes(PNG_BYTES.to_vec()).file_name("again.png"));
    let response = app
        .client
        .post(app.url("/api/follow-up"))
        .header("Authorization", format!("Bearer {token}"))
        .multipart(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let added: FollowUp = response.json().await.unwrap();
    assert_eq!(added.attachments[0].file_name, "again.png");

    let seen: FollowUpView = view(&app, Some(&format!("Bearer {token}"))).await.json().await.unwrap();
    assert_eq!(seen.follow_ups.len(), 1);
    assert_eq!(seen.follow_ups[0].message.as_deref(), Some("It happened again at 14:00.\nScreenshot attached."));

    let detail: ReportDetail = app.get_json(&format!("/api/reports/{}", receipt.reference)).await;
    assert_eq!(detail.follow_ups, seen.follow_ups);
    assert_eq!(app.stored_attachment_files(), 1);
}

#[tokio::test]
async fn follow_ups_need_a_message_or_a_file_and_a_valid_token() {
    let app = spawn_app().await;
    let (_, token) = submit(&app, "A report to follow up on later").await;
    let post = |authorization: String, message: &str| {
        app.client
            .post(app.url("/api/follow-up"))
            .header("Authorization", authorization)
            .json(&json!({ "message": message }))
            .send()
    };
    let response = post(format!("Bearer {token}"), "   ").await.unwrap();
    assert_eq!(response.status(), 422);
    let error: ErrorBody = response.json().await.unwrap();
    assert_eq!(error.fields[0].field, "message");

    let response = post("Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(), "hello there").await.unwrap();
    assert_eq!(response.status(), 404);
}
