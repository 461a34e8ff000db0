//! The router as Lambda runs it: API Gateway HTTP API (payload v2) events, converted by
//! `lambda_http` exactly as the Lambda runtime does, answered by the same router as the local server.

use std::sync::Arc;

use functions::config::Settings;
use functions::ports::SystemClock;
use functions::startup::{app_router, local_state};
use lambda_http::request::from_str;
use shared::api::{ErrorBody, ErrorCode, ReportReceipt};
use tower::ServiceExt;

async fn answer(fixture: &str, data_dir: &std::path::Path) -> (u16, Vec<u8>) {
    let settings = Settings { data_dir: data_dir.to_path_buf(), ..Settings::default() };
    let state = local_state(&settings, "https://tocsin.example.com".into(), Arc::new(SystemClock)).unwrap();
    let request = from_str(fixture).expect("a valid API Gateway v2 event");
    let response = app_router(state, None).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, body.to_vec())
}

#[tokio::test]
async fn a_report_posted_through_api_gateway_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = answer(include_str!("../../fixtures/apigw-http-submit-report.json"), dir.path()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let receipt: ReportReceipt = serde_json::from_slice(&body).unwrap();
    assert!(receipt.receipt_emailed);
    assert!(receipt.reference.to_string().starts_with("TOC-"));
}

#[tokio::test]
async fn a_base64_malformed_body_is_a_400_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = answer(include_str!("../../fixtures/apigw-http-bad-json.json"), dir.path()).await;
    assert_eq!(status, 400);
    let error: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(error.code, ErrorCode::MalformedRequest);
}
