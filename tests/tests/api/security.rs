//! What every answer carries, and requests from other sites: a page elsewhere can make a browser
//! send a request here, but a change sent that way is refused and changes nothing.

use shared::api::{ErrorBody, ErrorCode};
use tocsin_tests::{TestApp, spawn_app, valid_report};

fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let headers = response.headers();
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let policy = header("content-security-policy");
    for directive in ["base-uri 'none'", "frame-ancestors 'none'"] {
        assert!(policy.contains(directive), "{what}: {directive} missing from {policy:?}");
    }
    assert!(!policy.contains("unsafe-inline"), "{what}: {policy}");
    assert!(header("strict-transport-security").starts_with("max-age="), "{what}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
}

#[tokio::test]
async fn api_answers_and_downloads_carry_the_security_headers() {
    let app = spawn_app().await;
    assert_security_headers(&app.get("/api/health").await, "an answer");
    assert_security_headers(&app.get("/api/nothing-here").await, "a 404");
    let receipt: shared::api::ReportReceipt =
        app.submit_multipart(&valid_report(), &[("shot.png", tocsin_tests::PNG_BYTES)]).await.json().await.unwrap();
    let report: shared::api::ReportDetail = app.get_json(&format!("/api/reports/{}", receipt.reference)).await;
    let download = app.get(&format!("/api/attachments/{}", report.attachments[0].id)).await;
    assert_security_headers(&download, "a download");
    let policy = download.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("sandbox;") && policy.contains("default-src 'none'"), "{policy}");
}

async fn post_from(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.post(app.url("/api/reports")).json(&app.with_ticket(&valid_report()).await);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn changes_sent_from_another_site_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let own_origin = app.address.clone();
    for headers in [
        vec![("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example")],
        vec![("Sec-Fetch-Site", "same-site"), ("Origin", "https://sub.tocsin.example")],
        // A browser too old to send Sec-Fetch-Site still names the page's origin.
        vec![("Origin", "https://evil.example")],
    ] {
        let response = post_from(&app, &headers).await;
        assert_eq!(response.status(), 403, "{headers:?}");
        let body: ErrorBody = response.json().await.expect("the JSON error shape");
        assert_eq!(body.code, ErrorCode::Forbidden);
    }
    assert!(app.all_reports().await.is_empty(), "nothing was stored");

    // The app itself, and clients that are not browsers, send as before.
    let same_origin = post_from(&app, &[("Sec-Fetch-Site", "same-origin"), ("Origin", &own_origin)]).await;
    assert_eq!(same_origin.status(), 201);
    assert_eq!(post_from(&app, &[]).await.status(), 201);
    // Reading from another site is not a change; the same-origin policy keeps the answer from it.
    let read = app.client.get(app.url("/api/health")).header("Sec-Fetch-Site", "cross-site").send().await.unwrap();
    assert_eq!(read.status(), 200);
}
