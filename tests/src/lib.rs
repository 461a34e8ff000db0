//! The test harness: a real Tocsin server on port 0 with a fresh data directory, a client for its
//! API, and readers for what it wrote (the outbox, the attachment files). Zero-to-production style.

pub mod bench;
pub mod browser;
pub mod campaign;
pub mod checker;
pub mod conformance;
pub mod fault_proxy;
pub mod moto;
pub mod oidc_provider;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use functions::config::{
    AlertSettings, AlertSource, DeadlineSettings, EmailSettings, Mode, NotificationSettings, ServerSettings, Settings,
};
use functions::service::Services;
use functions::startup::Application;
use serde_json::{Value, json};
use shared::access::{Enrolment, InvitationForm, Welcome};
use shared::api::{OutboxEntry, Page, ReportSummary, ReportTicket};
use tempfile::TempDir;

pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// Signed in as [`ADMIN_NAME`], an admin; public routes ignore the session.
    pub client: reqwest::Client,
    /// The admin's account, for tests that sign in again or change it.
    pub admin: TeamAccount,
    pub services: Arc<Services>,
    /// The server's clock: the real time until a test moves it on.
    pub clock: Arc<ShiftedClock>,
    data_dir: TempDir,
    /// Emails sent while the harness set up (the admin's invitation), left out of [`TestApp::outbox`].
    setup_emails: usize,
}

/// The real time plus however far a test has moved it on.
#[derive(Default)]
pub struct ShiftedClock(std::sync::Mutex<chrono::Duration>);

impl ShiftedClock {
    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl functions::ports::Clock for ShiftedClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + *self.0.lock().unwrap()
    }
}

/// The admin every test server starts with; their name is the actor of the harness's requests.
pub const ADMIN_NAME: &str = "Tyler King";
pub const ADMIN_EMAIL: &str = "tyler@tocsin.example";
/// Every harness account's password.
pub const PASSWORD: &str = "a long enough passphrase";

/// An account made through a real invitation, and what its owner knows.
#[derive(Debug, Clone)]
pub struct TeamAccount {
    pub email: String,
    pub name: String,
    pub totp_secret: String,
    pub recovery_codes: Vec<String>,
    /// The instant whose code enrolled the authenticator: that code is spent.
    pub enrolled_at: chrono::DateTime<chrono::Utc>,
    /// `__Host-tocsin-session=<token>`
    pub session_cookie: String,
    /// `__Host-tocsin-device=<token>`
    pub device_cookie: String,
}

impl TeamAccount {
    /// The code the authenticator app shows at `at`.
    pub fn code_at(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        totp(&self.totp_secret, &self.email).generate(at.timestamp().unsigned_abs())
    }

    /// A client sending this account's session cookie on every request.
    pub fn client(&self) -> reqwest::Client {
        client_with_cookie(&self.session_cookie)
    }
}

pub fn totp(secret: &str, email: &str) -> totp_rs::TOTP {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().expect("a base32 secret");
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, bytes, Some("Tocsin".into()), email.into())
        .expect("a valid TOTP")
}

pub fn client_with_cookie(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().expect("a cookie header"));
    reqwest::Client::builder().default_headers(headers).build().expect("a client")
}

/// `name=value` of the `Set-Cookie` named `name` in a response.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// One email as the outbox holds it, with its parts decoded.
#[derive(Debug)]
pub struct SentEmail {
    pub entry: OutboxEntry,
    /// The message's header names in order, as a mail client parses them back.
    pub header_names: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn init_test_logging() {
    static ONCE: Once = Once::new();
    // Quiet by default; `TEST_LOG=1 cargo test` shows the server's log.
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
                .with_test_writer()
                .init();
        }
    });
}

/// A server with the API only.
pub async fn spawn_app() -> TestApp {
    spawn(None).await
}

/// A server that also serves the built app from `static_dir`.
pub async fn spawn_app_serving(static_dir: &Path) -> TestApp {
    spawn(Some(static_dir.to_path_buf())).await
}

/// A server in AWS mode: DynamoDB, S3 and SES v2 on moto, each on fresh names.
pub async fn spawn_app_aws() -> TestApp {
    spawn_aws(None).await
}

