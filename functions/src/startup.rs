//! Wiring: adapters chosen from settings, the router, and the listener. `main` and the test
//! harness both go through [`Application::build`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use chrono::NaiveTime;
use tokio::net::TcpListener;
#[cfg(feature = "local")]
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

#[cfg(feature = "local")]
use crate::adapters::{local_files::LocalAttachmentStore, outbox::OutboxMailer, sqlite::SqliteStore};
use crate::config::{DeadlineSettings, Mode, Settings};
use crate::http::security::{ContentSecurityPolicy, secured};
use crate::http::{AppState, api_router};
use crate::ports::{AttachmentStore, Clock, Mailer, Store, SystemClock};
use crate::service::CampaignSettings;
use crate::service::email::EmailTemplates;
use crate::service::export_templates::ExportTemplates;
use crate::service::oidc_provider::OidcProvider;
use crate::service::{AlertIntake, DeadlineContacts, Services};
use shared::deadlines::calendar::{BUILT_IN_CALENDARS, Calendars, CalendarsFile};
use shared::deadlines::obligation::Deadlines;
use shared::deadlines::rules::{BUILT_IN_RULES, Organisation, RuleSet, RulesFile};
use shared::workflow::tasks::Playbook;

pub struct Application {
    listener: TcpListener,
    router: Router,
    address: SocketAddr,
    services: Arc<Services>,
}

impl Application {
    /// Binds the listener first, so port 0 resolves to the real port before links are built.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// The same on another clock (tests move time on to see deadlines pass).
    pub async fn build_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        settings.validate()?;
        let listener = TcpListener::bind(settings.address())
            .await
            .with_context(|| format!("listening on {}", settings.address()))?;
        let address = listener.local_addr()?;
        let public_url = settings.server.public_url.clone().unwrap_or_else(|| format!("http://{address}"));
        let state = build_state(&settings, public_url, clock.clone()).await?;
        if settings.mode == Mode::Local {
            link_participants_once(state.services.clone());
            let every = std::time::Duration::from_secs(settings.deadlines.check_every_seconds);
            spawn_deadline_timer(state.services.clone(), clock, every);
        }
        let services = state.services.clone();
        let router = app_router(state, settings.server.static_dir.as_deref());
        Ok(Self { listener, router, address, services })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The use cases behind the router, for operator commands and test set-up.
    pub fn services(&self) -> Arc<Services> {
        self.services.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        crate::http::serve(self.listener, self.router, shutdown_signal()).await
    }
}

/// Local mode's stand-in for the EventBridge schedule: the same `run_due` and `send_notices`, on a timer.
fn spawn_deadline_timer(services: Arc<Services>, clock: Arc<dyn Clock>, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = services.run_due(clock.now()).await {
                tracing::error!(%error, "the deadline check failed; it runs again on the next tick");
            }
            // Approved notices are sent on approval; this carries on what a restart interrupted.
            if let Err(error) = services.send_notices(every).await {
                tracing::error!(%error, "sending customer notices failed; it runs again on the next tick");
            }
        }
    });
}

async fn shutdown_signal() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::warn!(%error, "cannot listen for Ctrl-C; stop the process to shut down");
        std::future::pending::<()>().await;
    }
}

/// Links participants named before accounts decided access, in the background, once per start.
pub fn link_participants_once(services: Arc<Services>) {
    tokio::spawn(async move {
        match services.link_participants().await {
            Ok(links) if links.unlinked > 0 => tracing::warn!(
                linked = links.linked,
                unlinked = links.unlinked,
                "some incident participants match no single account; their incidents show who"
            ),
            Ok(links) => tracing::info!(linked = links.linked, "incident participants linked to accounts"),
            Err(error) => tracing::error!(error = %error, "linking incident participants to accounts failed"),
        }
    });
}

