//! Typed settings in layers: built-in defaults, then an optional `tocsin.toml` (or the file named
//! by `TOCSIN_CONFIG`), then `TOCSIN_*` environment variables (`TOCSIN_SERVER__PORT=8080`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, ensure};
use chrono::NaiveDate;
use serde::Deserialize;
use shared::deadlines::rules::EntityRole;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `local` (SQLite, files, outbox) or `aws` (DynamoDB, S3, SES v2).
    pub mode: Mode,
    /// Where the embedded store, attachments and the outbox live.
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub email: EmailSettings,
    pub aws: AwsSettings,
    #[serde(default)]
    pub workflow: WorkflowSettings,
    #[serde(default)]
    pub alerts: AlertSettings,
    #[serde(default)]
    pub deadlines: DeadlineSettings,
    /// Single sign-on with an OpenID Connect provider; off when absent.
    #[serde(default)]
    pub oidc: Option<OidcSettings>,
    #[serde(default)]
    pub notifications: NotificationSettings,
}

/// Who is told about incidents by email.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// IT and management: emailed when an incident is detected or declared.
    pub internal: Vec<String>,
    /// The data protection officer or other contact point named in regulator filings and
    /// customer notices, e.g. `Dana Privacy, dpo@example.com, +1 555 0100`.
    pub contact_point: Option<String>,
    /// Customer notices sent per second: at most the SES account's maximum send rate.
    pub notices_per_second: u32,
    /// A notice delivery claimed this long ago and never settled was interrupted; it is settled
    /// from the mailer's record or the mail service's events.
    pub stale_after_seconds: u32,
    /// An interrupted delivery with no word from the mail service after this long is marked
    /// failed rather than sent again.
    pub unconfirmed_after_seconds: u32,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            internal: vec!["it@tocsin.localhost".to_owned(), "management@tocsin.localhost".to_owned()],
            contact_point: None,
            notices_per_second: 14,
            stale_after_seconds: 300,
            unconfirmed_after_seconds: 3600,
        }
    }
}

/// An OpenID Connect provider (Amazon Cognito or any other), with its endpoints named explicitly.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// Must equal the `iss` of its ID tokens.
    pub issuer: String,
    pub client_id: String,
    /// For confidential clients; PKCE is used either way.
    pub client_secret: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// The ID token claim listing the person's groups (Cognito: `cognito:groups`).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Provider group to Tocsin role (`member`, `lead`, `admin`, `auditor`); the highest applies.
    #[serde(deserialize_with = "group_roles")]
    pub roles: HashMap<String, shared::access::TeamRole>,
}

/// `oidc.roles` as a table (`tocsin.toml`) or as `group=role,group=role` text: a variable's name
/// cannot hold a group such as `tocsin-admin`, so `TOCSIN_OIDC__ROLES` carries them all.
fn group_roles<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<HashMap<String, shared::access::TeamRole>, D::Error> {
    use serde::de::Error;
    let invalid = |e: serde_json::Error| D::Error::custom(format!("oidc.roles: {e}"));
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => text
            .split(',')
            .filter(|pair| !pair.trim().is_empty())
            .map(|pair| {
                let (group, role) = pair.split_once('=').ok_or_else(|| {
                    D::Error::custom(format!("oidc.roles: `{pair}` is not `group=role` (e.g. tocsin-admin=admin)"))
                })?;
                let role =
                    serde_json::from_value(serde_json::Value::String(role.trim().to_owned())).map_err(invalid)?;
                Ok((group.trim().to_owned(), role))
            })
            .collect(),
        table => serde_json::from_value(table).map_err(invalid),
    }
}

fn default_groups_claim() -> String {
    "groups".to_owned()
}