/// The same, also serving the built app from `static_dir`.
pub async fn spawn_app_aws_serving(static_dir: &Path) -> TestApp {
    spawn_aws(Some(static_dir.to_path_buf())).await
}

async fn spawn_aws(static_dir: Option<PathBuf>) -> TestApp {
    let (table, bucket) = (moto::unique("tocsin"), moto::unique("tocsin-attachments"));
    let sdk = moto::sdk_config().await;
    functions::adapters::dynamodb::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table)
        .create_table()
        .await
        .expect("moto creates the table");
    let sender = "security@tocsin.example";
    moto::prepare_bucket_and_sender(&bucket, sender).await;
    let defaults = test_settings();
    spawn_with(Settings {
        mode: Mode::Aws,
        server: ServerSettings { static_dir, ..defaults.server },
        aws: moto::settings(table, bucket),
        email: EmailSettings { sender: format!("Security team <{sender}>"), ..defaults.email.clone() },
        ..defaults
    })
    .await
}

/// The monitoring source every local test server accepts alerts from, and its secret.
pub const ALERT_SOURCE: &str = "monitoring";
pub const ALERT_SECRET: &str = "a-test-secret-of-at-least-32-characters";

async fn spawn(static_dir: Option<PathBuf>) -> TestApp {
    spawn_checking_every(static_dir, DAY_SECONDS).await
}

/// Tests read the outbox; the deadline timer stays out of their way unless a test asks for it.
const DAY_SECONDS: u64 = 24 * 60 * 60;

/// A local server whose deadline timer runs every second.
pub async fn spawn_app_checking_deadlines_every_second() -> TestApp {
    spawn_checking_every(None, 1).await
}

/// A local server checking deadlines every second, whose policy was last reviewed on `day`
/// (before Tocsin kept the register).
pub async fn spawn_app_policy_last_reviewed(day: chrono::NaiveDate) -> TestApp {
    let defaults = test_settings();
    let deadlines =
        DeadlineSettings { check_every_seconds: 1, policy_reviewed_on: Some(day), ..defaults.deadlines.clone() };
    spawn_with(Settings { deadlines, ..defaults }).await
}

async fn spawn_checking_every(static_dir: Option<PathBuf>, seconds: u64) -> TestApp {
    let defaults = test_settings();
    let source = AlertSource { secret: ALERT_SECRET.to_owned() };
    let alerts = AlertSettings { sources: [(ALERT_SOURCE.to_owned(), source)].into(), ..defaults.alerts.clone() };
    let deadlines = DeadlineSettings { check_every_seconds: seconds, ..defaults.deadlines.clone() };
    spawn_with(Settings { server: ServerSettings { static_dir, ..defaults.server }, alerts, deadlines, ..defaults })
        .await
}

/// The defaults, but with the public form's bot barrier and rate limit out of the tests' way
/// (their own tests turn them back on with [`spawn_app_with`]).
pub fn test_settings() -> Settings {
    let defaults = Settings::default();
    let server = ServerSettings { min_report_seconds: 0, public_requests_per_minute: 1_000_000, ..defaults.server };
    // No internal notifications unless a test asks: the rest count the outbox and the open
    // internal-notification duty's reminders.
    let notifications = NotificationSettings { internal: Vec::new(), ..NotificationSettings::default() };
    // The corpus's messages carry this receiving server's Authentication-Results.
    let email = EmailSettings { trusted_authserv_id: Some("mx.corp.example".into()), ..defaults.email };
    Settings { server, notifications, email, ..defaults }
}

/// A local server on [`test_settings`] changed by `change`.
pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings();
    change(&mut settings);
    spawn_with(settings).await
}

