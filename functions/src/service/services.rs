//! Everything a use case may reach, built once at start-up, and the settings it carries.

use std::collections::HashMap;
use std::sync::Arc;

use shared::deadlines::obligation::Deadlines;
use shared::workflow::tasks::Playbook;

use super::email::EmailTemplates;
use super::export_templates::ExportTemplates;
use super::oidc_provider::OidcProvider;
use crate::ports::{
    AccountStore, AttachmentStore, AuditStore, Clock, ImportFiles, IncidentStore, Mailer, NoticeStore, ObligationStore,
    PeopleStore, PolicyStore, ReportStore,
};

/// Everything a use case may reach, built once at start-up.
pub struct Services {
    /// Reports, their follow-ups and files' metadata, and the inbound mail log.
    pub reports: Arc<dyn ReportStore>,
    /// Incidents, their linked reports and alert keys.
    pub incidents: Arc<dyn IncidentStore>,
    /// Every subject's audit chain.
    pub audit: Arc<dyn AuditStore>,
    /// The obligation rows the deadline checker and the board read.
    pub obligations: Arc<dyn ObligationStore>,
    /// The policy register.
    pub register: Arc<dyn PolicyStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub notices: Arc<dyn NoticeStore>,
    /// The affected-people register.
    pub people: Arc<dyn PeopleStore>,
    pub attachments: Arc<dyn AttachmentStore>,
    /// Where browsers upload files of people to import (S3 on AWS); `None` where the file is the
    /// import request's body (local mode).
    pub imports: Option<Arc<dyn ImportFiles>>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub templates: EmailTemplates,
    /// IT and management, told of every new incident.
    pub internal_recipients: Vec<String>,
    /// The contact point named in filings and notices.
    pub contact_point: Option<String>,
    pub campaigns: CampaignSettings,
    pub exports: ExportTemplates,
    /// The checklist tasks seeded into incidents by category and phase.
    pub playbook: Playbook,
    pub alerts: AlertIntake,
    /// The notification rules, calendars and the organisation's roles.
    pub deadlines: Deadlines,
    /// Who hears about deadlines.
    pub deadline_contacts: DeadlineContacts,
    /// The last policy review before Tocsin kept the register; the first yearly duty runs from it.
    pub policy_reviewed_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Single sign-on, when configured.
    pub oidc: Option<OidcProvider>,
    /// How long a public report form must have been open before it is sent (the bot barrier).
    pub min_report_time: chrono::Duration,
    /// Base of links sent by email, without a trailing slash.
    pub public_url: String,
    pub sender_name: String,
    /// The mail server whose `Authentication-Results` are believed on `.eml` files taken in.
    pub trusted_authserv_id: Option<String>,
    /// Wakes the notice sender ([`super::notices::send_when_woken`]): an approved notice goes out now.
    pub sending: Arc<tokio::sync::Notify>,
    /// Incidents are opened from reports one at a time in this process, so that of concurrent
    /// attempts on one report the refused ones are refused before they draw an incident number.
    pub opening_from_reports: tokio::sync::Mutex<()>,
    /// The bot barrier's signing key once read: it never changes, and every report checks it.
    pub cached_form_secret: tokio::sync::OnceCell<Vec<u8>>,
}

/// Where reminders and escalations go.
pub struct DeadlineContacts {
    pub team: Vec<String>,
    pub management: Vec<String>,
    /// Addresses by the name people are assigned roles under.
    pub people: HashMap<String, String>,
}

/// The monitoring sources allowed to send alerts, and how long a source key keeps updating one incident.
pub struct AlertIntake {
    /// Source name to shared secret.
    pub sources: HashMap<String, String>,
    pub window: chrono::Duration,
}

/// A file as received, before its type is decided.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// How campaigns send.
#[derive(Debug, Clone)]
pub struct CampaignSettings {
    /// Messages per second: at most the SES account's maximum send rate.
    pub per_second: u32,
    /// A delivery claimed this long ago and never settled was interrupted: it is settled from
    /// the mailer's record (the outbox), or, where the mailer cannot tell (SES), from its Send event.
    pub stale_after: chrono::Duration,
    /// An interrupted delivery with no word from the mail service after this long is marked failed,
    /// not sent again: the team decides, rather than risk a second message.
    pub unconfirmed_after: chrono::Duration,
}
