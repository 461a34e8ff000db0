//! The real app in headless Chromium, used as a person would: the public form, then the dashboard.

mod every_page;
mod failures;
mod incident_journey;

use std::time::Duration;

use fantoccini::{Client, Locator};
use shared::api::{Page, ReportSummary};
use tocsin_tests::browser::{Browser, dist_dir};
use tocsin_tests::oidc_provider::{self, FakeProvider};
use tocsin_tests::{PASSWORD, PNG_BYTES, TeamAccount, TestApp, spawn_app_serving, spawn_app_with};

const WAIT: Duration = Duration::from_secs(20);

async fn app_with_ui() -> TestApp {
    let dist = dist_dir();
    assert!(
        dist.join("index.html").is_file(),
        "the app is not built at {}: `cargo xtask test` builds it before running the tests",
        dist.display()
    );
    spawn_app_serving(&dist).await
}

async fn fill(client: &Client, id: &str, text: &str) {
    let field = client.wait().at_most(WAIT).for_element(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.send_keys(text).await.unwrap();
}

/// Signs in on the sign-in page as `account` with `code` (each code works once), and waits for
/// the dashboard to show who is signed in.
async fn sign_in(c: &Client, app: &TestApp, account: &TeamAccount, code: &str) {
    c.goto(&app.url("/sign-in")).await.unwrap();
    fill(c, "email", &account.email).await;
    fill(c, "password", PASSWORD).await;
    fill(c, "code", code).await;
    c.find(Locator::Id("sign-in")).await.unwrap().click().await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Id("signed-in-as")).await.unwrap();
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Saves a screenshot of the top of the page when `TOCSIN_SCREENSHOTS` names a directory (the
/// README's pictures come from here).
async fn screenshot(client: &Client, name: &str) {
    save_screenshot(client, "window.scrollTo(0, 0)", name).await;
}

/// The same, scrolled so that the element `css` finds is at the top.
async fn screenshot_at(client: &Client, css: &str, name: &str) {
    let scroll = format!("document.querySelector({css:?}).scrollIntoView({{ block: 'start' }})");
    save_screenshot(client, &scroll, name).await;
}

async fn save_screenshot(client: &Client, scroll: &str, name: &str) {
    if let Some(dir) = std::env::var_os("TOCSIN_SCREENSHOTS") {
        client.execute(scroll, vec![]).await.unwrap();
        let png = client.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// Fills the public form as a person would, attaches a PNG, sends it and reads the reference.
async fn report_with_a_screenshot(c: &Client, app: &TestApp, files: &std::path::Path) -> String {
    c.goto(&app.url("/")).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Id("reporter_kind-customer")).await.unwrap().click().await.unwrap();
    fill(c, "name", "Grace Hopper").await;
    fill(c, "email", "grace@example.com").await;
    fill(c, "description", "I got an email asking me to confirm my password on a look-alike domain.").await;
    fill(c, "steps_to_reproduce", "Open the email\nClick the link").await;
    fill(c, "affected_system", "grace@example.com").await;
    let shot = files.join("phishing-email.png");
    std::fs::write(&shot, PNG_BYTES).unwrap();
    fill(c, "attachments", &shot.display().to_string()).await;
    screenshot(c, "report-form").await;
    c.find(Locator::Id("submit-report")).await.unwrap().click().await.unwrap();
    let reference = text_of(c, "#report-reference").await;
    assert!(reference.starts_with("TOC-"), "{reference}");
    reference
}

#[tokio::test]
async fn a_person_reports_an_incident_with_a_screenshot_and_the_team_finds_it() {
    let app = app_with_ui().await;
    let browser = Browser::launch().await;
    let c = &browser.client;

    let files = tempfile::tempdir().unwrap();
    let reference = report_with_a_screenshot(c, &app, files.path()).await;
    screenshot(c, "report-received").await;
    let stored: Page<ReportSummary> = app.get_json("/api/reports").await;
    assert_eq!(stored.items.len(), 1);
    assert_eq!(stored.items[0].reference.to_string(), reference);
    assert_eq!(app.outbox().len(), 1, "the receipt went to the outbox");

    sign_in(c, &app, &app.admin, &app.admin.recovery_codes[0]).await;
    c.goto(&app.url("/dashboard")).await.unwrap();
    let row_link = c.wait().at_most(WAIT).for_element(Locator::LinkText(&reference)).await.unwrap();
    screenshot(c, "dashboard").await;
    row_link.click().await.unwrap();
    let attachment = c.wait().at_most(WAIT).for_element(Locator::Css("a.attachment-link")).await.unwrap();
    assert!(attachment.text().await.unwrap().contains("phishing-email.png"));
    let href = attachment.attr("href").await.unwrap().expect("a download link");
    assert!(href.starts_with("/api/attachments/"), "{href}");
    let description = text_of(c, "body").await;
    assert!(description.contains("look-alike domain"));
    screenshot(c, "report-detail").await;

    let download = app.get(&href).await;
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(download.bytes().await.unwrap().as_ref(), PNG_BYTES);
    browser.close().await;
}

#[tokio::test]
async fn an_incomplete_form_shows_every_error_and_sends_nothing() {
    let app = app_with_ui().await;
    let browser = Browser::launch().await;
    let c = &browser.client;

    c.goto(&app.url("/report")).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Id("reporter_kind-employee")).await.unwrap().click().await.unwrap();
    fill(c, "email", "not-an-address").await;
    fill(c, "description", "short").await;
    c.find(Locator::Id("submit-report")).await.unwrap().click().await.unwrap();

    let summary = text_of(c, "#error-summary").await;
    assert!(summary.contains("There is a problem"), "{summary}");
    for field in ["name", "email", "description"] {
        let inline = text_of(c, &format!("#{field}-error")).await;
        // Screen readers hear an "Error:" prefix that the summary does not repeat.
        let inline = inline.trim_start_matches("Error:").trim().to_owned();
        assert!(!inline.is_empty(), "{field} shows its error inline");
        assert!(summary.contains(&inline), "the summary lists {field}: {inline}");
    }
    screenshot(c, "report-form-errors").await;
    // What was typed stays.
    let email = c.find(Locator::Id("email")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(email.as_deref(), Some("not-an-address"));
    let stored: Page<ReportSummary> = app.get_json("/api/reports").await;
    assert!(stored.items.is_empty());
    browser.close().await;
}

#[tokio::test]
async fn the_app_is_served_compressed_with_its_routes_falling_back_to_index_html() {
    let app = app_with_ui().await;
    let page = app.get("/dashboard").await;
    // The app runs under a policy with no inline script but Trunk's loaders (one per bundle),
    // allowed by their hashes; every browser test below would fail if a hash were wrong.
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{policy}");
    assert_eq!(policy.matches("'sha256-").count(), 3, "{policy}");
    assert!(!policy.contains("unsafe-inline") && policy.contains("frame-ancestors 'none'"), "{policy}");
    let whole = page.text().await.unwrap();
    assert!(whole.contains("/tocsin-app-"), "{whole}");
    for client_route in ["/dashboard/reports/TOC-2026-000001", "/sign-in", "/no-such-page"] {
        let response = app.get(client_route).await;
        assert_eq!(response.status(), 200, "{client_route}");
        assert_eq!(response.text().await.unwrap(), whole, "{client_route} loads the whole app");
    }
    // Each public page loads its own, smaller bundle.
    for (public_route, bundle) in [("/", "report"), ("/report", "report"), ("/follow-up", "follow-up")] {
        let own = std::fs::read_to_string(dist_dir().join("public").join(bundle).join("index.html")).unwrap();
        assert!(own.contains(&format!("/public/{bundle}/tocsin-{bundle}-")), "{own}");
        let response = app.get(public_route).await;
        assert_eq!(response.status(), 200, "{public_route}");
        assert_eq!(response.text().await.unwrap(), own, "{public_route} loads the {bundle} bundle");
    }
    for bundle in [dist_dir(), dist_dir().join("public/report"), dist_dir().join("public/follow-up")] {
        let wasm = std::fs::read_dir(&bundle)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|name| name.ends_with(".wasm"))
            .expect("a wasm file in the bundle");
        let path = format!("/{}", bundle.strip_prefix(dist_dir()).unwrap().join(&wasm).display());
        let response = app.client.get(app.url(&path)).header("Accept-Encoding", "br").send().await.unwrap();
        assert_eq!(response.headers()["content-encoding"], "br", "{path}");
        assert_eq!(response.headers()["content-type"], "application/wasm", "{path}");
        let sent = response.bytes().await.unwrap();
        let built = std::fs::read(bundle.join(format!("{wasm}.br"))).unwrap();
        assert_eq!(sent.len(), built.len(), "{path} is the brotli file the build wrote, not compressed again");
    }
    let api = app.get("/api/nothing-here").await;
    assert_eq!(api.status(), 404, "unknown API paths are not the app");
}

/// The XSS corpus, through every report field and a follow-up, is text wherever the team or the
/// reporter reads it: nothing runs and no element is made from it.
#[tokio::test]
async fn no_xss_payload_runs_in_the_dashboard_or_the_follow_up_page() {
    let app = app_with_ui().await;
    let mut references = Vec::new();
    for payload in tocsin_tests::XSS_CORPUS {
        let response = app.submit_json(&tocsin_tests::report_carrying(payload)).await;
        let receipt: shared::api::ReportReceipt = response.json().await.unwrap();
        references.push(receipt.reference);
    }
    let token = app.outbox()[0].follow_up_token();
    let follow_up = serde_json::json!({ "message": tocsin_tests::XSS_CORPUS.join("\n") });
    let sent = app.client.post(app.url("/api/follow-up")).bearer_auth(&token).json(&follow_up).send().await.unwrap();
    assert_eq!(sent.status(), 201);
    let open = serde_json::json!({ "title": tocsin_tests::XSS_CORPUS[1] });
    let opened = app.client.post(app.url(&format!("/api/reports/{}/incident", references[0]))).json(&open);
    let incident: shared::api::IncidentDetail = opened.send().await.unwrap().json().await.unwrap();

    let browser = Browser::launch().await;
    let c = &browser.client;
    let untouched = |path: String| async move {
        c.wait().at_most(WAIT).for_element(Locator::XPath("//*[contains(text(), 'Injection test')]")).await.unwrap();
        assert!(c.find(Locator::Id("injected")).await.is_err(), "{path} made an element from a payload");
        assert!(c.find(Locator::Css("main script, main iframe, main svg")).await.is_err(), "{path}");
        assert_ne!(c.title().await.unwrap(), "pwned", "{path} ran a payload");
        text_of(c, "main").await
    };
    c.goto(&app.url(&format!("/follow-up#{token}"))).await.unwrap();
    let page = untouched("the follow-up page".to_owned()).await;
    assert!(page.contains(tocsin_tests::XSS_CORPUS[0]), "shown as text: {page}");

    sign_in(c, &app, &app.admin, &app.admin.recovery_codes[0]).await;
    let mut paths = vec!["/dashboard".to_owned(), format!("/dashboard/incidents/{}", incident.record.reference)];
    paths.extend(references.iter().map(|reference| format!("/dashboard/reports/{reference}")));
    for path in paths {
        c.goto(&app.url(&path)).await.unwrap();
        untouched(path).await;
    }
    browser.close().await;
}

/// The dashboard sends whoever is not signed in to the sign-in page, which takes the password and
/// the authenticator's code, and comes back; signing out ends it.
#[tokio::test]
async fn the_dashboard_needs_a_sign_in_with_the_second_factor() {
    let app = app_with_ui().await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&app.url("/dashboard/metrics")).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Id("sign-in")).await.unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!((url.path(), url.query()), ("/sign-in", Some("next=%2Fdashboard%2Fmetrics")));
    fill(c, "email", &app.admin.email).await;
    fill(c, "password", PASSWORD).await;
    fill(c, "code", "000000").await;
    c.find(Locator::Id("sign-in")).await.unwrap().click().await.unwrap();
    let summary = text_of(c, "#error-summary").await;
    assert!(summary.contains("The email address, password or code is not right"), "{summary}");
    screenshot(c, "sign-in").await;

    // The next 30-second step's code: the current one was spent when the account was made.
    let code = app.admin.code_at(chrono::Utc::now() + chrono::Duration::seconds(30));
    fill(c, "code", &code).await;
    c.find(Locator::Id("sign-in")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(c, "#signed-in-as").await, "Tyler King (Admin)");
    assert!(c.current_url().await.unwrap().path().ends_with("/dashboard/metrics"), "back where it started");
    assert!(
        c.get_all_cookies().await.unwrap().iter().all(|cookie| cookie.http_only() == Some(true)),
        "no script reads them"
    );

    c.find(Locator::Id("sign-out")).await.unwrap().click().await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Id("sign-in")).await.unwrap();
    c.goto(&app.url("/dashboard")).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Id("sign-in")).await.unwrap();
    browser.close().await;
}