/// Starts the server on port 0 with a fresh data directory, whatever else `settings` says.
async fn spawn_with(settings: Settings) -> TestApp {
    init_test_logging();
    let data_dir = tempfile::tempdir().expect("a temporary data directory");
    let settings = Settings {
        data_dir: data_dir.path().to_path_buf(),
        server: ServerSettings { port: 0, ..settings.server },
        ..settings
    };
    let clock = Arc::new(ShiftedClock::default());
    let app = Application::build_with_clock(settings, clock.clone()).await.expect("the app builds");
    let address = format!("http://{}", app.address());
    let services = app.services();
    tokio::spawn(app.run_until_stopped());
    let admin = join(&services, &address, "admin", ADMIN_NAME, ADMIN_EMAIL, "tocsin invite-admin").await;
    let mut app = TestApp { address, client: admin.client(), admin, services, clock, data_dir, setup_emails: 0 };
    app.setup_emails = app.outbox().len();
    app
}

/// Invites someone (as the operator would) and accepts the invitation over HTTP, enrolling a new
/// authenticator secret: the account the rest of a test signs in with.
async fn join(services: &Services, address: &str, role: &str, name: &str, email: &str, by: &str) -> TeamAccount {
    let form = InvitationForm { email: email.to_owned(), name: name.to_owned(), role: role.to_owned() };
    let link = services.invitation_link(form, by).await.expect("the invitation is sent");
    let token = link.split_once('#').expect("a token after #").1.to_owned();
    let http = reqwest::Client::new();
    let enrolment: Enrolment = http
        .post(format!("{address}/api/invitations/open"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("an enrolment");
    let enrolled_at = chrono::Utc::now();
    let code = totp(&enrolment.totp_secret, email).generate(enrolled_at.timestamp().unsigned_abs());
    let accept = json!({ "token": token, "password": PASSWORD, "totp_secret": enrolment.totp_secret, "code": code });
    let response =
        http.post(format!("{address}/api/invitations/accept")).json(&accept).send().await.expect("request sent");
    assert_eq!(response.status(), 201, "accepting the invitation");
    let session_cookie = set_cookie(&response, "__Host-tocsin-session").expect("a session cookie");
    let device_cookie = set_cookie(&response, "__Host-tocsin-device").expect("a device cookie");
    let welcome: Welcome = response.json().await.expect("a welcome");
    TeamAccount {
        email: email.to_owned(),
        name: name.to_owned(),
        totp_secret: enrolment.totp_secret,
        recovery_codes: welcome.recovery_codes,
        enrolled_at,
        session_cookie,
        device_cookie,
    }
}

/// A form that passes every rule; tests change one field at a time.
pub fn valid_report() -> Value {
    json!({
        "reporter_kind": "customer",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "description": "Someone logged into my account from an address I do not know.",
        "steps_to_reproduce": "1. Open the account page\n2. Look at recent sign-ins",
        "observed_at": "2026-01-02T03:04:05Z",
        "affected_system": "customer portal, account ada@example.com"
    })
}

/// A valid one-pixel PNG.
pub const PNG_BYTES: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

impl TestApp {
    /// A new account with `role` (member, lead, admin, auditor), invited by the admin.
    pub async fn join_as(&self, role: &str, name: &str, email: &str) -> TeamAccount {
        join(&self.services, &self.address, role, name, email, ADMIN_NAME).await
    }

    /// Signs in with email, password and code, as the browser does; the raw response.
    pub async fn sign_in(&self, email: &str, password: &str, code: &str, cookies: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .post(self.url("/api/session"))
            .json(&json!({ "email": email, "password": password, "code": code }));
        if let Some(cookies) = cookies {
            request = request.header(reqwest::header::COOKIE, cookies);
        }
        request.send().await.expect("request sent")
    }

    /// A report ticket old enough for the test servers (they accept it at once).
    pub async fn report_ticket(&self) -> String {
        let ticket: ReportTicket = self.get_json("/api/report-ticket").await;
        ticket.ticket
    }

    /// The embedded store's database, opened beside the server (to inspect or tamper with it).
    pub fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.data_dir.path().join("tocsin.sqlite3")).expect("the database opens")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a report form, with a fresh ticket unless the form has one.
    pub async fn submit_json(&self, form: &Value) -> reqwest::Response {
        let form = self.with_ticket(form).await;
        self.client.post(self.url("/api/reports")).json(&form).send().await.expect("request sent")
    }

    /// The form with a fresh report ticket, unless it has one.
    pub async fn with_ticket(&self, form: &Value) -> Value {
        let mut form = form.clone();
        if let Some(fields) = form.as_object_mut()
            && !fields.contains_key("ticket")
        {
            fields.insert("ticket".to_owned(), Value::String(self.report_ticket().await));
        }
        form
    }

    /// The form as the browser sends it: a `report` JSON part and `attachment` file parts.
    pub async fn submit_multipart(&self, form: &Value, files: &[(&str, &[u8])]) -> reqwest::Response {
        let form = self.with_ticket(form).await;
        let mut body = reqwest::multipart::Form::new().text("report", form.to_string());
        for (name, bytes) in files {
            body = body.part("attachment", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()));
        }
        self.client.post(self.url("/api/reports")).multipart(body).send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("a JSON body")
    }

    /// Every stored report, following pagination to the end.
    pub async fn all_reports(&self) -> Vec<ReportSummary> {
        let mut reports = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/reports?limit=100&cursor={c}"),
                None => "/api/reports?limit=100".to_owned(),
            };
            let page: Page<ReportSummary> = self.get_json(&path).await;
            reports.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return reports,
            }
        }
    }

    /// How many attachment files are on disk.
    pub fn stored_attachment_files(&self) -> usize {
        std::fs::read_dir(self.data_dir.path().join("attachments")).map(|dir| dir.count()).unwrap_or(0)
    }

    /// The emails in the outbox since the test began, oldest first, parsed from their messages.
    pub fn outbox(&self) -> Vec<SentEmail> {
        let dir = self.data_dir.path().join("outbox");
        functions::adapters::outbox::read_outbox(&dir)
            .expect("a readable outbox")
            .into_iter()
            .skip(self.setup_emails)
            .map(|(entry, eml)| {
                let message = mail_parser::MessageParser::default().parse(&eml).expect("a parseable message");
                SentEmail {
                    header_names: message.headers().iter().map(|h| h.name().to_owned()).collect(),
                    subject: message.subject().unwrap_or_default().to_owned(),
                    text: message.body_text(0).expect("a text part").into_owned(),
                    html: message.body_html(0).expect("an HTML part").into_owned(),
                    entry,
                }
            })
            .collect()
    }
}

