//! The router as Lambda runs it: API Gateway HTTP API (payload v2) events, converted by
//! `lambda_http` exactly as the Lambda runtime does, answered by the same router as the local server.

use std::sync::Arc;

use functions::config::Settings;
use functions::http::AppState;
use functions::ports::SystemClock;
use functions::startup::{app_router, local_state};
use lambda_http::request::from_str;
use serde_json::{Value, json};
use shared::api::{ErrorBody, ErrorCode, ReportReceipt};
use tower::ServiceExt;

fn state(data_dir: &std::path::Path) -> AppState {
    let mut settings = Settings { data_dir: data_dir.to_path_buf(), ..Settings::default() };
    settings.server.min_report_seconds = 0;
    local_state(&settings, "https://tocsin.example.com".into(), Arc::new(SystemClock)).unwrap()
}

async fn answer(state: &AppState, fixture: &str) -> (u16, Vec<u8>) {
    let request = from_str(fixture).expect("a valid API Gateway v2 event");
    let response = app_router(state.clone(), None).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, body.to_vec())
}

#[tokio::test]
async fn a_report_posted_through_api_gateway_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    // The form carries the bot barrier's ticket, as the app takes it when the form opens.
    let mut event: Value = serde_json::from_str(include_str!("../../fixtures/apigw-http-submit-report.json")).unwrap();
    let mut form: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    form["ticket"] = json!(state.services.report_ticket().await.unwrap().ticket);
    event["body"] = json!(form.to_string());
    let (status, body) = answer(&state, &event.to_string()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let receipt: ReportReceipt = serde_json::from_slice(&body).unwrap();
    assert!(receipt.receipt_emailed);
    assert!(receipt.reference.to_string().starts_with("TOC-"));
}

#[tokio::test]
async fn a_base64_malformed_body_is_a_400_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = answer(&state(dir.path()), include_str!("../../fixtures/apigw-http-bad-json.json")).await;
    assert_eq!(status, 400);
    let error: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(error.code, ErrorCode::MalformedRequest);
}

/// Under Lambda the client's address is API Gateway's `sourceIp`: the public limit counts it, and a
/// forged `X-Forwarded-For` in the event does not move it.
#[tokio::test]
async fn the_public_limit_counts_the_source_ip_api_gateway_saw() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings { data_dir: dir.path().to_path_buf(), ..Settings::default() };
    settings.server.public_requests_per_minute = 2;
    let state = local_state(&settings, "https://tocsin.example.com".into(), Arc::new(SystemClock)).unwrap();
    let mut event: Value = serde_json::from_str(include_str!("../../fixtures/apigw-http-bad-json.json")).unwrap();
    let mut statuses = Vec::new();
    for forged in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        event["headers"]["x-forwarded-for"] = json!(forged);
        statuses.push(answer(&state, &event.to_string()).await.0);
    }
    assert_eq!(statuses, [400, 400, 429]);
    event["requestContext"]["http"]["sourceIp"] = json!("203.0.113.99");
    assert_eq!(answer(&state, &event.to_string()).await.0, 400, "another client has its own allowance");
}