/// Single sign-on from the sign-in page: to the provider and back, signed in with the role its
/// groups give; a refused one comes back to the page with the reason.
#[tokio::test]
async fn single_sign_on_signs_in_with_the_providers_role() {
    let provider = FakeProvider::start().await;
    provider.set_groups(&["irt"]);
    let oidc = provider.settings();
    let app = spawn_app_with(|s| {
        s.server.static_dir = Some(dist_dir());
        s.oidc = Some(oidc);
    })
    .await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&app.url("/dashboard/metrics")).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Id("single-sign-on")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(c, "#signed-in-as").await, format!("{} (Team member)", oidc_provider::NAME));
    assert!(c.current_url().await.unwrap().path().ends_with("/dashboard/metrics"), "back where it started");

    c.find(Locator::Id("sign-out")).await.unwrap().click().await.unwrap();
    provider.set_groups(&["sales"]);
    c.wait().at_most(WAIT).for_element(Locator::Id("single-sign-on")).await.unwrap().click().await.unwrap();
    let reason = text_of(c, "#sso-error").await;
    assert!(reason.contains("in no group Tocsin knows"), "{reason}");
    browser.close().await;
}

/// An invited person chooses a password, enrols an authenticator and keeps their recovery codes.
#[tokio::test]
async fn an_invitation_enrols_a_second_factor_and_shows_the_recovery_codes_once() {
    let app = app_with_ui().await;
    let form = serde_json::json!({ "email": "nia@tocsin.example", "name": "Nia Lead", "role": "lead" });
    assert_eq!(app.client.post(app.url("/api/invitations")).json(&form).send().await.unwrap().status(), 201);
    let email = app.outbox().pop().unwrap();
    let link = email.text.split_whitespace().find(|word| word.contains("/welcome#")).unwrap().to_owned();

    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&link).await.unwrap();
    let secret = c.wait().at_most(WAIT).for_element(Locator::Id("totp-secret")).await.unwrap();
    let secret = secret.attr("data-secret").await.unwrap().expect("the secret to type into an app");
    fill(c, "password", PASSWORD).await;
    let code = tocsin_tests::totp(&secret, "nia@tocsin.example").generate_current().unwrap();
    fill(c, "code", &code).await;
    screenshot(c, "welcome").await;
    c.find(Locator::Id("accept-invitation")).await.unwrap().click().await.unwrap();
    let codes = text_of(c, "#recovery-codes").await;
    assert_eq!(codes.lines().count(), 10, "{codes}");
    c.find(Locator::Id("continue")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(c, "#signed-in-as").await, "Nia Lead (Team lead)");
    assert!(c.find(Locator::LinkText("Team")).await.is_err(), "only admins see the team page");
    browser.close().await;
}