/// What a function binary starts from: the services its settings ask for, and whether it runs
/// under Lambda (`AWS_LAMBDA_RUNTIME_API` set), with telemetry set up for that.
pub async fn function_services() -> anyhow::Result<(Arc<Services>, bool)> {
    let settings = Settings::load()?;
    let lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    crate::telemetry::init(lambda);
    let public_url = settings.server.public_url.clone().unwrap_or_default();
    Ok((build_state(&settings, public_url, Arc::new(SystemClock)).await?.services, lambda))
}

/// The adapters the settings ask for.
pub async fn build_state(settings: &Settings, public_url: String, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    match settings.mode {
        Mode::Local => embedded_state(settings, public_url, clock),
        #[cfg(feature = "aws")]
        Mode::Aws => aws_state(settings, &aws::sdk_config(&settings.aws).await, public_url, clock),
        #[cfg(not(feature = "aws"))]
        Mode::Aws => anyhow::bail!("this build of Tocsin has no AWS support: build it with `--features aws`"),
    }
}

/// [`build_state`] for a binary that runs only under Lambda: the AWS adapters take the credentials
/// and region Lambda sets in the environment ([`aws::lambda_sdk_config`]), so the SDK's provider
/// chain stays out of the bootstrap.
#[cfg(feature = "aws")]
pub fn lambda_state(settings: &Settings, public_url: String, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    match settings.mode {
        Mode::Local => embedded_state(settings, public_url, clock),
        Mode::Aws => aws_state(settings, &aws::lambda_sdk_config(&settings.aws)?, public_url, clock),
    }
}

fn embedded_state(settings: &Settings, public_url: String, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    #[cfg(feature = "local")]
    return local_state(settings, public_url, clock);
    #[cfg(not(feature = "local"))]
    {
        let _ = (settings, public_url, clock);
        anyhow::bail!("this build of Tocsin has no embedded store: build it with the `local` feature")
    }
}

pub fn services(
    settings: &Settings,
    public_url: String,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
    attachments: Arc<dyn AttachmentStore>,
    mailer: Arc<dyn Mailer>,
) -> anyhow::Result<Services> {
    let sender_name = settings.email.sender.split('<').next().unwrap_or_default().trim().trim_matches('"').to_owned();
    let notifications = &settings.notifications;
    Ok(Services {
        // One adapter behind every store port.
        reports: store.clone(),
        incidents: store.clone(),
        audit: store.clone(),
        obligations: store.clone(),
        register: store.clone(),
        accounts: store.clone(),
        notices: store.clone(),
        people: store,
        attachments,
        imports: None,
        mailer,
        clock,
        templates: EmailTemplates::new(settings.email.templates_dir.as_deref())?,
        internal_recipients: settings.notifications.internal.clone(),
        contact_point: settings.notifications.contact_point.clone(),
        campaigns: CampaignSettings {
            per_second: notifications.notices_per_second,
            stale_after: chrono::Duration::seconds(i64::from(notifications.stale_after_seconds)),
            unconfirmed_after: chrono::Duration::seconds(i64::from(notifications.unconfirmed_after_seconds)),
        },
        exports: ExportTemplates::new()?,
        playbook: load_playbook(settings.workflow.playbook.as_deref())?,
        alerts: AlertIntake {
            sources: settings.alerts.sources.iter().map(|(name, s)| (name.clone(), s.secret.clone())).collect(),
            window: chrono::Duration::minutes(i64::from(settings.alerts.dedup_window_minutes)),
        },
        deadlines: load_deadlines(&settings.deadlines)?,
        deadline_contacts: DeadlineContacts {
            team: settings.deadlines.team.clone(),
            management: settings.deadlines.management.clone(),
            people: settings.deadlines.people.clone(),
        },
        sending: Arc::new(tokio::sync::Notify::new()),
        opening_from_reports: tokio::sync::Mutex::new(()),
        policy_reviewed_before: settings.deadlines.policy_reviewed_on.map(|day| day.and_time(NaiveTime::MIN).and_utc()),
        min_report_time: chrono::Duration::seconds(i64::from(settings.server.min_report_seconds)),
        oidc: settings.oidc.clone().map(|settings| OidcProvider {
            settings,
            redirect_uri: format!("{}/api/oidc/callback", public_url.trim_end_matches('/')),
        }),
        public_url: public_url.trim_end_matches('/').to_owned(),
        sender_name: if sender_name.is_empty() { "The security team".to_owned() } else { sender_name },
        trusted_authserv_id: settings.email.trusted_authserv_id.clone(),
        cached_form_secret: tokio::sync::OnceCell::new(),
    })
}

