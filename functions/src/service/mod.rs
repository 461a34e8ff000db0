//! Use cases: what Tocsin does, in terms of the ports only. HTTP handlers and Lambda entry points
//! call these; the same code runs on every adapter set.

pub mod accounts;
pub mod alerts;
pub mod bot_barrier;
pub mod dashboard;
pub mod deadlines;
pub mod email;
pub mod email_intake;
pub mod export;
pub mod intake;
pub mod markdown;
pub mod notices;
pub mod notifications;
pub mod oidc;
pub mod policy;
pub mod token;
pub mod workflow;

use std::collections::HashMap;
use std::sync::Arc;

use shared::attachment::AttachmentRefusal;
use shared::deadlines::obligation::Deadlines;
use shared::validation::ValidationErrors;
use shared::workflow::tasks::Playbook;

use crate::ports::{AccountStore, AttachmentStore, Clock, IncidentStore, Mailer, NoticeStore, StoreError};
use email::EmailTemplates;
use export::ExportTemplates;

/// Everything a use case may reach, built once at start-up.
pub struct Services {
    pub store: Arc<dyn IncidentStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub notices: Arc<dyn NoticeStore>,
    pub attachments: Arc<dyn AttachmentStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub templates: EmailTemplates,
    /// IT and management, told of every new incident.
    pub internal_recipients: Vec<String>,
    /// The contact point named in filings and notices.
    pub contact_point: Option<String>,
    pub campaigns: notices::CampaignSettings,
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
    pub oidc: Option<oidc::OidcProvider>,
    /// How long a public report form must have been open before it is sent (the bot barrier).
    pub min_report_time: chrono::Duration,
    /// Base of links sent by email, without a trailing slash.
    pub public_url: String,
    pub sender_name: String,
    /// The mail server whose `Authentication-Results` are believed on `.eml` files taken in.
    pub trusted_authserv_id: Option<String>,
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

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error(transparent)]
    Attachment(#[from] AttachmentRefusal),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// The record's state does not allow the change (a workflow rule); the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("the page cursor is not valid; start again from the first page")]
    InvalidCursor,
    #[error("busy: {0}")]
    Unavailable(String),
    /// No session, or a sign-in that failed; the message says what to do.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed attempts: try again after this long.
    #[error("too many attempts; retry after {retry_after_seconds} s")]
    Throttled { retry_after_seconds: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Conflict(message) => ServiceError::Conflict(message),
            StoreError::InvalidCursor => ServiceError::InvalidCursor,
            StoreError::Unavailable(cause) => ServiceError::Unavailable(cause),
            StoreError::Unexpected(e) => ServiceError::Unexpected(e),
        }
    }
}