impl SentEmail {
    /// The private follow-up token from the link in the text part.
    pub fn follow_up_token(&self) -> String {
        let start = self.text.find("/follow-up#").expect("a follow-up link") + "/follow-up#".len();
        self.text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect()
    }
}

/// Script injection attempts, each of which would set `document.title` to `pwned` or create an
/// element with the id `injected` if it ever ran or became markup. Every report field carries them.
pub const XSS_CORPUS: &[&str] = &[
    "<script>document.title='pwned'</script>",
    "<img id=injected src=x onerror=\"document.title='pwned'\">",
    "<svg id=injected onload=\"document.title='pwned'\"></svg>",
    "\"><img id=injected src=x onerror=document.title='pwned'>",
    "'><script>document.title='pwned'</script>",
    "<iframe id=injected srcdoc=\"<script>parent.document.title='pwned'</script>\"></iframe>",
    "<a id=injected href=\"javascript:document.title='pwned'\">click</a>",
    "[click](javascript:document.title='pwned')",
    "<details id=injected open ontoggle=\"document.title='pwned'\">",
    "<math><mtext><table><mglyph><style><img id=injected src=x onerror=\"document.title='pwned'\">",
    "{{constructor.constructor('document.title=\"pwned\"')()}}",
    "<scr<script>ipt>document.title='pwned'</scr</script>ipt>",
    "&lt;script&gt;document.title='pwned'&lt;/script&gt;",
    "<body onload=\"document.title='pwned'\">",
];

/// A valid report whose every free-text field carries `payload` (names refuse `<` and `>`, so
/// the name carries only payloads without them).
pub fn report_carrying(payload: &str) -> Value {
    let mut form = valid_report();
    if !payload.contains(['<', '>']) {
        form["name"] = json!(format!("Mallory {payload}"));
    }
    form["description"] = json!(format!("Injection test {payload}"));
    form["steps_to_reproduce"] = json!(payload);
    form["affected_system"] = json!(payload);
    form
}
