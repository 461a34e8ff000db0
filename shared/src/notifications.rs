//! Outgoing notifications: who an email about an incident is for, and what the dashboard shows of
//! one before it is sent.

use serde::{Deserialize, Serialize};

use crate::address::plain_address;
use crate::deadlines::rules::Audience;

/// Who a notification is for; each has its own template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// IT and management, within the hour of detection (the incident policy, section 7).
    Internal,
    /// The team's status update to the incident's stakeholders.
    Stakeholder,
}

impl NotificationKind {
    /// The audience of the duties a notification of this kind meets, if any.
    pub fn audience(self) -> Option<Audience> {
        match self {
            NotificationKind::Internal => Some(Audience::Internal),
            NotificationKind::Stakeholder => None,
        }
    }

    pub const ALL: [NotificationKind; 2] = [NotificationKind::Internal, NotificationKind::Stakeholder];

    /// The template pair (`<name>.txt`, `<name>.html`) it is written from.
    pub fn template(self) -> &'static str {
        match self {
            NotificationKind::Internal => "internal_notification",
            NotificationKind::Stakeholder => "stakeholder_update",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::Internal => "Internal notification",
            NotificationKind::Stakeholder => "Status update",
        }
    }

    /// Its name in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Internal => "internal",
            NotificationKind::Stakeholder => "stakeholder",
        }
    }
}

/// An email as it would be sent: the dashboard shows it before anything goes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPreview {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The longest status update.
pub const UPDATE_MAX: usize = 10_000;

/// A status update for the incident's stakeholders, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusUpdateForm {
    /// Markdown.
    pub message: String,
}

/// A plain address ([`crate::address`]), lower-cased: the only shape of address Tocsin sends to.
pub fn parse_address(raw: &str) -> Result<String, String> {
    plain_address(raw)
        .map(str::to_lowercase)
        .ok_or_else(|| format!("{:?} is not an email address in the format name@example.com", raw.trim()))
}
