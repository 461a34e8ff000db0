//! The functions' handlers on Lambda's events: API Gateway HTTP API (payload v2) events converted
//! by `lambda_http` exactly as the Lambda runtime does and answered by the same router as the local
//! server; the schedule's input and SES's EventBridge events handed to the event handlers. (Each
//! binary under a stand-in Lambda runtime: `functions/tests/lambda_runtime.rs`.)

use functions::service::access::Caller;
use shared::access::TeamRole;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use functions::config::Settings;
use functions::http::AppState;
use functions::lambda::{deadline_run, mail_event};
use functions::ports::{DeliveryPage, SystemClock};
use functions::startup::{app_router, local_state};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
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

/// An invocation of `payload` with `budget` left before the function's timeout.
fn invocation(payload: Value, budget: Duration) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.deadline = (SystemTime::now() + budget).duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    LambdaEvent::new(payload, context)
}

fn campaign_rig() -> (tocsin_tests::campaign::Rig, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = functions::adapters::sqlite::SqliteStore::open(&dir.path().join("tocsin.sqlite3")).unwrap();
    (tocsin_tests::campaign::rig(Arc::new(store), 1000, tocsin_tests::campaign::outbox), dir)
}

/// The scheduled run sends approved notices for the invocation's remaining time, less a margin
/// to record the last one: with 5 s left it sends nothing and says it ran out of time; with a
/// minute it sends them all.
#[tokio::test]
async fn a_scheduled_run_sends_approved_notices_within_the_invocation_time() {
    let (rig, _dir) = campaign_rig();
    let (incident, list) = rig.approved_notice(3).await;
    let scheduled = json!({ "scheduledTime": "2026-11-23T09:05:00Z", "executionId": "e1", "attemptNumber": "1" });

    let short = deadline_run(&rig.services, invocation(scheduled.clone(), Duration::from_secs(5))).await.unwrap();
    assert_eq!((short["notices"]["sent"].as_u64(), short["notices"]["out_of_time"].as_bool()), (Some(0), Some(true)));
    let full = deadline_run(&rig.services, invocation(scheduled, Duration::from_secs(60))).await.unwrap();
    assert_eq!(full["notices"]["sent"], 3, "{full}");
    assert_eq!(full["notices"]["finished"], json!([list]), "{full}");
    assert_eq!(full["execution_id"], "e1");
    assert!(
        rig.services
            .incident(&Caller::acting_as("Tocsin tests", TeamRole::Admin), incident.record.reference)
            .await
            .unwrap()
            .record
            .notices[0]
            .finished
            .is_some()
    );
}

/// SES's bounce event, as EventBridge delivers it (a real event's shape, in a fixture), about a
/// notice that went out: recorded, the delivery shows as bounced and the address is suppressed.
#[tokio::test]
async fn an_ses_bounce_from_eventbridge_marks_the_delivery_and_suppresses_the_address() {
    let (rig, _dir) = campaign_rig();
    let (incident, list) = rig.approved_notice(1).await;
    rig.send_until_finished(incident.record.reference).await;
    let sent = &rig.mailer.sent()[0];
    let mut event: Value =
        serde_json::from_str(include_str!("../../../functions/tests/fixtures/ses-bounce-eventbridge.json")).unwrap();
    event["detail"]["mail"]["messageId"] = json!(sent.message_id);
    event["detail"]["mail"]["tags"]["delivery"] = json!([sent.delivery]);

    let answer = mail_event(&rig.services, invocation(event.clone(), Duration::from_secs(30))).await.unwrap();
    assert_eq!(answer, json!({ "recorded": true }));
    let deliveries = rig.services.notices.deliveries(&list, DeliveryPage::any_state(0, 10)).await.unwrap();
    assert_eq!(deliveries[0].outcome.label(), "Bounced");
    assert!(rig.services.notices.suppression(&sent.to).await.unwrap().is_some(), "{} is suppressed", sent.to);

    // Not JSON of SES's shape: the invocation fails, so EventBridge retries it.
    event["detail"]["mail"] = json!("no mail here");
    assert!(mail_event(&rig.services, invocation(event, Duration::from_secs(30))).await.is_err());
}

/// Behind CloudFront the function sees API Gateway's `Host`, not the site's: a `POST` from the
/// public URL's origin passes the cross-site check on its `Origin` alone, one from another site
/// does not.
#[tokio::test]
async fn a_post_from_the_public_origin_passes_the_cross_site_check_behind_cloudfront() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let mut event: Value = serde_json::from_str(include_str!("../../fixtures/apigw-http-bad-json.json")).unwrap();
    event["headers"]["host"] = json!("abc123.execute-api.eu-west-1.amazonaws.com");
    let mut statuses = Vec::new();
    for origin in ["https://tocsin.example.com", "https://elsewhere.example"] {
        event["headers"]["origin"] = json!(origin);
        statuses.push(answer(&state, &event.to_string()).await.0);
    }
    assert_eq!(statuses, [400, 403], "the first reaches the handler (a malformed body), the second is refused");
}