/// The deadline engine: which rules apply to this organisation, its business days, and who is
/// reminded and escalated to.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineSettings {
    /// A rules file loaded after the built-in `shared/rules/deadlines.toml`: it adds rules and
    /// replaces those with the same id.
    pub rules: Option<PathBuf>,
    /// A holiday calendars file loaded after the built-in `shared/rules/calendars.toml`.
    pub calendars: Option<PathBuf>,
    /// What the organisation is: controller, processor, covered_entity, business_associate,
    /// nis2_entity, financial_entity, sec_registrant.
    pub roles: Vec<EntityRole>,
    /// The calendar of "business days" in the organisation's own rules (the post-incident review).
    pub calendar: String,
    /// How often the local mode checks deadlines (AWS runs the checker on an EventBridge schedule).
    pub check_every_seconds: u64,
    /// Where reminders go: the response team's shared address.
    pub team: Vec<String>,
    /// Where escalations go after the response lead.
    pub management: Vec<String>,
    /// People's addresses by the name they are assigned roles under, e.g. `"Tyler King" = "tyler@example.com"`.
    pub people: HashMap<String, String>,
    /// When the incident policy was last reviewed before Tocsin kept the register (YYYY-MM-DD);
    /// the first yearly review falls due a year later. Unset: a year after Tocsin first starts.
    pub policy_reviewed_on: Option<NaiveDate>,
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        Self {
            rules: None,
            calendars: None,
            roles: vec![EntityRole::Controller, EntityRole::Processor],
            calendar: "us-federal".to_owned(),
            check_every_seconds: 60,
            team: vec!["irt@tocsin.localhost".to_owned()],
            management: vec!["management@tocsin.localhost".to_owned()],
            people: HashMap::new(),
            policy_reviewed_on: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkflowSettings {
    /// A playbook TOML file to use instead of the built-in one (`functions/playbooks/default.toml`).
    pub playbook: Option<PathBuf>,
}

/// Monitoring tools that may open incidents through `POST /api/alerts/{source}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    /// Repeats of one source key within this many minutes update the same incident.
    pub dedup_window_minutes: u32,
    /// Source name to its signing secret, e.g. `TOCSIN_ALERTS__SOURCES__GRAFANA__SECRET=...`.
    pub sources: HashMap<String, AlertSource>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self { dedup_window_minutes: 24 * 60, sources: HashMap::new() }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AlertSource {
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Local,
    Aws,
}

/// Used in `aws` mode. Credentials come from the usual AWS chain; the API function under Lambda reads
/// only the variables Lambda sets (its role's credentials and its region).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AwsSettings {
    pub table: String,
    pub bucket: String,
    /// The SES configuration set that publishes delivery events.
    pub ses_configuration_set: Option<String>,
    pub region: Option<String>,
    /// Another endpoint for every AWS service, such as a `moto_server` on loopback.
    pub endpoint_url: Option<String>,
    /// The bucket SES receiving stores messages to the security address in (the mail intake).
    pub inbound_bucket: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: IpAddr,
    /// 0 picks a free port (the tests use it).
    pub port: u16,
    /// The address people reach Tocsin at, used in links sent by email. Defaults to the bound address.
    pub public_url: Option<String>,
    /// The built app (Trunk's `dist/`). When absent only the API is served.
    pub static_dir: Option<PathBuf>,
    /// Proxies (CIDR ranges) in front of Tocsin whose `X-Forwarded-For` is believed; no others'.
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests per minute per client address on the public routes (report form, follow-up,
    /// sign-in, invitations and resets).
    #[serde(default = "default_public_requests_per_minute")]
    pub public_requests_per_minute: u32,
    /// How long the public report form must have been open before it may be sent (bot barrier).
    #[serde(default = "default_min_report_seconds")]
    pub min_report_seconds: u32,
}

fn default_public_requests_per_minute() -> u32 {
    30
}

fn default_min_report_seconds() -> u32 {
    3
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    /// The From of every email, e.g. `Security team <security@example.com>`.
    pub sender: String,
    /// A folder of templates that replace the built-in ones of the same name
    /// (`functions/templates/email/`).
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    /// The receiving mail server (its authserv-id, e.g. `mx.example.com`) whose
    /// `Authentication-Results` header is believed on reports taken in from `.eml` files. On AWS,
    /// SES's own verdicts are used instead.
    #[serde(default)]
    pub trusted_authserv_id: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Local,
            data_dir: PathBuf::from(".data"),
            server: ServerSettings {
                host: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 3000,
                public_url: None,
                static_dir: Some(PathBuf::from("dist")),
                trusted_proxies: Vec::new(),
                public_requests_per_minute: default_public_requests_per_minute(),
                min_report_seconds: default_min_report_seconds(),
            },
            email: EmailSettings {
                sender: "Tocsin security team <security@tocsin.localhost>".to_owned(),
                templates_dir: None,
                trusted_authserv_id: None,
            },
            aws: AwsSettings { table: "tocsin".to_owned(), ..AwsSettings::default() },
            workflow: WorkflowSettings::default(),
            alerts: AlertSettings::default(),
            deadlines: DeadlineSettings::default(),
            oidc: None,
            notifications: NotificationSettings::default(),
        }
    }
}

/// The settings that are lists, which a `TOCSIN_*` variable gives comma-separated (Lambda has no
/// settings file): `TOCSIN_DEADLINES__TEAM=irt@example.com,soc@example.com`.
const LIST_SETTINGS: [&str; 5] =
    ["notifications.internal", "deadlines.roles", "deadlines.team", "deadlines.management", "server.trusted_proxies"];

