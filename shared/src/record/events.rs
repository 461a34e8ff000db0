//! What happened to an incident. Each event is one audit-trail entry's payload, so the record
//! can always be rebuilt from its trail.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::Origin;
use crate::deadlines::obligation::{Evidence, ObligationChange};
use crate::deadlines::timing::Anchor;
use crate::filings::FilingMethod;
use crate::notices::{CampaignResult, NoticeContent, RecipientList};
use crate::notifications::NotificationKind;
use crate::people::{Accounting, PeopleBatch};
use crate::reference::Reference;
use crate::workflow::classification::{BreachVerdict, Category, DataCategory, Severity};
use crate::workflow::containment::{ActionKind, ActionResult};
use crate::workflow::investigation::{AffectedAccount, InvestigationFindings};
use crate::workflow::phase::Phase;
use crate::workflow::review::ReviewDraft;
use crate::workflow::roles::{Holder, Role};
use crate::workflow::tasks::{NewTask, TaskStatus};

/// What happened to an incident. Each event is one audit-trail entry's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IncidentEvent {
    Opened {
        title: String,
        origin: Origin,
        detected_at: Option<DateTime<Utc>>,
        /// The opener's account (absent when Tocsin opened it, or in entries written before).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_account: Option<String>,
    },
    ReportLinked {
        report: Reference,
        /// When the report was received (absent in entries written before it was recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        received_at: Option<DateTime<Utc>>,
        /// When the reporter says they noticed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        observed_at: Option<DateTime<Utc>>,
    },
    AlertReceived {
        source: String,
        key: String,
        summary: String,
        /// When the source says it saw what it alerts on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        observed_at: Option<DateTime<Utc>>,
    },
    Renamed {
        title: String,
    },
    Classified {
        category: Category,
        severity: Severity,
    },
    VerdictSet {
        verdict: BreachVerdict,
    },
    DataCategoriesSet {
        categories: Vec<DataCategory>,
    },
    RoleAssigned {
        role: Role,
        person: String,
        #[serde(default)]
        holder: Holder,
    },
    /// A participant named before accounts decided access (the opener, or a role holder),
    /// matched to the one account of that name.
    ParticipantLinked {
        person: String,
        account: String,
    },
    RoleEnded {
        role: Role,
        person: String,
    },
    PhaseMoved {
        from: Phase,
        to: Phase,
        reason: Option<String>,
        /// Duties left open by an override, so the audit trail names what was overridden.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        open_duties: Vec<String>,
    },
    TaskAdded {
        task: NewTask,
    },
    TaskUpdated {
        task_id: u32,
        status: TaskStatus,
        owner: Option<String>,
        due_at: Option<DateTime<Utc>>,
    },
    TaskRemoved {
        task_id: u32,
    },
    InvestigationRecorded {
        findings: InvestigationFindings,
    },
    AffectedAccountsImported {
        accounts: Vec<AffectedAccount>,
    },
    /// A batch written to the affected-people register, with the register's counts after it.
    PeopleRegisterChanged {
        batch: PeopleBatch,
    },
    /// The people told so far, per duty to tell individuals, as the register counts them.
    PeopleTold {
        told: BTreeMap<String, u64>,
    },
    /// People recorded as told another way or as not required to be told for a duty, with the
    /// people told per duty after it.
    PeopleAccountedFor {
        accounting: Accounting,
        told: BTreeMap<String, u64>,
    },
    ContainmentLogged {
        kind: ActionKind,
        target: String,
        performed_at: DateTime<Utc>,
        result: ActionResult,
        note: Option<String>,
    },
    ContainmentReversed {
        action_id: u32,
        reason: String,
    },
    NoteAdded {
        markdown: String,
    },
    ReviewSaved {
        draft: ReviewDraft,
    },
    ReviewCompleted,
    /// A clock anchor set by hand, or cleared (`at` absent) to fall back to the derived one.
    AnchorSet {
        anchor: Anchor,
        at: Option<DateTime<Utc>>,
        reason: Option<String>,
    },
    /// The deadline rules brought the obligations in line with the facts.
    ObligationsReconciled {
        changes: Vec<ObligationChange>,
    },
    ObligationMet {
        id: String,
        met_at: DateTime<Utc>,
        evidence: Evidence,
    },
    /// A person opened a met or waived duty again, with the reason.
    ObligationReopened {
        id: String,
        reason: String,
    },
    /// A person judged the duty not required, with a justification.
    ObligationWaived {
        id: String,
        justification: String,
    },
    /// Access limited to the participants, or opened to the whole team again.
    AccessRestricted {
        restricted: bool,
    },
    /// An email about the incident went out: one message per recipient, each with its id.
    NotificationSent {
        kind: NotificationKind,
        subject: String,
        recipients: Vec<String>,
        message_ids: Vec<String>,
        /// What the team wrote, for a status update (Markdown).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    StakeholdersSet {
        emails: Vec<String>,
    },
    /// The team's answers to a regulator filing's required items.
    FilingSaved {
        obligation: String,
        answers: Vec<String>,
    },
    /// The filing was made with the authority.
    FilingRecorded {
        obligation: String,
        at: DateTime<Utc>,
        method: FilingMethod,
        authority_reference: String,
    },
    /// A customer notice composed (a new id) or its content replaced, which asks for approval anew.
    NoticeDrafted {
        notice_id: u32,
        content: NoticeContent,
    },
    /// The notice's recipients chosen (or chosen again), which asks for approval anew.
    NoticeRecipientsSet {
        notice_id: u32,
        recipients: RecipientList,
    },
    NoticeApprovalRequested {
        notice_id: u32,
        /// The requester's account, which the approver's must differ from (absent in entries
        /// written before: then their names must).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_account: Option<String>,
    },
    /// A second member approved the notice: its campaign starts.
    NoticeApproved {
        notice_id: u32,
    },
    NoticeWithdrawn {
        notice_id: u32,
    },
    /// Every recipient's delivery is settled.
    NoticeCampaignFinished {
        notice_id: u32,
        result: CampaignResult,
    },
}
