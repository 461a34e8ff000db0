//! What every answer carries, and requests from other sites: a page elsewhere can make a browser
//! send a request here, but a change sent that way is refused and changes nothing.

use serde_json::json;
use shared::api::{ErrorBody, ErrorCode};
use tocsin_tests::{TestApp, spawn_app, spawn_app_with, valid_report};

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
    let other_scheme = own_origin.replacen("http://", "https://", 1);
    for headers in [
        vec![("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example")],
        vec![("Sec-Fetch-Site", "same-site"), ("Origin", "https://sub.tocsin.example")],
        // A browser too old to send Sec-Fetch-Site still names the page's origin.
        vec![("Origin", "https://evil.example")],
        // Sec-Fetch-Site is not believed over an Origin that names another site or scheme.
        vec![("Sec-Fetch-Site", "same-origin"), ("Origin", "https://evil.example")],
        vec![("Sec-Fetch-Site", "same-origin"), ("Origin", &other_scheme)],
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

#[tokio::test]
async fn the_report_form_refuses_bots_with_a_clear_error_and_stores_nothing() {
    let app = spawn_app_with(|settings| settings.server.min_report_seconds = 2).await;
    let ticket = app.report_ticket().await;
    let cases = [
        ("website", json!({ "ticket": ticket, "website": "https://spam.example" })),
        ("ticket", json!({ "ticket": ticket })),
        ("ticket", json!({ "ticket": "" })),
        ("ticket", json!({ "ticket": format!("{}0", ticket) })),
        ("ticket", json!({ "ticket": "1000.00" })),
    ];
    for (field, extra) in cases {
        let mut form = valid_report();
        form.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let response = app.submit_json(&form).await;
        assert_eq!(response.status(), 422, "{form}");
        let body: ErrorBody = response.json().await.unwrap();
        assert_eq!(body.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), [field], "{form}");
    }
    assert!(app.all_reports().await.is_empty(), "nothing was stored");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let mut form = valid_report();
    form["ticket"] = json!(ticket);
    assert_eq!(app.submit_json(&form).await.status(), 201, "a person, a few seconds later");

    // A ticket makes one report: sent again, it is refused and the form takes a fresh one.
    let again = app.submit_json(&form).await;
    assert_eq!(again.status(), 422);
    let body: ErrorBody = again.json().await.unwrap();
    assert_eq!(body.fields[0].field, "ticket");
    assert!(body.fields[0].message.contains("sent already"), "{body:?}");
    assert_eq!(app.all_reports().await.len(), 1, "the replay stored nothing");
}

#[tokio::test]
async fn one_ticket_sent_twenty_times_at_once_makes_one_report() {
    let app = std::sync::Arc::new(spawn_app().await);
    let form = app.with_ticket(&valid_report()).await;
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (app, form) = (app.clone(), form.clone());
        sends.spawn(async move { app.submit_json(&form).await.status().as_u16() });
    }
    let mut statuses = sends.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses, [[201].as_slice(), &[422; 19]].concat());
    assert_eq!(app.all_reports().await.len(), 1);
}

#[tokio::test]
async fn public_routes_are_limited_per_client_and_a_forged_forwarded_for_changes_nothing() {
    let app = spawn_app_with(|settings| settings.server.public_requests_per_minute = 3).await;
    let ticket = |forwarded: &str| {
        reqwest::Client::new().get(app.url("/api/report-ticket")).header("X-Forwarded-For", forwarded).send()
    };
    // The harness's own sign-up spent some of this minute's allowance already.
    let mut statuses = Vec::new();
    for n in 0..4 {
        let response = ticket(&format!("198.51.100.{n}")).await.unwrap();
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses.last(), Some(&429), "a new X-Forwarded-For from the same client is the same client");
    assert!(statuses.windows(2).all(|pair| pair[0] == 200 || pair[1] == 429), "{statuses:?}");
    assert_eq!(app.get("/api/reports").await.status(), 200, "the signed-in dashboard is not limited");

    // Behind a trusted proxy, the address it saw counts, and forging the left of the chain does not help.
    let proxied = spawn_app_with(|settings| {
        settings.server.public_requests_per_minute = 2;
        settings.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let via_proxy = |forwarded: &str| {
        reqwest::Client::new().get(proxied.url("/api/report-ticket")).header("X-Forwarded-For", forwarded).send()
    };
    for forged in ["1.1.1.1, 203.0.113.5", "2.2.2.2, 203.0.113.5"] {
        assert_eq!(via_proxy(forged).await.unwrap().status(), 200);
    }
    assert_eq!(via_proxy("3.3.3.3, 203.0.113.5").await.unwrap().status(), 429);
    assert_eq!(via_proxy("203.0.113.6").await.unwrap().status(), 200, "another client has its own allowance");
}
