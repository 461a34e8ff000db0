//! Reports that arrive by email: what the receiving side said about the sender's authenticity.
//! Shown on the report, so the team can tell a verified sender from a forged `From`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::reference::Reference;

/// One authentication check's outcome (SPF, DKIM or DMARC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthVerdict {
    /// Nothing trustworthy said: no receiving service checked, or its result was not ours to trust.
    #[default]
    NotChecked,
    Pass,
    Fail,
    /// Neither pass nor fail: no policy, neutral, soft fail (SES: `GRAY`).
    Inconclusive,
    /// The check itself failed (temporary or permanent error; SES: `PROCESSING_FAILED`).
    Error,
}

impl AuthVerdict {
    /// SES receiving's verdict status (`PASS`, `FAIL`, `GRAY`, `PROCESSING_FAILED`, `DISABLED`).
    pub fn from_ses(status: &str) -> Self {
        match status {
            "PASS" => Self::Pass,
            "FAIL" => Self::Fail,
            "GRAY" => Self::Inconclusive,
            "PROCESSING_FAILED" => Self::Error,
            _ => Self::NotChecked,
        }
    }

    /// A result keyword of an `Authentication-Results` header (RFC 8601 section 2.7).
    pub fn from_result(result: &str) -> Self {
        match result.to_ascii_lowercase().as_str() {
            "pass" => Self::Pass,
            "fail" | "hardfail" => Self::Fail,
            "softfail" | "neutral" | "none" | "policy" => Self::Inconclusive,
            "temperror" | "permerror" => Self::Error,
            _ => Self::NotChecked,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotChecked => "not checked",
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Inconclusive => "inconclusive",
            Self::Error => "error",
        }
    }
}

/// SPF, DKIM and DMARC for one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAuthentication {
    pub spf: AuthVerdict,
    pub dkim: AuthVerdict,
    pub dmarc: AuthVerdict,
}

impl EmailAuthentication {
    /// DMARC passed: the `From` domain is the one that sent it.
    pub fn sender_verified(&self) -> bool {
        self.dmarc == AuthVerdict::Pass
    }
}

/// How a report or a follow-up came by email, shown with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailIntake {
    /// The message's `Message-ID` (or a digest of it): one message makes one report.
    pub message_key: String,
    pub sender: Option<String>,
    pub subject: String,
    pub authentication: EmailAuthentication,
    /// Attachments that were not taken, each with the reason: listed, never silently dropped.
    pub refused_files: Vec<RefusedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedFile {
    pub file_name: String,
    pub reason: String,
}

/// What became of one message sent to the security address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InboundOutcome {
    /// It opened this report.
    Report { reference: Reference },
    /// It was added to this report, as a reply to its receipt.
    FollowUp { reference: Reference },
    /// It could not be taken in; the message itself is kept at `InboundMessage::kept_at`.
    Rejected { reason: String },
}

/// The record of one message taken in, or refused: the same message delivered again is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub message_key: String,
    pub received_at: DateTime<Utc>,
    pub sender: Option<String>,
    pub subject: String,
    pub size_bytes: u64,
    /// Where the raw message is kept (a path in local mode, an S3 key on AWS).
    pub kept_at: Option<String>,
    pub outcome: InboundOutcome,
}
