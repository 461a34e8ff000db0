//! What the team asks of an incident, as typed in the dashboard, and why a request is refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deadlines::obligation::EvidenceKind;
use crate::deadlines::timing::Anchor;
use crate::filings::FilingMethod;
use crate::notices::NoticeForm;
use crate::validation::ValidationErrors;
use crate::workflow::classification::{Category, Severity};
use crate::workflow::containment::{ActionKind, ActionResult};
use crate::workflow::investigation::InvestigationForm;
use crate::workflow::phase::Phase;
use crate::workflow::review::ReviewForm;
use crate::workflow::roles::{Holder, Role};
use crate::workflow::tasks::{Playbook, TaskStatus};

/// A change the team asks for, as typed in the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum IncidentCommand {
    Rename {
        title: String,
    },
    Classify {
        category: Category,
        severity: Severity,
    },
    SetVerdict {
        verdict: VerdictChoice,
        confirmed_at: Option<DateTime<Utc>>,
    },
    SetDataCategories {
        categories: Vec<String>,
    },
    AssignRole {
        role: Role,
        person: String,
        /// Whose account `person` names, set by the service (whatever a client sends is replaced).
        #[serde(default, skip_serializing)]
        holder: Holder,
    },
    EndRole {
        role: Role,
        person: String,
    },
    MovePhase {
        to: Phase,
        #[serde(default)]
        reason: String,
    },
    AddTask {
        phase: Phase,
        title: String,
        #[serde(default)]
        owner: String,
        due_at: Option<DateTime<Utc>>,
    },
    UpdateTask {
        task_id: u32,
        status: TaskStatus,
        #[serde(default)]
        owner: String,
        due_at: Option<DateTime<Utc>>,
    },
    RemoveTask {
        task_id: u32,
    },
    RecordInvestigation {
        form: InvestigationForm,
    },
    LogContainment {
        kind: ActionKind,
        target: String,
        result: ActionResult,
        #[serde(default)]
        note: String,
        performed_at: Option<DateTime<Utc>>,
    },
    ReverseContainment {
        action_id: u32,
        reason: String,
    },
    AddNote {
        markdown: String,
    },
    /// Limits who may see the incident to its participants (or lifts that); leads and admins.
    Restrict {
        restricted: bool,
    },
    /// Replaces the list of people who get status updates.
    SetStakeholders {
        emails: Vec<String>,
    },
    /// Saves the answers of a regulator filing's draft, one per required item.
    SaveFiling {
        obligation: String,
        answers: Vec<String>,
    },
    /// Records the filing as made; it meets the obligation with the authority's reference.
    RecordFiling {
        obligation: String,
        filed_at: Option<DateTime<Utc>>,
        method: FilingMethod,
        authority_reference: String,
    },
    /// Composes a customer notice (no id) or replaces a draft's content.
    DraftNotice {
        notice_id: Option<u32>,
        form: NoticeForm,
    },
    /// Asks another team member to approve the notice as it stands.
    RequestNoticeApproval {
        notice_id: u32,
    },
    /// Approves a notice someone else asked approval for; sending starts.
    ApproveNotice {
        notice_id: u32,
    },
    /// Drops a notice that was not approved.
    WithdrawNotice {
        notice_id: u32,
    },
    SaveReview {
        form: ReviewForm,
    },
    CompleteReview,
    /// Sets a clock anchor by hand (`at` absent clears it); a correction needs a reason.
    SetAnchor {
        anchor: Anchor,
        at: Option<DateTime<Utc>>,
        #[serde(default)]
        reason: String,
    },
    MeetObligation {
        id: String,
        met_at: Option<DateTime<Utc>>,
        evidence_kind: EvidenceKind,
        evidence: String,
    },
    WaiveObligation {
        id: String,
        justification: String,
    },
    /// A duty marked met, or judged not required by a person, is open again: the people it covers
    /// turned out not all told, say. The reason goes on the audit trail.
    ReopenObligation {
        id: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictChoice {
    NotABreach,
    Suspected,
    Confirmed,
}

/// Why a command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The command is well-formed but the incident's state does not allow it.
    #[error("{0}")]
    Refused(String),
}

/// Who acts, when, and the playbook that seeds tasks.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub actor: &'a str,
    /// The acting member's account; `None` when Tocsin acts.
    pub account: Option<&'a str>,
    pub playbook: &'a Playbook,
}

pub const NOTE_MAX: usize = 20_000;