/// In AWS mode the app sends the file straight to S3 (moto) with a ticket, then the form.
#[tokio::test]
async fn in_aws_mode_the_app_uploads_the_file_by_ticket() {
    let app = tocsin_tests::spawn_app_aws_serving(&dist_dir()).await;
    let browser = Browser::launch().await;
    let files = tempfile::tempdir().unwrap();
    let reference = report_with_a_screenshot(&browser.client, &app, files.path()).await;
    let detail: shared::api::ReportDetail = app.get_json(&format!("/api/reports/{reference}")).await;
    assert_eq!(detail.attachments.len(), 1);
    assert_eq!(detail.attachments[0].file_name, "phishing-email.png");
    let download = app.get(&format!("/api/attachments/{}", detail.attachments[0].id)).await;
    assert_eq!(download.bytes().await.unwrap().as_ref(), PNG_BYTES);
    browser.close().await;
}

/// Reports that came by email show where they came from: the sender's SPF, DKIM and DMARC, a
/// warning when DMARC failed, the files not taken; the inbound page lists every message.
#[tokio::test]
async fn a_reported_email_shows_its_senders_verdicts_and_its_refused_files() {
    use functions::service::email_intake::ArrivingEmail;
    use shared::inbound::InboundOutcome;

    let app = app_with_ui().await;
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/tests/fixtures/inbound");
    let mut references = Vec::new();
    for name in ["latin1.eml", "attachments.eml"] {
        let raw = std::fs::read(corpus.join(name)).unwrap();
        let arriving = ArrivingEmail { raw: &raw, kept_at: None, authentication: None, files_flagged: None };
        let InboundOutcome::Report { reference } = app.services.take_in_email(arriving).await.unwrap().message.outcome
        else {
            panic!("{name} did not make a report")
        };
        references.push(reference);
    }

    let browser = Browser::launch().await;
    let c = &browser.client;
    let code = app.admin.code_at(chrono::Utc::now() + chrono::Duration::seconds(30));
    sign_in(c, &app, &app.admin, &code).await;
    c.goto(&app.url("/dashboard/inbound")).await.unwrap();
    let inbound = text_of(c, "table").await;
    assert!(inbound.contains("Problème de paiement très urgent") && inbound.contains("elodie@example.fr"), "{inbound}");
    assert!(inbound.contains(&format!("New report {}", references[1])), "{inbound}");
    screenshot(c, "inbound-email").await;

    c.goto(&app.url(&format!("/dashboard/reports/{}", references[0]))).await.unwrap();
    let intake = text_of(c, ".email-intake").await;
    assert!(intake.contains("DMARC failed: the sender's address may be forged"), "{intake}");
    assert!(intake.contains("SPF\npass") || intake.contains("SPF pass"), "{intake}");

    c.goto(&app.url(&format!("/dashboard/reports/{}", references[1]))).await.unwrap();
    let refused = text_of(c, ".refused-files").await;
    assert!(refused.contains("login-page.html") && refused.contains("invoice.exe"), "{refused}");
    browser.close().await;
}
