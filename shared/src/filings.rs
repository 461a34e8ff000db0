//! Regulator filings: for a duty to tell an authority, a draft whose answers follow the rule's
//! list of required contents, filled from the incident where it can be, the items still missing,
//! and the record of when, how and by whom it was filed, with the authority's reference.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deadlines::obligation::Obligation;
use crate::deadlines::rules::Audience;

/// The longest answer to one required item.
pub const ANSWER_MAX: usize = 10_000;
/// The longest authority reference.
pub const FILING_REFERENCE_MAX: usize = 200;

/// How a filing reached the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilingMethod {
    /// The authority's online form or portal.
    Portal,
    Email,
    Letter,
    Phone,
}

impl FilingMethod {
    pub const ALL: [FilingMethod; 4] =
        [FilingMethod::Portal, FilingMethod::Email, FilingMethod::Letter, FilingMethod::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            FilingMethod::Portal => "portal",
            FilingMethod::Email => "email",
            FilingMethod::Letter => "letter",
            FilingMethod::Phone => "phone",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FilingMethod::Portal => "Online portal",
            FilingMethod::Email => "Email",
            FilingMethod::Letter => "Letter",
            FilingMethod::Phone => "Phone",
        }
    }
}

/// A filing made: when, how, by whom, and what the authority called it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filed {
    pub at: DateTime<Utc>,
    pub method: FilingMethod,
    pub by: String,
    pub authority_reference: String,
}

/// What the team wrote for one duty's filing, item by item, and the filing once made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    /// One answer per required item of the rule, in its order.
    pub answers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed: Option<Filed>,
}

/// One required item and its answer: the team's, or else one drafted from the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingItem {
    pub requirement: String,
    pub answer: String,
    /// The answer was drafted from the record, not written by the team.
    pub drafted: bool,
}

/// The filing for one duty, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingDraft {
    pub obligation: String,
    pub title: String,
    pub citation: String,
    /// Which authority, where the rule says.
    pub recipient: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub items: Vec<FilingItem>,
    /// The requirements with no answer yet.
    pub missing: Vec<String>,
    pub filed: Option<Filed>,
}

/// Whether the duty is one to tell an authority, so a filing can be drafted for it.
pub fn is_filing(obligation: &Obligation) -> bool {
    obligation.rule.notify.contains(&Audience::Regulator)
}
