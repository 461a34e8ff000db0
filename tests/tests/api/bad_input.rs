//! Bad input of every kind gets a clear 4xx in the error shape, never a 5xx, and changes nothing.

use serde_json::json;
use shared::api::{ErrorBody, ErrorCode, ReportDetail, ReportReceipt};
use tocsin_tests::{TestApp, spawn_app, valid_report};

async fn expect_error(response: reqwest::Response, status: u16, code: ErrorCode) -> ErrorBody {
    assert_eq!(response.status(), status);
    let body: ErrorBody = response.json().await.expect("the JSON error shape");
    assert_eq!(body.code, code);
    assert!(!body.message.is_empty());
    body
}

async fn post_raw(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client.post(app.url("/api/reports")).header("Content-Type", content_type).body(body).send().await.unwrap()
}

#[tokio::test]
async fn malformed_bodies_are_400_and_store_nothing() {
    let app = spawn_app().await;
    let json = "application/json";
    for (content_type, body) in [
        (json, b"{\"reporter_kind\": ".to_vec()),
        (json, b"[1, 2, 3]".to_vec()),
        (json, b"{\"description\": \"\xff\xfe invalid utf-8 \"}".to_vec()),
        (json, br#"{"reporter_kind": "customer", "is_admin": true}"#.to_vec()),
        (json, br#"{"reporter_kind": 42}"#.to_vec()),
        ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nthis is not a part".to_vec()),
        ("multipart/form-data", b"no boundary at all".to_vec()),
    ] {
        expect_error(post_raw(&app, content_type, body).await, 400, ErrorCode::MalformedRequest).await;
    }
    assert!(app.all_reports().await.is_empty());
}

#[tokio::test]
async fn multipart_parts_are_checked() {
    let app = spawn_app().await;
    let no_report = reqwest::multipart::Form::new().text("note", "hello");
    let response = app.client.post(app.url("/api/reports")).multipart(no_report).send().await.unwrap();
    let body = expect_error(response, 400, ErrorCode::MalformedRequest).await;
    assert!(body.message.contains("note"), "{}", body.message);

    let missing = reqwest::multipart::Form::new()
        .part("attachment", reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"));
    let response = app.client.post(app.url("/api/reports")).multipart(missing).send().await.unwrap();
    let body = expect_error(response, 400, ErrorCode::MalformedRequest).await;
    assert!(body.message.contains("`report` part is missing"));

    let bad_json = reqwest::multipart::Form::new().text("report", "{not json");
    let response = app.client.post(app.url("/api/reports")).multipart(bad_json).send().await.unwrap();
    expect_error(response, 400, ErrorCode::MalformedRequest).await;
    let invalid_utf8 = reqwest::multipart::Form::new()
        .part("report", reqwest::multipart::Part::bytes(b"{\"name\":\"\xc3\x28\"}".to_vec()));
    let response = app.client.post(app.url("/api/reports")).multipart(invalid_utf8).send().await.unwrap();
    expect_error(response, 400, ErrorCode::MalformedRequest).await;
    assert!(app.all_reports().await.is_empty());
}

#[tokio::test]
async fn other_content_types_are_415() {
    let app = spawn_app().await;
    expect_error(post_raw(&app, "text/plain", "hello").await, 415, ErrorCode::UnsupportedMediaType).await;
    expect_error(
        post_raw(&app, "application/x-www-form-urlencoded", "a=b").await,
        415,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app().await;
    let mut form = valid_report();
    form["description"] = json!("x".repeat(300 * 1024));
    expect_error(app.submit_json(&form).await, 413, ErrorCode::PayloadTooLarge).await;

    let huge = vec![b'a'; 52 * 1024 * 1024];
    let response = app
        .client
        .post(app.url("/api/reports"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("report", valid_report().to_string())
                .part("attachment", reqwest::multipart::Part::bytes(huge).file_name("a.log")),
        )
        .send()
        .await
        .unwrap();
    expect_error(response, 413, ErrorCode::PayloadTooLarge).await;

    let response = app
        .client
        .post(app.url(&format!("/api/reports/{}/incident", "TOC-2026-000001")))
        .header("Content-Type", "application/json")
        .body(vec![b' '; 300 * 1024])
        .send()
        .await
        .unwrap();
    expect_error(response, 413, ErrorCode::PayloadTooLarge).await;
    assert!(app.all_reports().await.is_empty());
}

#[tokio::test]
async fn query_parameters_are_checked() {
    let app = spawn_app().await;
    for path in
        ["/api/reports?status=closed", "/api/reports?cursor=abc", "/api/reports?limit=-1", "/api/reports?page=2"]
    {
        expect_error(app.get(path).await, 400, ErrorCode::MalformedRequest).await;
    }
}

/// Markup is a legitimate part of a vulnerability report, so free text keeps it verbatim; it is
/// escaped wherever it is shown (the app renders text nodes; the email's HTML part is checked here).
#[tokio::test]
async fn markup_in_free_text_is_kept_verbatim_and_escaped_in_email() {
    let app = spawn_app().await;
    let script = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let mut form = valid_report();
    for field in ["description", "steps_to_reproduce", "affected_system"] {
        form[field] = json!(format!("{field}: {script}"));
    }
    let response = app.submit_json(&form).await;
    assert_eq!(response.status(), 201);
    let receipt: ReportReceipt = response.json().await.unwrap();
    let detail: ReportDetail = app.get_json(&format!("/api/reports/{}", receipt.reference)).await;
    assert_eq!(detail.description, format!("description: {script}"));
    assert_eq!(detail.affected_system, Some(format!("affected_system: {script}")));

    let email = &app.outbox()[0];
    assert!(!email.html.contains("<script>") && !email.html.contains("<img"));
    assert!(email.html.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn responses_carry_protective_headers() {
    let app = spawn_app().await;
    let response = app.get("/api/reports").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
}

/// Random bodies under every content type, at every endpoint that takes one: never a 5xx.
#[tokio::test]
async fn random_bytes_never_cause_a_server_error() {
    use rand::{Rng, SeedableRng};
    let app = spawn_app().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x7053_1a00);
    let content_types =
        ["application/json", "multipart/form-data; boundary=b0undary", "multipart/form-data", "text/plain", ""];
    let paths = ["/api/reports", "/api/follow-up", "/api/reports/TOC-2026-000001/incident"];
    for round in 0..300 {
        let len = rng.random_range(0..2048);
        let mut body: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if round % 3 == 0 {
            // Near-misses get further into the parsers than pure noise does.
            let prefix: &[u8] = match round % 2 {
                0 => b"--b0undary\r\nContent-Disposition: form-data; name=\"report\"\r\n\r\n{\"reporter_kind\":\"",
                _ => b"{\"reporter_kind\":\"customer\",\"description\":\"",
            };
            body.splice(0..0, prefix.iter().copied());
        }
        let content_type = content_types[rng.random_range(0..content_types.len())];
        let path = paths[rng.random_range(0..paths.len())];
        let mut request = app.client.post(app.url(path)).body(body);
        if !content_type.is_empty() {
            request = request.header("Content-Type", content_type);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "round {round}: {path} {content_type:?} gave {status}");
        let error: ErrorBody = response.json().await.expect("the JSON error shape");
        assert_ne!(error.code, ErrorCode::Internal);
    }
    assert!(app.all_reports().await.is_empty());
}

/// The receipt carries the reporter's name and what they wrote: in the HTML part it is text, never
/// markup, whatever the corpus tries.
#[tokio::test]
async fn no_xss_payload_becomes_markup_in_the_receipt_email() {
    let app = tocsin_tests::spawn_app().await;
    for payload in tocsin_tests::XSS_CORPUS {
        let response = app.submit_json(&tocsin_tests::report_carrying(payload)).await;
        assert_eq!(response.status(), 201, "{payload}: {}", response.text().await.unwrap());
    }
    let emails = app.outbox();
    assert_eq!(emails.len(), tocsin_tests::XSS_CORPUS.len());
    // Only the template's own elements exist: every `<` a reporter wrote arrived escaped.
    let ours = ["!doctype", "html", "body", "p", "strong", "a", "em", "blockquote"];
    for (email, payload) in emails.iter().zip(tocsin_tests::XSS_CORPUS) {
        for tag in email.html.split('<').skip(1) {
            let name: String =
                tag.trim_start_matches('/').chars().take_while(|c| !c.is_whitespace() && *c != '>').collect();
            assert!(ours.contains(&name.to_lowercase().as_str()), "<{name}> from {payload:?} in: {}", email.html);
        }
        assert!(!email.html.contains("href=\"javascript"), "{}", email.html);
        assert!(email.text.contains(&format!("Injection test {payload}")), "the text part keeps what was written");
    }
}

#[tokio::test]
async fn every_answer_under_the_api_is_the_json_error_shape() {
    let app = spawn_app().await;
    // Path parameters that do not parse name nothing: a 404 like an unknown one.
    for path in [
        "/api/security-log/abc",
        "/api/incidents/INC-2026-000001/notices/-1/preview",
        "/api/incidents/INC-2026-000001/notices/4294967296/preview",
        "/api/no-such-route",
    ] {
        expect_error(app.get(path).await, 404, ErrorCode::NotFound).await;
    }
    // A path that exists, with a method it does not take.
    let put = app.client.put(app.url("/api/reports")).json(&valid_report()).send().await.unwrap();
    assert!(put.headers().contains_key("allow"), "405 says which methods the path takes");
    expect_error(put, 405, ErrorCode::MethodNotAllowed).await;
    assert!(app.all_reports().await.is_empty());
}

#[tokio::test]
async fn oversized_headers_get_the_json_error_shape_and_nothing_is_kept() {
    let app = spawn_app().await;
    let form = app.with_ticket(&valid_report()).await;
    let report = || app.client.post(app.url("/api/reports")).json(&form);
    // One long cookie, and one past hyper's own default buffer (about 400 KiB).
    for size in [40 * 1024, 600 * 1024] {
        let response = report().header("Cookie", format!("stale={}", "x".repeat(size))).send().await.unwrap();
        expect_error(response, 431, ErrorCode::HeadersTooLarge).await;
    }
    // More fields than the API reads (hyper's own default refuses past 100).
    let mut many = report();
    for index in 0..150 {
        many = many.header(format!("x-filler-{index}"), "1");
    }
    expect_error(many.send().await.unwrap(), 431, ErrorCode::HeadersTooLarge).await;
    assert!(app.all_reports().await.is_empty());
    // Just under the limits is served.
    let response = report().header("Cookie", format!("long={}", "x".repeat(16 * 1024))).send().await.unwrap();
    assert_eq!(response.status(), 201);
}