/// The playbook file named in the settings, or the built-in one; a bad file stops start-up.
fn load_playbook(path: Option<&Path>) -> anyhow::Result<Playbook> {
    let text = match path {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading the playbook {}", path.display()))?
        }
        None => include_str!("../playbooks/default.toml").to_owned(),
    };
    let playbook: Playbook = toml::from_str(&text).context("reading the playbook")?;
    playbook.check().map_err(anyhow::Error::msg).context("checking the playbook")?;
    Ok(playbook)
}

fn read_toml<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the {what} {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("reading the {what} {}", path.display()))
}

/// The built-in rules and calendars, then the operator's files; every problem stops start-up.
pub fn load_deadlines(settings: &DeadlineSettings) -> anyhow::Result<Deadlines> {
    let mut calendar_files: Vec<CalendarsFile> = vec![toml::from_str(BUILT_IN_CALENDARS)?];
    if let Some(path) = &settings.calendars {
        calendar_files.push(read_toml(path, "calendars file")?);
    }
    let calendars = Calendars::from_files(&calendar_files)
        .map_err(|errors| anyhow::anyhow!("the holiday calendars have problems:\n  {}", errors.join("\n  ")))?;
    anyhow::ensure!(
        calendars.get(&settings.calendar).is_some(),
        "deadlines.calendar is {:?}, which is not a known calendar ({})",
        settings.calendar,
        calendars.ids().collect::<Vec<_>>().join(", ")
    );
    let mut rule_files: Vec<RulesFile> = vec![toml::from_str(BUILT_IN_RULES)?];
    if let Some(path) = &settings.rules {
        rule_files.push(read_toml(path, "rules file")?);
    }
    let rules = RuleSet::from_files(&rule_files, &calendars)
        .map_err(|errors| anyhow::anyhow!("the deadline rules have problems:\n  {}", errors.join("\n  ")))?;
    let organisation = Organisation { roles: settings.roles.clone(), calendar: settings.calendar.clone() };
    Ok(Deadlines { rules, calendars, organisation })
}

fn state(settings: &Settings, services: Services, upload_origin: Option<String>) -> AppState {
    let services = Arc::new(services);
    tokio::spawn(crate::service::notices::send_when_woken(Arc::downgrade(&services), services.sending.clone()));
    AppState {
        services,
        outbox: None,
        upload_origin,
        trusted_proxies: settings.server.trusted_proxies.clone(),
        public_limiter: crate::http::public_limiter(settings.server.public_requests_per_minute),
        intake_slots: Arc::new(tokio::sync::Semaphore::new(crate::http::REPORTS_TAKEN_IN_AT_ONCE)),
    }
}

/// The embedded adapter set: SQLite, attachment files and the outbox, all under the data directory.
#[cfg(feature = "local")]
pub fn local_state(settings: &Settings, public_url: String, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let data_dir = &settings.data_dir;
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let store = Arc::new(SqliteStore::open(&data_dir.join("tocsin.sqlite3"))?);
    let attachments = LocalAttachmentStore::new(data_dir.join("attachments"))?;
    let outbox = Arc::new(OutboxMailer::new(data_dir.join("outbox"), &settings.email.sender, clock.clone())?);
    let services = services(settings, public_url, clock, store, Arc::new(attachments), outbox.clone())?;
    Ok(AppState { outbox: Some(outbox), ..state(settings, services, None) })
}