/// `TOCSIN_<SECTION>__<KEY>` variables, the last layer.
fn environment() -> config::Environment {
    LIST_SETTINGS.iter().fold(
        config::Environment::with_prefix("TOCSIN")
            .prefix_separator("_")
            .separator("__")
            .try_parsing(true)
            .list_separator(","),
        |environment, key| environment.with_list_parse_key(key),
    )
}

impl Settings {
    /// Reads the layers. Unknown keys and wrong types are errors that name the key.
    pub fn load() -> anyhow::Result<Self> {
        Self::load_with(None)
    }

    /// [`Settings::load`] with `variables` in place of the process's environment when given.
    fn load_with(variables: Option<config::Map<String, String>>) -> anyhow::Result<Self> {
        let defaults = Settings::default();
        let file = std::env::var("TOCSIN_CONFIG").unwrap_or_else(|_| "tocsin.toml".to_owned());
        let settings: Settings = config::Config::builder()
            .set_default("mode", "local")?
            .set_default("aws.table", defaults.aws.table)?
            .set_default("aws.bucket", "")?
            .set_default("data_dir", defaults.data_dir.to_string_lossy().into_owned())?
            .set_default("server.host", defaults.server.host.to_string())?
            .set_default("server.port", defaults.server.port)?
            .set_default("server.static_dir", "dist")?
            .set_default("email.sender", defaults.email.sender)?
            .add_source(config::File::with_name(&file).required(std::env::var("TOCSIN_CONFIG").is_ok()))
            .add_source(environment().source(variables))
            .build()?
            .try_deserialize()
            .context("reading settings (defaults, tocsin.toml, TOCSIN_* variables)")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Until team sign-in exists, the dashboard must not be reachable from other machines.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.mode == Mode::Aws {
            ensure!(!self.aws.table.is_empty(), "aws.table (TOCSIN_AWS__TABLE) is required in aws mode");
            ensure!(!self.aws.bucket.is_empty(), "aws.bucket (TOCSIN_AWS__BUCKET) is required in aws mode");
        }
        for address in &self.notifications.internal {
            ensure!(
                address.parse::<lettre::Address>().is_ok(),
                "notifications.internal: {address:?} is not an email address"
            );
        }
        for (name, source) in &self.alerts.sources {
            ensure!(
                source.secret.len() >= 32,
                "alerts.sources.{name}.secret must be at least 32 characters (a random secret, shared with the tool)"
            );
        }
        ensure!(self.deadlines.check_every_seconds >= 1, "deadlines.check_every_seconds must be at least 1");
        for address in
            self.deadlines.team.iter().chain(&self.deadlines.management).chain(self.deadlines.people.values())
        {
            ensure!(
                shared::report::ReporterEmail::parse(address).is_ok(),
                "deadlines: {address:?} is not an email address"
            );
        }
        // Session cookies are `Secure`: beyond this machine, browsers send them over HTTPS only.
        let https = self.server.public_url.as_deref().is_some_and(|url| url.starts_with("https://"));
        ensure!(
            self.server.host.is_loopback() || https,
            "server.host is {}, so people reach Tocsin from other machines: set server.public_url to its https:// \
             address (a TLS proxy in front), since sign-in cookies only travel over HTTPS",
            self.server.host
        );
        ensure!(self.server.public_requests_per_minute >= 1, "server.public_requests_per_minute must be at least 1");
        Ok(())
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.server.host, self.server.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listens_beyond_loopback_only_behind_https() {
        let mut settings = Settings::default();
        assert!(settings.validate().is_ok());
        settings.server.host = "0.0.0.0".parse().unwrap();
        assert!(settings.validate().unwrap_err().to_string().contains("https://"));
        settings.server.public_url = Some("https://tocsin.example.com".into());
        assert!(settings.validate().is_ok());
    }

    #[test]
    fn alert_secrets_must_be_long() {
        let mut settings = Settings::default();
        settings.alerts.sources.insert("grafana".into(), AlertSource { secret: "short".into() });
        assert!(settings.validate().unwrap_err().to_string().contains("alerts.sources.grafana.secret"));
    }

    fn from_variables(variables: &[(&str, &str)]) -> anyhow::Result<Settings> {
        Settings::load_with(Some(variables.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
    }

    /// Lambda has only variables, so every setting must be reachable from one.
    #[test]
    fn lists_and_group_roles_come_from_variables() {
        let settings = from_variables(&[
            ("TOCSIN_DEADLINES__TEAM", "irt@example.com,soc@example.com"),
            ("TOCSIN_NOTIFICATIONS__INTERNAL", "it@example.com"),
            ("TOCSIN_SERVER__TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.0/24"),
            ("TOCSIN_EMAIL__SENDER", "Security, Example Corp <security@example.com>"),
            ("TOCSIN_OIDC__ISSUER", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"),
            ("TOCSIN_OIDC__CLIENT_ID", "client"),
            ("TOCSIN_OIDC__AUTHORIZATION_ENDPOINT", "https://auth.example.com/oauth2/authorize"),
            ("TOCSIN_OIDC__TOKEN_ENDPOINT", "https://auth.example.com/oauth2/token"),
            ("TOCSIN_OIDC__JWKS_URI", "https://auth.example.com/jwks.json"),
            ("TOCSIN_OIDC__ROLES", "tocsin-admin=admin, tocsin-lead=lead"),
        ])
        .unwrap();
        assert_eq!(settings.deadlines.team, ["irt@example.com", "soc@example.com"]);
        assert_eq!(settings.notifications.internal, ["it@example.com"]);
        assert_eq!(settings.server.trusted_proxies.len(), 2);
        assert_eq!(settings.email.sender, "Security, Example Corp <security@example.com>", "not a list");
        let roles = settings.oidc.unwrap().roles;
        assert_eq!(roles.get("tocsin-admin"), Some(&shared::access::TeamRole::Admin));
        assert_eq!(roles.get("tocsin-lead"), Some(&shared::access::TeamRole::Lead));

        let oidc = |roles: &'static str| {
            from_variables(&[
                ("TOCSIN_OIDC__ISSUER", "https://issuer"),
                ("TOCSIN_OIDC__CLIENT_ID", "client"),
                ("TOCSIN_OIDC__AUTHORIZATION_ENDPOINT", "https://issuer/authorize"),
                ("TOCSIN_OIDC__TOKEN_ENDPOINT", "https://issuer/token"),
                ("TOCSIN_OIDC__JWKS_URI", "https://issuer/jwks"),
                ("TOCSIN_OIDC__ROLES", roles),
            ])
        };
        let error = format!("{:#}", oidc("tocsin-admin").unwrap_err());
        assert!(error.contains("`tocsin-admin` is not `group=role`"), "{error}");
        let error = format!("{:#}", oidc("tocsin-admin=owner").unwrap_err());
        assert!(error.contains("oidc.roles") && error.contains("owner"), "{error}");
    }

    /// Each `TOCSIN_*` variable the AWS template sets, with the template's literal value or a
    /// sample of the parameter it refers to: a misspelt name would stop every function at start.
    #[test]
    fn the_templates_variables_are_settings() {
        let template = include_str!("../../infra/template.yaml");
        let lines: Vec<&str> = template.lines().collect();
        let mut variables = Vec::new();
        for (n, line) in lines.iter().enumerate() {
            let Some((name, value)) = line.trim().split_once(':') else { continue };
            if !name.starts_with("TOCSIN_") {
                continue;
            }
            let value = value.trim();
            // A multi-line `!If`: the condition, then the value when true.
            let when_true = lines.get(n + 2).and_then(|l| l.trim().strip_prefix("- ")).unwrap_or_default();
            let literal = if !value.starts_with('!') {
                Some(value.trim_matches('"'))
            } else if value == "!If" {
                Some(when_true).filter(|v| !v.starts_with('!'))
            } else {
                // `!Sub "…"` names its text; `!Join ["", …]` builds one, which the sample stands for.
                value.split('"').nth(1).filter(|v| !v.is_empty())
            };
            let sample = match name.rsplit("__").next().unwrap() {
                "TEAM" | "MANAGEMENT" | "INTERNAL" => "irt@example.com,soc@example.com",
                "NOTICES_PER_SECOND" => "14",
                "PUBLIC_URL" | "ISSUER" | "AUTHORIZATION_ENDPOINT" | "TOKEN_ENDPOINT" | "JWKS_URI" => {
                    "https://tocsin.example.com"
                }
                _ => "sample",
            };
            variables.push((name.to_owned(), literal.unwrap_or(sample).to_owned()));
        }
        assert!(variables.len() >= 15, "found {variables:?}");
        let settings = Settings::load_with(Some(variables.iter().cloned().collect())).unwrap();
        assert_eq!(settings.mode, Mode::Aws);
        assert_eq!(settings.deadlines.team.len(), 2);
        let oidc = settings.oidc.expect("single sign-on from the template's variables");
        assert_eq!(oidc.groups_claim, "cognito:groups");
        assert_eq!(oidc.roles.len(), 4, "{:?}", oidc.roles);
    }

    #[test]
    fn aws_mode_needs_a_table_and_a_bucket() {
        let mut settings = Settings { mode: Mode::Aws, ..Settings::default() };
        assert!(settings.validate().unwrap_err().to_string().contains("aws.bucket"));
        settings.aws.bucket = "tocsin-attachments".into();
        assert!(settings.validate().is_ok());
    }
}