/// `scheme://host[:port]` of a URL.
#[cfg(feature = "aws")]
fn origin_of(url: &str) -> anyhow::Result<String> {
    let uri: axum::http::Uri = url.parse().with_context(|| format!("{url:?} is not a URL"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => Ok(format!("{scheme}://{authority}")),
        _ => anyhow::bail!("{url:?} has no scheme and host"),
    }
}

#[cfg(feature = "aws")]
fn s3_client(sdk: &aws_config::SdkConfig, settings: &crate::config::AwsSettings) -> aws_sdk_s3::Client {
    // A custom endpoint (moto, MinIO) serves buckets by path, not by host name.
    let config = aws_sdk_s3::config::Builder::from(sdk).force_path_style(settings.endpoint_url.is_some()).build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Where SES receiving leaves the messages for the mail intake function.
#[cfg(feature = "aws")]
pub async fn inbound_mailbox(settings: &Settings) -> anyhow::Result<crate::adapters::s3::S3InboundMailbox> {
    let bucket =
        settings.aws.inbound_bucket.clone().context("aws.inbound_bucket (TOCSIN_AWS__INBOUND_BUCKET) is not set")?;
    let sdk = aws::sdk_config(&settings.aws).await;
    Ok(crate::adapters::s3::S3InboundMailbox::new(s3_client(&sdk, &settings.aws), bucket, INBOUND_PREFIX))
}

/// The key prefix of the template's receipt rule's S3 action.
pub const INBOUND_PREFIX: &str = "inbound/";

/// The AWS adapter set: DynamoDB, S3 and SES v2 from one SDK configuration.
#[cfg(feature = "aws")]
pub fn aws_state(
    settings: &Settings,
    sdk: &aws_config::SdkConfig,
    public_url: String,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<AppState> {
    use crate::adapters::dynamodb::DynamoStore;
    use crate::adapters::s3::{S3AttachmentStore, S3ImportFiles};
    use crate::adapters::ses::SesMailer;
    let aws = &settings.aws;
    let store = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &aws.table));
    let attachments = S3AttachmentStore::new(s3_client(sdk, aws), &aws.bucket);
    let mailer = SesMailer::new(
        aws_sdk_sesv2::Client::new(sdk),
        &settings.email.sender,
        aws.ses_configuration_set.clone(),
        clock.clone(),
    )?;
    let mut services = services(settings, public_url, clock, store, Arc::new(attachments), Arc::new(mailer))?;
    // Files of people go to the attachments' bucket too, each under an import prefix of its own.
    services.imports = Some(Arc::new(S3ImportFiles::new(s3_client(sdk, aws), &aws.bucket)));
    // Browsers upload files straight to the bucket, so the app's policy must let them connect there.
    let upload_origin = match &aws.endpoint_url {
        Some(endpoint) => origin_of(endpoint)?,
        None => {
            let region = sdk.region().context("an AWS region is needed to reach S3")?;
            format!("https://{}.s3.{region}.amazonaws.com", aws.bucket)
        }
    };
    Ok(state(settings, services, Some(upload_origin)))
}

#[cfg(feature = "aws")]
pub mod aws {
    use std::time::Duration;

    use anyhow::Context;
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_smithy_http_client::tls;
    use aws_types::sdk_config::{SharedCredentialsProvider, SharedHttpClient};

    use crate::config::AwsSettings;

    /// The SDK configuration from the SDK's whole provider chain (variables, profiles, web
    /// identity, containers, instance metadata), for the binaries that also run on operators'
    /// machines.
    pub async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
        let mut loader = configured(aws_config::defaults(BehaviorVersion::latest()), settings);
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        loader.load().await
    }

    /// The loader with our HTTP client, retries and timeouts.
    pub fn configured(loader: aws_config::ConfigLoader, settings: &AwsSettings) -> aws_config::ConfigLoader {
        let loader = loader.http_client(https_client()).retry_config(retry_config()).timeout_config(timeout_config());
        match &settings.endpoint_url {
            Some(url) => loader.endpoint_url(url),
            None => loader,
        }
    }

    /// The SDK configuration from what Lambda gives every function: its role's credentials and its
    /// region in environment variables. Reading only those keeps the provider chain (profiles,
    /// STS, container and instance metadata clients) out of a Lambda-only bootstrap.
    pub fn lambda_sdk_config(settings: &AwsSettings) -> anyhow::Result<SdkConfig> {
        let region = match &settings.region {
            Some(region) => region.clone(),
            None => std::env::var("AWS_REGION").context("AWS_REGION is not set (Lambda sets it for every function)")?,
        };
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
            .http_client(https_client())
            .retry_config(retry_config())
            .timeout_config(timeout_config());
        let config = match &settings.endpoint_url {
            Some(url) => config.endpoint_url(url),
            None => config,
        };
        Ok(config.build())
    }

    /// One HTTPS client on rustls with ring, which reqwest and jsonwebtoken already use: the SDK's
    /// default would add a second TLS stack.
    fn https_client() -> SharedHttpClient {
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
            .build_https()
    }

    /// Three attempts with backoff.
    fn retry_config() -> RetryConfig {
        RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(50))
    }

    /// No call waits longer than a Lambda request can afford.
    fn timeout_config() -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(12))
            .build()
    }
}

/// The API, plus the built app when there is one: unknown paths get `index.html`, so the app's
/// client-side routes (`/dashboard/...`) load on refresh, and each public page gets its own smaller
/// bundle (`public/<bundle>/index.html`) when it was built.
pub fn app_router(state: AppState, static_dir: Option<&Path>) -> Router {
    let upload_origin = state.upload_origin.clone();
    let public_url = state.services.public_url.clone();
    let api = api_router(state);
    let index = static_dir.map(|dir| (dir, std::fs::read_to_string(dir.join("index.html"))));
    match index {
        Some((dir, Ok(index_html))) => {
            // `cargo xtask build-app` writes each file compressed beside it (the wasm bundle shrinks
            // to under a third); the layer compresses the rest (API answers) on the fly.
            let page = |file: PathBuf| ServeFile::new(file).precompressed_br().precompressed_gzip();
            let files =
                ServeDir::new(dir).precompressed_br().precompressed_gzip().fallback(page(dir.join("index.html")));
            let mut app = api.fallback_service(files);
            let mut pages = vec![index_html];
            for (bundle, paths) in PUBLIC_BUNDLES {
                let bundle_index = dir.join("public").join(bundle).join("index.html");
                if let Ok(bundle_html) = std::fs::read_to_string(&bundle_index) {
                    for path in paths {
                        app = app.route_service(path, page(bundle_index.clone()));
                    }
                    pages.push(bundle_html);
                }
            }
            #[cfg(feature = "local")]
            let app = app.layer(CompressionLayer::new());
            secured(app, ContentSecurityPolicy::for_app(&pages, upload_origin.as_deref()), &public_url)
        }
        Some((dir, Err(_))) => {
            tracing::warn!(dir = %dir.display(), "the app is not built there; serving the API only (run `cargo xtask run`)");
            secured(api, ContentSecurityPolicy::for_api(), &public_url)
        }
        None => secured(api, ContentSecurityPolicy::for_api(), &public_url),
    }
}

/// Each public page's own bundle (`app/<bundle>.html`, built into `dist/public/<bundle>/`) and the
/// paths that load it; infra/template.yaml's CloudFront function maps the same.
const PUBLIC_BUNDLES: [(&str, &[&str]); 2] = [("report", &["/", "/report"]), ("follow-up", &["/follow-up"])];
