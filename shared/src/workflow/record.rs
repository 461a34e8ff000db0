//! The incident record and the one way it changes: a command is checked against the record
//! ([`decide`]) and becomes events, and events are applied ([`IncidentRecord::apply`]). Events are
//! what the audit trail stores, so the record can always be rebuilt from its trail.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::classification::{BreachVerdict, Category, Classification, DataCategory, Severity, parse_data_categories};
use super::containment::{ActionKind, ActionResult, ContainmentAction, Reversal};
use super::investigation::{AffectedAccount, Investigation, InvestigationFindings, InvestigationForm};
use super::phase::{BlockedMove, LegalMove, Moves, Phase, REASON_MAX, REASON_MIN, ReasonNeeded};
use super::review::{Review, ReviewDraft, ReviewForm};
use super::roles::{Role, RoleAssignment, parse_person};
use super::tasks::{NewTask, Playbook, TASK_NOTE_MAX, TASK_TITLE_MAX, Task, TaskStatus};
use crate::deadlines::facts::anchors;
use crate::deadlines::obligation::{Evidence, EvidenceKind, Obligation, ObligationChange, ObligationStatus};
use crate::deadlines::rules::Anchor;
use crate::filings::{ANSWER_MAX, FILING_REFERENCE_MAX, Filed, Filing, FilingMethod, is_filing};
use crate::incident::IncidentTitle;
use crate::notices::{CampaignResult, Notice, NoticeContent, NoticeForm, NoticeStatus, RecipientList};
use crate::notifications::NotificationKind;
use crate::reference::Reference;
use crate::validation::{ValidationErrors, multi_line, single_line};

/// How the incident came to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    Report { report: Reference },
    Declared,
    Alert { source: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    pub from: Phase,
    pub to: Phase,
    pub at: DateTime<Utc>,
    pub by: String,
    /// The written reason for an override, a step back, or closing a non-incident.
    pub reason: Option<String>,
}

/// A monitoring alert seen on this incident; repeats within the dedup window only count up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSighting {
    pub source: String,
    pub key: String,
    pub summary: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub reference: Reference,
    pub title: String,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub origin: Origin,
    /// A detection time given when declaring (say, from monitoring), earlier than the opening.
    pub detected_at: Option<DateTime<Utc>>,
    pub phase: Phase,
    pub phase_changes: Vec<PhaseChange>,
    pub classification: Classification,
    pub roles: Vec<RoleAssignment>,
    pub tasks: Vec<Task>,
    pub investigation: Investigation,
    pub containment: Vec<ContainmentAction>,
    pub review: Review,
    pub alerts: Vec<AlertSighting>,
    /// The next id for a task or a containment action.
    pub next_id: u32,
    /// When the earliest linked report was received.
    #[serde(default)]
    pub first_report_at: Option<DateTime<Utc>>,
    /// Clock anchors set by hand; they win over the ones derived from the record.
    #[serde(default)]
    pub clock: BTreeMap<Anchor, DateTime<Utc>>,
    /// Notification and review duties, kept in line with the facts by the deadline rules.
    #[serde(default)]
    pub obligations: Vec<Obligation>,
    /// Only the participants (and admins) may see a restricted incident.
    #[serde(default)]
    pub restricted: bool,
    /// Who gets the team's status updates by email.
    #[serde(default)]
    pub stakeholders: Vec<String>,
    /// Regulator filings by obligation id: the team's answers, and the filing once made.
    #[serde(default)]
    pub filings: BTreeMap<String, Filing>,
    /// Customer breach notices, by id from 1.
    #[serde(default)]
    pub notices: Vec<Notice>,
}

impl IncidentRecord {
    /// Who takes part: whoever opened it and everyone holding one of its roles now.
    pub fn participants(&self) -> Vec<&str> {
        let mut people: Vec<&str> = std::iter::once(self.opened_by.as_str())
            .chain(self.roles.iter().filter(|r| r.is_current()).map(|r| r.person.as_str()))
            .collect();
        people.sort_unstable();
        people.dedup();
        people
    }

    /// Whether `name`, with `role`, may see the incident at all.
    pub fn visible_to(&self, name: &str, role: crate::access::TeamRole) -> bool {
        !self.restricted || role == crate::access::TeamRole::Admin || self.participants().contains(&name)
    }
}

/// What happened to an incident. Each event is one audit-trail entry's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IncidentEvent {
    Opened {
        title: String,
        origin: Origin,
        detected_at: Option<DateTime<Utc>>,
    },
    ReportLinked {
        report: Reference,
        /// When the report was received (absent in entries written before it was recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        received_at: Option<DateTime<Utc>>,
    },
    AlertReceived {
        source: String,
        key: String,
        summary: String,
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
    },
    RoleEnded {
        role: Role,
        person: String,
    },
    PhaseMoved {
        from: Phase,
        to: Phase,
        reason: Option<String>,
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
    pub playbook: &'a Playbook,
}

pub const NOTE_MAX: usize = 20_000;

fn invalid(field: &str, message: impl Into<String>) -> WorkflowError {
    let mut errors = ValidationErrors::default();
    errors.push(field, message);
    WorkflowError::Invalid(errors)
}

fn field<T>(field_name: &str, result: Result<T, String>) -> Result<T, WorkflowError> {
    result.map_err(|message| invalid(field_name, message))
}

fn optional_person(raw: &str, label: &str) -> Result<Option<String>, String> {
    if raw.trim().is_empty() { Ok(None) } else { parse_person(raw, label).map(Some) }
}

fn reason(raw: &str) -> Result<String, String> {
    multi_line(raw, "Reason", REASON_MIN, REASON_MAX)
}

impl IncidentRecord {
    /// The record as its first event leaves it.
    pub fn open(reference: Reference, event: &IncidentEvent, at: DateTime<Utc>, actor: &str) -> Option<Self> {
        let IncidentEvent::Opened { title, origin, detected_at } = event else { return None };
        Some(Self {
            reference,
            title: title.clone(),
            opened_at: at,
            opened_by: actor.to_owned(),
            origin: origin.clone(),
            detected_at: *detected_at,
            phase: Phase::Identification,
            phase_changes: Vec::new(),
            classification: Classification::default(),
            roles: Vec::new(),
            tasks: Vec::new(),
            investigation: Investigation::default(),
            containment: Vec::new(),
            review: Review::default(),
            alerts: Vec::new(),
            next_id: 1,
            first_report_at: None,
            clock: BTreeMap::new(),
            obligations: Vec::new(),
            restricted: false,
            stakeholders: Vec::new(),
            filings: BTreeMap::new(),
            notices: Vec::new(),
        })
    }

    /// The record of an incident stored before the workflow existed, from its title and opening.
    pub fn predating_workflow(reference: Reference, title: String, opened_at: DateTime<Utc>) -> Self {
        let opened = IncidentEvent::Opened { title, origin: Origin::Declared, detected_at: None };
        Self::open(reference, &opened, opened_at, "tocsin").expect("an Opened event opens a record")
    }

    pub fn current_holders(&self, role: Role) -> impl Iterator<Item = &str> {
        self.roles.iter().filter(move |a| a.role == role && a.is_current()).map(|a| a.person.as_str())
    }

    fn task(&self, id: u32) -> Result<&Task, WorkflowError> {
        self.tasks.iter().find(|t| t.id == id).ok_or_else(|| WorkflowError::Refused(format!("There is no task {id}")))
    }

    /// Open tasks of `phase` or earlier: what leaving `phase` forward would leave undone.
    fn open_tasks_up_to(&self, phase: Phase) -> Vec<String> {
        self.tasks.iter().filter(|t| t.phase <= phase && !t.status.is_finished()).map(|t| t.title.clone()).collect()
    }

    /// Conditions that no reason can override.
    fn blockers(&self, to: Phase) -> Vec<String> {
        let mut blockers = Vec::new();
        if self.phase == Phase::Identification {
            if self.classification.category.is_none() || self.classification.severity.is_none() {
                blockers.push("Classify the incident: category and severity".to_owned());
            }
            for role in [Role::ResponseLead, Role::TechnicalLead] {
                if self.current_holders(role).next().is_none() {
                    blockers.push(format!("Assign a {}", role.label().to_lowercase()));
                }
            }
        }
        if to == Phase::LessonsLearned && self.classification.verdict == BreachVerdict::Suspected {
            blockers.push("Decide the breach verdict: not a breach, or confirmed".to_owned());
        }
        if to == Phase::Closed && !self.review.is_complete() {
            blockers.push("Complete the post-incident review".to_owned());
        }
        blockers
    }

    /// Every phase this incident could move to, split into what is legal now and what is blocked.
    pub fn moves(&self) -> Moves {
        let mut moves = Moves::default();
        if self.phase == Phase::Closed {
            return moves;
        }
        for to in Phase::ALL.into_iter().filter(|p| *p < self.phase) {
            moves.legal.push(LegalMove { to, reason: ReasonNeeded::GoingBack });
        }
        if let Some(next) = self.phase.next() {
            let blockers = self.blockers(next);
            if blockers.is_empty() {
                let open = self.open_tasks_up_to(self.phase);
                let reason = if open.is_empty() { ReasonNeeded::No } else { ReasonNeeded::OpenTasks { titles: open } };
                moves.legal.push(LegalMove { to: next, reason });
            } else {
                moves.blocked.push(BlockedMove { to: next, blockers });
            }
        }
        if self.phase == Phase::Identification {
            if self.classification.verdict == BreachVerdict::NotABreach {
                moves.legal.push(LegalMove { to: Phase::Closed, reason: ReasonNeeded::NotAnIncident });
            } else {
                moves.blocked.push(BlockedMove {
                    to: Phase::Closed,
                    blockers: vec!["To close without a response, first set the verdict to \"not a breach\"".into()],
                });
            }
        }
        moves
    }

    /// Changes the record by one event. Events were checked by [`decide`], so this cannot fail.
    pub fn apply(&mut self, event: &IncidentEvent, at: DateTime<Utc>, actor: &str) {
        match event {
            IncidentEvent::Opened { .. } => {}
            IncidentEvent::ReportLinked { received_at, .. } => {
                if let Some(received_at) = received_at {
                    self.first_report_at = Some(self.first_report_at.map_or(*received_at, |t| t.min(*received_at)));
                }
            }
            IncidentEvent::AlertReceived { source, key, summary } => {
                match self.alerts.iter_mut().find(|a| &a.source == source && &a.key == key) {
                    Some(sighting) => {
                        sighting.last_seen = at;
                        sighting.count += 1;
                        sighting.summary.clone_from(summary);
                    }
                    None => self.alerts.push(AlertSighting {
                        source: source.clone(),
                        key: key.clone(),
                        summary: summary.clone(),
                        first_seen: at,
                        last_seen: at,
                        count: 1,
                    }),
                }
            }
            IncidentEvent::Renamed { title } => self.title.clone_from(title),
            IncidentEvent::Classified { category, severity } => {
                self.classification.category = Some(*category);
                self.classification.severity = Some(*severity);
            }
            IncidentEvent::VerdictSet { verdict } => self.classification.verdict = *verdict,
            IncidentEvent::DataCategoriesSet { categories } => {
                self.classification.data_categories.clone_from(categories)
            }
            IncidentEvent::RoleAssigned { role, person } => {
                if role.is_single_holder() {
                    self.end_role(*role, None, at);
                }
                self.roles.push(RoleAssignment {
                    role: *role,
                    person: person.clone(),
                    assigned_at: at,
                    assigned_by: actor.to_owned(),
                    ended_at: None,
                });
            }
            IncidentEvent::RoleEnded { role, person } => self.end_role(*role, Some(person), at),
            IncidentEvent::PhaseMoved { from, to, reason } => {
                self.phase = *to;
                self.phase_changes.push(PhaseChange {
                    from: *from,
                    to: *to,
                    at,
                    by: actor.to_owned(),
                    reason: reason.clone(),
                });
            }
            IncidentEvent::TaskAdded { task } => {
                self.tasks.push(Task {
                    id: self.next_id,
                    phase: task.phase,
                    title: task.title.clone(),
                    note: task.note.clone(),
                    owner: task.owner.clone(),
                    due_at: task.due_at,
                    status: TaskStatus::Open,
                    from_playbook: task.from_playbook,
                });
                self.next_id += 1;
            }
            IncidentEvent::TaskUpdated { task_id, status, owner, due_at } => {
                if let Some(task) = self.tasks.iter_mut().find(|t| t.id == *task_id) {
                    task.status = *status;
                    task.owner.clone_from(owner);
                    task.due_at = *due_at;
                }
            }
            IncidentEvent::TaskRemoved { task_id } => self.tasks.retain(|t| t.id != *task_id),
            IncidentEvent::InvestigationRecorded { findings } => self.investigation.findings.clone_from(findings),
            IncidentEvent::AffectedAccountsImported { accounts } => {
                self.investigation.affected_accounts.clone_from(accounts);
                let jurisdictions = &mut self.investigation.findings.jurisdictions;
                for jurisdiction in accounts.iter().filter_map(|a| a.jurisdiction.as_ref()) {
                    if !jurisdictions.contains(jurisdiction) {
                        jurisdictions.push(jurisdiction.clone());
                    }
                }
            }
            IncidentEvent::ContainmentLogged { kind, target, performed_at, result, note } => {
                self.containment.push(ContainmentAction {
                    id: self.next_id,
                    kind: *kind,
                    target: target.clone(),
                    performed_by: actor.to_owned(),
                    performed_at: *performed_at,
                    result: *result,
                    note: note.clone(),
                    reversal: None,
                });
                self.next_id += 1;
            }
            IncidentEvent::ContainmentReversed { action_id, reason } => {
                if let Some(action) = self.containment.iter_mut().find(|a| a.id == *action_id) {
                    action.reversal = Some(Reversal { at, by: actor.to_owned(), reason: reason.clone() });
                }
            }
            IncidentEvent::NoteAdded { .. } | IncidentEvent::NotificationSent { .. } => {}
            IncidentEvent::StakeholdersSet { emails } => self.stakeholders.clone_from(emails),
            IncidentEvent::FilingSaved { obligation, answers } => {
                self.filings.entry(obligation.clone()).or_default().answers.clone_from(answers);
            }
            IncidentEvent::FilingRecorded { obligation, at, method, authority_reference } => {
                let filed = Filed {
                    at: *at,
                    method: *method,
                    by: actor.to_owned(),
                    authority_reference: authority_reference.clone(),
                };
                self.filings.entry(obligation.clone()).or_default().filed = Some(filed);
            }
            IncidentEvent::NoticeDrafted { notice_id, content } => match self.notice_mut(*notice_id) {
                Some(notice) => {
                    notice.content = content.clone();
                    notice.status = NoticeStatus::Draft;
                }
                None => self.notices.push(Notice {
                    id: *notice_id,
                    content: content.clone(),
                    composed_by: actor.to_owned(),
                    status: NoticeStatus::Draft,
                    recipients: None,
                    finished: None,
                }),
            },
            IncidentEvent::NoticeRecipientsSet { notice_id, recipients } => {
                if let Some(notice) = self.notice_mut(*notice_id) {
                    notice.recipients = Some(recipients.clone());
                    notice.status = NoticeStatus::Draft;
                }
            }
            IncidentEvent::NoticeApprovalRequested { notice_id } => {
                if let Some(notice) = self.notice_mut(*notice_id) {
                    notice.status = NoticeStatus::AwaitingApproval { requested_by: actor.to_owned(), at };
                }
            }
            IncidentEvent::NoticeApproved { notice_id } => {
                if let Some(notice) = self.notice_mut(*notice_id) {
                    notice.status = NoticeStatus::Approved { by: actor.to_owned(), at };
                }
            }
            IncidentEvent::NoticeWithdrawn { notice_id } => {
                if let Some(notice) = self.notice_mut(*notice_id) {
                    notice.status = NoticeStatus::Withdrawn { by: actor.to_owned(), at };
                }
            }
            IncidentEvent::NoticeCampaignFinished { notice_id, result } => {
                if let Some(notice) = self.notice_mut(*notice_id) {
                    notice.finished = Some(*result);
                }
            }
            IncidentEvent::AccessRestricted { restricted } => self.restricted = *restricted,
            IncidentEvent::ReviewSaved { draft } => self.review.draft.clone_from(draft),
            IncidentEvent::ReviewCompleted => {
                self.review.completed_at = Some(at);
                self.review.completed_by = Some(actor.to_owned());
            }
            IncidentEvent::AnchorSet { anchor, at: Some(set), .. } => {
                self.clock.insert(anchor.clone(), *set);
            }
            IncidentEvent::AnchorSet { anchor, at: None, .. } => {
                self.clock.remove(anchor);
            }
            IncidentEvent::ObligationsReconciled { changes } => {
                for change in changes {
                    self.apply_obligation_change(change, at);
                }
            }
            IncidentEvent::ObligationWaived { id, justification } => {
                if let Some(obligation) = self.obligation_mut(id) {
                    obligation.status =
                        ObligationStatus::NotRequired { reason: justification.clone(), by: Some(actor.to_owned()), at };
                }
            }
            IncidentEvent::ObligationMet { id, met_at, evidence } => {
                if let Some(obligation) = self.obligation_mut(id) {
                    obligation.status =
                        ObligationStatus::Met { met_at: *met_at, by: actor.to_owned(), evidence: evidence.clone() };
                }
            }
        }
    }

    fn apply_obligation_change(&mut self, change: &ObligationChange, at: DateTime<Utc>) {
        match change {
            ObligationChange::Opened { obligation } => self.obligations.push(obligation.as_ref().clone()),
            ObligationChange::Retimed { id, clock_started_at, due_at, warnings }
            | ObligationChange::Reopened { id, clock_started_at, due_at, warnings } => {
                if let Some(obligation) = self.obligation_mut(id) {
                    obligation.clock_started_at = *clock_started_at;
                    obligation.due_at = *due_at;
                    obligation.warnings.clone_from(warnings);
                    obligation.status = ObligationStatus::Open;
                }
            }
            ObligationChange::Lapsed { id, reason } => {
                if let Some(obligation) = self.obligation_mut(id) {
                    obligation.status = ObligationStatus::NotRequired { reason: reason.clone(), by: None, at };
                }
            }
            ObligationChange::Met { id, met_at, evidence } => {
                if let Some(obligation) = self.obligation_mut(id) {
                    obligation.status =
                        ObligationStatus::Met { met_at: *met_at, by: "tocsin".to_owned(), evidence: evidence.clone() };
                }
            }
        }
    }

    fn notice_mut(&mut self, id: u32) -> Option<&mut Notice> {
        self.notices.iter_mut().find(|n| n.id == id)
    }

    /// A notice that can still change: composed, waiting for approval, not yet approved.
    pub fn notice(&self, id: u32) -> Result<&Notice, WorkflowError> {
        self.notices
            .iter()
            .find(|n| n.id == id)
            .ok_or_else(|| WorkflowError::Refused(format!("There is no notice {id}")))
    }

    pub fn editable_notice(&self, id: u32) -> Result<&Notice, WorkflowError> {
        let notice = self.notice(id)?;
        match notice.status {
            NoticeStatus::Draft | NoticeStatus::AwaitingApproval { .. } => Ok(notice),
            NoticeStatus::Approved { .. } => Err(WorkflowError::Refused(format!(
                "Notice {id} was approved and is being sent; it can no longer change"
            ))),
            NoticeStatus::Withdrawn { .. } => Err(WorkflowError::Refused(format!("Notice {id} was withdrawn"))),
        }
    }

    fn obligation_mut(&mut self, id: &str) -> Option<&mut Obligation> {
        self.obligations.iter_mut().find(|o| o.id == id)
    }

    fn open_obligation(&self, id: &str) -> Result<&Obligation, WorkflowError> {
        match self.obligations.iter().find(|o| o.id == id) {
            None => Err(WorkflowError::Refused(format!("This incident has no obligation {id}"))),
            Some(o) if !o.is_open() => Err(WorkflowError::Refused(format!("{id} is no longer open"))),
            Some(o) => Ok(o),
        }
    }

    fn end_role(&mut self, role: Role, person: Option<&str>, at: DateTime<Utc>) {
        for assignment in self.roles.iter_mut().filter(|a| a.role == role && a.is_current()) {
            if person.is_none_or(|p| p == assignment.person) {
                assignment.ended_at = Some(at);
            }
        }
    }

    fn playbook_tasks(&self, category: Category, phase: Phase, ctx: &Context<'_>) -> Vec<IncidentEvent> {
        let already = |title: &str| self.tasks.iter().any(|t| t.phase == phase && t.from_playbook && t.title == title);
        ctx.playbook
            .tasks_for(category, phase, ctx.now)
            .into_iter()
            .filter(|t| !already(&t.title))
            .map(|task| IncidentEvent::TaskAdded { task })
            .collect()
    }
}

/// The events that opening an incident records.
pub fn opening(
    title: &str,
    origin: Origin,
    detected_at: Option<DateTime<Utc>>,
) -> Result<IncidentEvent, WorkflowError> {
    let title = field("title", IncidentTitle::parse(title))?.into_inner();
    Ok(IncidentEvent::Opened { title, origin, detected_at })
}

/// Checks a command against the record and says what it changes. Nothing is changed here.
pub fn decide(
    record: &IncidentRecord,
    command: IncidentCommand,
    ctx: &Context<'_>,
) -> Result<Vec<IncidentEvent>, WorkflowError> {
    let after_closing = matches!(
        command,
        IncidentCommand::AddNote { .. }
            | IncidentCommand::SetAnchor { .. }
            | IncidentCommand::MeetObligation { .. }
            | IncidentCommand::WaiveObligation { .. }
            | IncidentCommand::SaveFiling { .. }
            | IncidentCommand::RecordFiling { .. }
    );
    if record.phase == Phase::Closed && !after_closing {
        return Err(WorkflowError::Refused(
            "The incident is closed; only notes, clock corrections and obligations can change".to_owned(),
        ));
    }
    let events = match command {
        IncidentCommand::Rename { title } => {
            vec![IncidentEvent::Renamed { title: field("title", IncidentTitle::parse(&title))?.into_inner() }]
        }
        IncidentCommand::Classify { category, severity } => {
            let mut events = vec![IncidentEvent::Classified { category, severity }];
            if record.classification.category != Some(category) {
                events.extend(record.playbook_tasks(category, record.phase, ctx));
            }
            events
        }
        IncidentCommand::SetVerdict { verdict, confirmed_at } => {
            let verdict = match verdict {
                VerdictChoice::NotABreach => BreachVerdict::NotABreach,
                VerdictChoice::Suspected => BreachVerdict::Suspected,
                VerdictChoice::Confirmed => {
                    let confirmed_at = confirmed_at.unwrap_or(ctx.now);
                    if confirmed_at > ctx.now {
                        return Err(invalid("confirmed_at", "The confirmation time cannot be in the future"));
                    }
                    BreachVerdict::Confirmed { confirmed_at }
                }
            };
            vec![IncidentEvent::VerdictSet { verdict }]
        }
        IncidentCommand::SetDataCategories { categories } => {
            vec![IncidentEvent::DataCategoriesSet {
                categories: field("categories", parse_data_categories(&categories))?,
            }]
        }
        IncidentCommand::AssignRole { role, person } => {
            let person = field("person", parse_person(&person, role.label()))?;
            if record.current_holders(role).any(|p| p == person) {
                return Err(WorkflowError::Refused(format!("{person} is already the {}", role.label().to_lowercase())));
            }
            vec![IncidentEvent::RoleAssigned { role, person }]
        }
        IncidentCommand::EndRole { role, person } => {
            if !record.current_holders(role).any(|p| p == person) {
                return Err(WorkflowError::Refused(format!("{person} does not hold the role {}", role.label())));
            }
            vec![IncidentEvent::RoleEnded { role, person }]
        }
        IncidentCommand::MovePhase { to, reason: raw_reason } => move_phase(record, to, &raw_reason, ctx)?,
        IncidentCommand::SetAnchor { anchor, at, reason: raw_reason } => {
            set_anchor(record, anchor, at, &raw_reason, ctx)?
        }
        IncidentCommand::MeetObligation { id, met_at, evidence_kind, evidence } => {
            if evidence_kind == EvidenceKind::File {
                return Err(invalid("evidence_kind", "Upload the file itself as the evidence"));
            }
            let what = format!("{} (evidence)", evidence_kind.label());
            let value = field("evidence", single_line(&evidence, &what, 1, EVIDENCE_MAX))?;
            meet_obligation(record, id, met_at, Evidence { kind: evidence_kind, value, file: None }, ctx)?
        }
        IncidentCommand::SaveFiling { obligation, answers } => {
            let duty = filing_duty(record, &obligation)?;
            if answers.len() > duty.rule.contents.len() {
                return Err(invalid("answers", "There are more answers than required items"));
            }
            let mut errors = ValidationErrors::default();
            let answers: Vec<String> = answers
                .iter()
                .enumerate()
                .map(|(i, answer)| {
                    let label = format!("Answer {}", i + 1);
                    errors
                        .collect(&format!("answer_{i}"), multi_line(answer, &label, 0, ANSWER_MAX))
                        .unwrap_or_default()
                })
                .collect();
            if !errors.is_empty() {
                return Err(WorkflowError::Invalid(errors));
            }
            vec![IncidentEvent::FilingSaved { obligation, answers }]
        }
        IncidentCommand::RecordFiling { obligation, filed_at, method, authority_reference } => {
            filing_duty(record, &obligation)?;
            let authority_reference = field(
                "authority_reference",
                single_line(&authority_reference, "The authority's reference", 1, FILING_REFERENCE_MAX),
            )?;
            let evidence = Evidence {
                kind: EvidenceKind::FilingReference,
                value: format!("{authority_reference} ({})", method.label()),
                file: None,
            };
            let met = meet_obligation(record, obligation.clone(), filed_at, evidence, ctx)?;
            let at = filed_at.unwrap_or(ctx.now);
            std::iter::once(IncidentEvent::FilingRecorded { obligation, at, method, authority_reference })
                .chain(met)
                .collect()
        }
        IncidentCommand::DraftNotice { notice_id, form } => {
            let content = form.parse()?;
            let notice_id = match notice_id {
                Some(id) => record.editable_notice(id)?.id,
                None => record.notices.len() as u32 + 1,
            };
            vec![IncidentEvent::NoticeDrafted { notice_id, content }]
        }
        IncidentCommand::RequestNoticeApproval { notice_id } => {
            let notice = record.editable_notice(notice_id)?;
            notice.ready_for_approval().map_err(WorkflowError::Refused)?;
            if !matches!(notice.status, NoticeStatus::Draft) {
                return Err(WorkflowError::Refused(format!("Notice {notice_id} is already waiting for approval")));
            }
            vec![IncidentEvent::NoticeApprovalRequested { notice_id }]
        }
        IncidentCommand::ApproveNotice { notice_id } => {
            let notice = record.notice(notice_id)?;
            notice.ready_for_approval().map_err(WorkflowError::Refused)?;
            notice.status.approve(ctx.actor, ctx.now).map_err(|refused| WorkflowError::Refused(refused.to_string()))?;
            vec![IncidentEvent::NoticeApproved { notice_id }]
        }
        IncidentCommand::WithdrawNotice { notice_id } => {
            record.editable_notice(notice_id)?;
            vec![IncidentEvent::NoticeWithdrawn { notice_id }]
        }
        IncidentCommand::WaiveObligation { id, justification } => {
            record.open_obligation(&id)?;
            let justification =
                field("justification", multi_line(&justification, "Justification", REASON_MIN, REASON_MAX))?;
            vec![IncidentEvent::ObligationWaived { id, justification }]
        }
        IncidentCommand::AddTask { phase, title, owner, due_at } => {
            if phase == Phase::Closed {
                return Err(invalid("phase", "The closed phase has no tasks"));
            }
            let mut errors = ValidationErrors::default();
            let title = errors.collect("title", single_line(&title, "Task", 3, TASK_TITLE_MAX));
            let owner = errors.collect("owner", optional_person(&owner, "Owner"));
            match (title, owner) {
                (Some(title), Some(owner)) => vec![IncidentEvent::TaskAdded {
                    task: NewTask { phase, title, note: None, owner, due_at, from_playbook: false },
                }],
                _ => return Err(errors.into()),
            }
        }
        IncidentCommand::UpdateTask { task_id, status, owner, due_at } => {
            record.task(task_id)?;
            let owner = field("owner", optional_person(&owner, "Owner"))?;
            vec![IncidentEvent::TaskUpdated { task_id, status, owner, due_at }]
        }
        IncidentCommand::RemoveTask { task_id } => {
            record.task(task_id)?;
            vec![IncidentEvent::TaskRemoved { task_id }]
        }
        IncidentCommand::RecordInvestigation { form } => {
            vec![IncidentEvent::InvestigationRecorded { findings: form.parse()? }]
        }
        IncidentCommand::LogContainment { kind, target, result, note, performed_at } => {
            let mut errors = ValidationErrors::default();
            let target = errors.collect("target", kind.parse_target(&target));
            let note = if note.trim().is_empty() {
                Some(None)
            } else {
                errors.collect("note", multi_line(&note, "Note", 1, TASK_NOTE_MAX).map(Some))
            };
            let performed_at = performed_at.unwrap_or(ctx.now);
            if performed_at > ctx.now {
                errors.push("performed_at", "When it was done cannot be in the future");
            }
            match (target, note) {
                (Some(target), Some(note)) if errors.is_empty() => {
                    vec![IncidentEvent::ContainmentLogged { kind, target, performed_at, result, note }]
                }
                _ => return Err(errors.into()),
            }
        }
        IncidentCommand::ReverseContainment { action_id, reason: raw_reason } => {
            let action = record
                .containment
                .iter()
                .find(|a| a.id == action_id)
                .ok_or_else(|| WorkflowError::Refused(format!("There is no containment action {action_id}")))?;
            if action.reversal.is_some() {
                return Err(WorkflowError::Refused(format!("Action {action_id} was already reversed")));
            }
            vec![IncidentEvent::ContainmentReversed { action_id, reason: field("reason", reason(&raw_reason))? }]
        }
        IncidentCommand::AddNote { markdown } => {
            vec![IncidentEvent::NoteAdded { markdown: field("markdown", multi_line(&markdown, "Note", 1, NOTE_MAX))? }]
        }
        IncidentCommand::SetStakeholders { emails } => {
            vec![IncidentEvent::StakeholdersSet { emails: field("stakeholders", parse_stakeholders(&emails))? }]
        }
        IncidentCommand::Restrict { restricted } => {
            if record.restricted == restricted {
                let already = if restricted { "restricted to its participants" } else { "open to the whole team" };
                return Err(WorkflowError::Refused(format!("The incident is already {already}")));
            }
            vec![IncidentEvent::AccessRestricted { restricted }]
        }
        IncidentCommand::SaveReview { form } => {
            if record.review.is_complete() {
                return Err(WorkflowError::Refused("The review is complete and can no longer be edited".to_owned()));
            }
            vec![IncidentEvent::ReviewSaved { draft: form.parse()? }]
        }
        IncidentCommand::CompleteReview => {
            if record.phase != Phase::LessonsLearned {
                return Err(WorkflowError::Refused("The review is completed in the lessons-learned phase".to_owned()));
            }
            if record.review.is_complete() {
                return Err(WorkflowError::Refused("The review is already complete".to_owned()));
            }
            let missing = record.review.missing();
            if !missing.is_empty() {
                return Err(WorkflowError::Refused(format!("The review still needs: {}", missing.join(", "))));
            }
            vec![IncidentEvent::ReviewCompleted]
        }
    };
    Ok(events)
}

fn move_phase(
    record: &IncidentRecord,
    to: Phase,
    raw_reason: &str,
    ctx: &Context<'_>,
) -> Result<Vec<IncidentEvent>, WorkflowError> {
    let from = record.phase;
    let moves = record.moves();
    let Some(legal) = moves.legal.iter().find(|m| m.to == to) else {
        let why = match moves.blocked.iter().find(|m| m.to == to) {
            Some(blocked) => blocked.blockers.join("; "),
            None => "phases move forward one at a time, or back with a reason".to_owned(),
        };
        return Err(WorkflowError::Refused(format!("Cannot move from {} to {}: {why}", from.label(), to.label())));
    };
    let reason = match &legal.reason {
        ReasonNeeded::No => None,
        needed => {
            let what = match needed {
                ReasonNeeded::OpenTasks { titles } => {
                    format!(
                        "{} task(s) are still open ({}); give a reason to override them",
                        titles.len(),
                        titles.join(", ")
                    )
                }
                ReasonNeeded::GoingBack => "Going back to an earlier phase needs a reason".to_owned(),
                _ => "Closing an incident that was not a breach needs a reason".to_owned(),
            };
            if raw_reason.trim().is_empty() {
                return Err(invalid("reason", what));
            }
            Some(field("reason", reason(raw_reason))?)
        }
    };
    let mut events = vec![IncidentEvent::PhaseMoved { from, to, reason }];
    if to > from
        && let Some(category) = record.classification.category
    {
        events.extend(record.playbook_tasks(category, to, ctx));
    }
    Ok(events)
}

pub const EVIDENCE_MAX: usize = 500;

/// Marks an open obligation met at `met_at` (now if absent), which cannot be in the future.
pub fn meet_obligation(
    record: &IncidentRecord,
    id: String,
    met_at: Option<DateTime<Utc>>,
    evidence: Evidence,
    ctx: &Context<'_>,
) -> Result<Vec<IncidentEvent>, WorkflowError> {
    record.open_obligation(&id)?;
    let met_at = met_at.unwrap_or(ctx.now);
    if met_at > ctx.now {
        return Err(invalid("met_at", "The time it was met cannot be in the future"));
    }
    Ok(vec![IncidentEvent::ObligationMet { id, met_at, evidence }])
}

/// An open duty to tell an authority, for which a filing can be drafted and recorded.
fn filing_duty<'a>(record: &'a IncidentRecord, id: &str) -> Result<&'a Obligation, WorkflowError> {
    let duty = record.open_obligation(id)?;
    if !is_filing(duty) {
        return Err(WorkflowError::Refused(format!("{id} is not a duty to tell an authority")));
    }
    Ok(duty)
}

/// At most this many stakeholders get each update.
pub const STAKEHOLDERS_MAX: usize = 100;

/// Email addresses, one per entry, trimmed, lower-cased and without repeats.
fn parse_stakeholders(raw: &[String]) -> Result<Vec<String>, String> {
    let mut emails: Vec<String> = Vec::new();
    for entry in raw.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let email = crate::notifications::parse_address(entry)?;
        if !emails.contains(&email) {
            emails.push(email);
        }
    }
    if emails.len() > STAKEHOLDERS_MAX {
        return Err(format!("At most {STAKEHOLDERS_MAX} stakeholders"));
    }
    Ok(emails)
}

/// Anchors that must not come before another: (earlier, later).
const ANCHOR_ORDER: [(Anchor, Anchor); 9] = [
    (Anchor::Occurred, Anchor::Detected),
    (Anchor::Detected, Anchor::Aware),
    (Anchor::Detected, Anchor::Discovered),
    (Anchor::Detected, Anchor::Determined),
    (Anchor::Detected, Anchor::Confirmed),
    (Anchor::Detected, Anchor::Contained),
    (Anchor::Contained, Anchor::Recovered),
    (Anchor::Recovered, Anchor::Closed),
    (Anchor::Detected, Anchor::Closed),
];

fn set_anchor(
    record: &IncidentRecord,
    anchor: Anchor,
    at: Option<DateTime<Utc>>,
    raw_reason: &str,
    ctx: &Context<'_>,
) -> Result<Vec<IncidentEvent>, WorkflowError> {
    if matches!(anchor, Anchor::Met(_)) {
        return Err(invalid("anchor", "A notice's time is recorded by marking its obligation met"));
    }
    let current = anchors(record);
    if at.is_none() && !record.clock.contains_key(&anchor) {
        return Err(WorkflowError::Refused(format!("\"{}\" was not set by hand", anchor.label())));
    }
    if let Some(at) = at {
        if at > ctx.now {
            return Err(invalid("at", "A clock time cannot be in the future"));
        }
        let mut after = record.clone();
        after.clock.insert(anchor.clone(), at);
        let after = anchors(&after);
        for (earlier, later) in &ANCHOR_ORDER {
            if earlier != &anchor && later != &anchor {
                continue;
            }
            if let (Some(e), Some(l)) = (after.get(earlier), after.get(later))
                && e > l
            {
                return Err(invalid(
                    "at",
                    format!(
                        "{} ({}) cannot come before {} ({})",
                        later.label(),
                        l.format("%Y-%m-%d %H:%M UTC"),
                        earlier.label().to_lowercase(),
                        e.format("%Y-%m-%d %H:%M UTC")
                    ),
                ));
            }
        }
    }
    // Changing a time already known is a correction, and a correction says why.
    let reason = if current.contains_key(&anchor) {
        if raw_reason.trim().is_empty() {
            return Err(invalid("reason", format!("\"{}\" is already known; say why it is corrected", anchor.label())));
        }
        Some(field("reason", reason(raw_reason))?)
    } else if raw_reason.trim().is_empty() {
        None
    } else {
        Some(field("reason", reason(raw_reason))?)
    };
    Ok(vec![IncidentEvent::AnchorSet { anchor, at, reason }])
}

/// A short, plain description of an event for the timeline and the export.
pub fn describe(event: &IncidentEvent) -> String {
    match event {
        IncidentEvent::Opened { title, origin, .. } => match origin {
            Origin::Report { report } => format!("Opened \"{title}\" from report {report}"),
            Origin::Declared => format!("Declared \"{title}\""),
            Origin::Alert { source } => format!("Opened \"{title}\" from a {source} alert"),
        },
        IncidentEvent::ReportLinked { report, .. } => format!("Linked report {report}"),
        IncidentEvent::AlertReceived { source, key, summary } => format!("Alert from {source} ({key}): {summary}"),
        IncidentEvent::Renamed { title } => format!("Renamed to \"{title}\""),
        IncidentEvent::Classified { category, severity } => {
            format!("Classified as {} with {} severity", category.label(), severity.label().to_lowercase())
        }
        IncidentEvent::VerdictSet { verdict } => match verdict {
            BreachVerdict::Confirmed { confirmed_at } => {
                format!("Breach confirmed at {}", confirmed_at.format("%Y-%m-%d %H:%M UTC"))
            }
            other => format!("Verdict: {}", other.label()),
        },
        IncidentEvent::DataCategoriesSet { categories } => {
            let labels: Vec<String> = categories.iter().map(DataCategory::label).collect();
            format!("Data involved: {}", if labels.is_empty() { "none".to_owned() } else { labels.join(", ") })
        }
        IncidentEvent::RoleAssigned { role, person } => format!("{person} assigned as {}", role.label().to_lowercase()),
        IncidentEvent::RoleEnded { role, person } => format!("{person} is no longer {}", role.label().to_lowercase()),
        IncidentEvent::PhaseMoved { from, to, reason } => match reason {
            Some(reason) => format!("Moved from {} to {}: {reason}", from.label(), to.label()),
            None => format!("Moved from {} to {}", from.label(), to.label()),
        },
        IncidentEvent::TaskAdded { task } => format!("Task added to {}: {}", task.phase.label(), task.title),
        IncidentEvent::TaskUpdated { task_id, status, owner, .. } => match owner {
            Some(owner) => format!("Task {task_id} is {} (owner {owner})", status.label().to_lowercase()),
            None => format!("Task {task_id} is {}", status.label().to_lowercase()),
        },
        IncidentEvent::TaskRemoved { task_id } => format!("Task {task_id} removed"),
        IncidentEvent::InvestigationRecorded { .. } => "Investigation record updated".to_owned(),
        IncidentEvent::AffectedAccountsImported { accounts } => {
            format!("{} affected account(s) imported", accounts.len())
        }
        IncidentEvent::ContainmentLogged { kind, target, result, .. } => {
            format!("{}: {target} ({})", kind.label(), result.label().to_lowercase())
        }
        IncidentEvent::ContainmentReversed { action_id, reason } => format!("Action {action_id} reversed: {reason}"),
        IncidentEvent::NoteAdded { .. } => "Note".to_owned(),
        IncidentEvent::NotificationSent { kind, recipients, .. } => {
            format!("{} sent to {}", kind.label(), recipients.join(", "))
        }
        IncidentEvent::StakeholdersSet { emails } if emails.is_empty() => "Stakeholder list emptied".to_owned(),
        IncidentEvent::FilingSaved { obligation, .. } => format!("Filing draft for {obligation} saved"),
        IncidentEvent::FilingRecorded { obligation, method, authority_reference, .. } => {
            format!(
                "{obligation} filed by {}, the authority's reference {authority_reference}",
                method.label().to_lowercase()
            )
        }
        IncidentEvent::StakeholdersSet { emails } => format!("Stakeholders: {}", emails.join(", ")),
        IncidentEvent::NoticeDrafted { notice_id, content } => {
            format!("Customer notice {notice_id} drafted: \"{}\"", content.subject)
        }
        IncidentEvent::NoticeRecipientsSet { notice_id, recipients } => {
            format!("Customer notice {notice_id}: {} recipient(s) from {}", recipients.count, recipients.source.label())
        }
        IncidentEvent::NoticeApprovalRequested { notice_id } => {
            format!("Customer notice {notice_id}: approval requested")
        }
        IncidentEvent::NoticeApproved { notice_id } => format!("Customer notice {notice_id} approved; sending"),
        IncidentEvent::NoticeWithdrawn { notice_id } => format!("Customer notice {notice_id} withdrawn"),
        IncidentEvent::NoticeCampaignFinished { notice_id, result } => format!(
            "Customer notice {notice_id} sent to {} recipient(s); {} failed, {} suppressed",
            result.sent, result.failed, result.suppressed
        ),
        IncidentEvent::AccessRestricted { restricted: true } => "Access restricted to the participants".to_owned(),
        IncidentEvent::AccessRestricted { restricted: false } => "Access opened to the whole team".to_owned(),
        IncidentEvent::ReviewSaved { .. } => "Post-incident review saved".to_owned(),
        IncidentEvent::ReviewCompleted => "Post-incident review completed".to_owned(),
        IncidentEvent::AnchorSet { anchor, at, reason } => {
            let what = match at {
                Some(at) => format!("Clock: {} set to {}", anchor.label(), at.format("%Y-%m-%d %H:%M UTC")),
                None => format!("Clock: {} set by hand was cleared", anchor.label()),
            };
            match reason {
                Some(reason) => format!("{what}: {reason}"),
                None => what,
            }
        }
        IncidentEvent::ObligationsReconciled { changes } => {
            let parts: Vec<String> = changes.iter().map(ObligationChange::describe).collect();
            format!("Obligations: {}", parts.join("; "))
        }
        IncidentEvent::ObligationMet { id, met_at, evidence } => format!(
            "Obligation {id} met at {} ({}: {})",
            met_at.format("%Y-%m-%d %H:%M UTC"),
            evidence.kind.label().to_lowercase(),
            evidence.value
        ),
        IncidentEvent::ObligationWaived { id, justification } => {
            format!("Obligation {id} judged not required: {justification}")
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::reference::ReferenceKind;
    use crate::workflow::review::FollowUpActionForm;
    use crate::workflow::tasks::PlaybookTask;

    fn playbook() -> Playbook {
        let task = |phase, title: &str| PlaybookTask {
            categories: vec![Category::AccountTakeover],
            phase,
            title: title.to_owned(),
            note: None,
            due_within_hours: Some(1),
        };
        Playbook {
            tasks: vec![
                task(Phase::Identification, "Confirm the login pattern"),
                task(Phase::ContainmentShortTerm, "Suspend the customer account"),
                task(Phase::ContainmentLongTerm, "Block the attacking IPs"),
            ],
        }
    }

    struct Incident {
        record: IncidentRecord,
        playbook: Playbook,
        replay: Vec<IncidentEvent>,
    }

    impl Incident {
        fn new() -> Self {
            let opened = opening("Credential stuffing on login", Origin::Declared, None).unwrap();
            let reference = Reference::new(ReferenceKind::Incident, 2026, 1);
            let record = IncidentRecord::open(reference, &opened, at(0), "ann").unwrap();
            Self { record, playbook: playbook(), replay: vec![opened] }
        }

        fn run(&mut self, command: IncidentCommand) -> Result<Vec<IncidentEvent>, WorkflowError> {
            let ctx = Context { now: at(1), actor: "ann", playbook: &self.playbook };
            let events = decide(&self.record, command, &ctx)?;
            for event in &events {
                self.record.apply(event, at(1), "ann");
            }
            self.replay.extend(events.clone());
            Ok(events)
        }

        fn ok(&mut self, command: IncidentCommand) {
            if let Err(e) = self.run(command.clone()) {
                panic!("{command:?} was refused: {e:?}");
            }
        }

        fn refused(&mut self, command: IncidentCommand) -> String {
            match self.run(command) {
                Err(WorkflowError::Refused(message)) => message,
                other => panic!("expected a refusal, got {other:?}"),
            }
        }

        fn invalid(&mut self, command: IncidentCommand, field: &str) {
            match self.run(command) {
                Err(WorkflowError::Invalid(errors)) => assert!(errors.for_field(field).is_some(), "{errors:?}"),
                other => panic!("expected a field error on {field}, got {other:?}"),
            }
        }

        fn move_to(&mut self, to: Phase, reason: &str) -> Result<Vec<IncidentEvent>, WorkflowError> {
            self.run(IncidentCommand::MovePhase { to, reason: reason.to_owned() })
        }

        fn ready_for_containment(&mut self) {
            self.ok(IncidentCommand::Classify { category: Category::AccountTakeover, severity: Severity::High });
            self.ok(IncidentCommand::AssignRole { role: Role::ResponseLead, person: "Tyler".into() });
            self.ok(IncidentCommand::AssignRole { role: Role::TechnicalLead, person: "Bracken".into() });
            self.finish_open_tasks();
        }

        fn finish_open_tasks(&mut self) {
            let open: Vec<u32> = self.record.tasks.iter().filter(|t| !t.status.is_finished()).map(|t| t.id).collect();
            for task_id in open {
                self.ok(IncidentCommand::UpdateTask {
                    task_id,
                    status: TaskStatus::Done,
                    owner: String::new(),
                    due_at: None,
                });
            }
        }

        fn complete_review(&mut self) {
            let form = ReviewForm {
                findings: "Reused passwords".into(),
                root_cause: "No rate limit on login".into(),
                what_worked: "Fast suspension".into(),
                what_did_not: "Alerting was slow".into(),
                follow_up_actions: vec![FollowUpActionForm {
                    action: "Add login rate limiting".into(),
                    owner: "Bracken".into(),
                    due_on: "2026-12-15".into(),
                }],
                procedure_updates: "Rate-limit alerts page the on-call".into(),
            };
            self.ok(IncidentCommand::SaveReview { form });
            self.ok(IncidentCommand::CompleteReview);
        }
    }

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + chrono::Duration::hours(hours)
    }

    const REASON: &str = "The customer confirmed ownership by phone";

    #[test]
    fn leaving_identification_needs_a_classification_and_both_leads() {
        let mut incident = Incident::new();
        let moves = incident.record.moves();
        assert!(moves.legal.is_empty());
        assert_eq!(moves.blocked[0].to, Phase::ContainmentShortTerm);
        assert_eq!(moves.blocked[0].blockers.len(), 3, "{moves:?}");
        let message =
            incident.refused(IncidentCommand::MovePhase { to: Phase::ContainmentShortTerm, reason: REASON.into() });
        assert!(
            message.contains("Classify") && message.contains("response lead") && message.contains("technical lead")
        );

        incident.ready_for_containment();
        assert_eq!(
            incident.record.moves().legal,
            [LegalMove { to: Phase::ContainmentShortTerm, reason: ReasonNeeded::No }]
        );
        incident.move_to(Phase::ContainmentShortTerm, "").unwrap();
        assert_eq!(incident.record.phase, Phase::ContainmentShortTerm);
    }

    #[test]
    fn phases_move_forward_one_at_a_time() {
        let mut incident = Incident::new();
        incident.ready_for_containment();
        for skip in [Phase::ContainmentLongTerm, Phase::Eradication, Phase::Recovery, Phase::LessonsLearned] {
            let message = incident.refused(IncidentCommand::MovePhase { to: skip, reason: REASON.into() });
            assert!(message.contains("one at a time"), "{message}");
        }
        incident.refused(IncidentCommand::MovePhase { to: Phase::Identification, reason: REASON.into() });
    }

    #[test]
    fn open_tasks_block_a_forward_move_unless_overridden_with_a_reason() {
        let mut incident = Incident::new();
        incident.ready_for_containment();
        incident.move_to(Phase::ContainmentShortTerm, "").unwrap();
        let task = incident.record.tasks.iter().find(|t| t.phase == Phase::ContainmentShortTerm).unwrap();
        assert_eq!((task.title.as_str(), task.due_at), ("Suspend the customer account", Some(at(2))));
        let legal = incident.record.moves().legal;
        let forward = legal.iter().find(|m| m.to == Phase::ContainmentLongTerm).unwrap();
        assert_eq!(forward.reason, ReasonNeeded::OpenTasks { titles: vec!["Suspend the customer account".into()] });

        incident
            .invalid(IncidentCommand::MovePhase { to: Phase::ContainmentLongTerm, reason: String::new() }, "reason");
        incident
            .invalid(IncidentCommand::MovePhase { to: Phase::ContainmentLongTerm, reason: "because".into() }, "reason");
        incident.move_to(Phase::ContainmentLongTerm, REASON).unwrap();
        assert_eq!(incident.record.phase_changes.last().unwrap().reason.as_deref(), Some(REASON));

        // Recovery needs the containment tasks done: the overridden one still counts until it is.
        incident.finish_open_tasks();
        incident.move_to(Phase::Eradication, "").unwrap();
        let open = IncidentCommand::AddTask {
            phase: Phase::ContainmentShortTerm,
            title: "Reset the API keys".into(),
            owner: "Bracken".into(),
            due_at: Some(at(3)),
        };
        incident.ok(open);
        incident.invalid(IncidentCommand::MovePhase { to: Phase::Recovery, reason: String::new() }, "reason");
        incident.finish_open_tasks();
        incident.move_to(Phase::Recovery, "").unwrap();
    }

    #[test]
    fn going_back_needs_a_reason_and_does_not_reseed_tasks() {
        let mut incident = Incident::new();
        incident.ready_for_containment();
        incident.move_to(Phase::ContainmentShortTerm, "").unwrap();
        incident.finish_open_tasks();
        incident.move_to(Phase::ContainmentLongTerm, "").unwrap();
        incident.invalid(IncidentCommand::MovePhase { to: Phase::Identification, reason: String::new() }, "reason");
        incident.move_to(Phase::ContainmentShortTerm, "The attacker came back with new accounts").unwrap();
        let before = incident.record.tasks.len();
        incident.move_to(Phase::ContainmentLongTerm, "").unwrap();
        assert_eq!(incident.record.tasks.len(), before, "playbook tasks are added once");
    }

    #[test]
    fn lessons_learned_needs_a_verdict_and_closing_needs_a_complete_review() {
        let mut incident = Incident::new();
        incident.ready_for_containment();
        for phase in [Phase::ContainmentShortTerm, Phase::ContainmentLongTerm, Phase::Eradication, Phase::Recovery] {
            incident.finish_open_tasks();
            incident.move_to(phase, "").unwrap();
        }
        let message = incident.refused(IncidentCommand::MovePhase { to: Phase::LessonsLearned, reason: REASON.into() });
        assert!(message.contains("verdict"), "{message}");
        incident.refused(IncidentCommand::CompleteReview);
        incident.ok(IncidentCommand::SetVerdict { verdict: VerdictChoice::Confirmed, confirmed_at: Some(at(1)) });
        incident.move_to(Phase::LessonsLearned, "").unwrap();

        let message = incident.refused(IncidentCommand::MovePhase { to: Phase::Closed, reason: REASON.into() });
        assert!(message.contains("review"), "{message}");
        let message = incident.refused(IncidentCommand::CompleteReview);
        assert!(message.contains("findings") && message.contains("root cause"), "{message}");
        incident.complete_review();
        incident.refused(IncidentCommand::SaveReview { form: ReviewForm::default() });
        incident.move_to(Phase::Closed, "").unwrap();

        assert!(incident.record.moves().legal.is_empty());
        let message = incident.refused(IncidentCommand::Rename { title: "Something else".into() });
        assert!(message.contains("closed"), "{message}");
        incident.ok(IncidentCommand::AddNote { markdown: "Filed with the insurer".into() });
    }

    #[test]
    fn a_non_incident_closes_from_identification_with_a_reason() {
        let mut incident = Incident::new();
        let message = incident.refused(IncidentCommand::MovePhase { to: Phase::Closed, reason: REASON.into() });
        assert!(message.contains("not a breach"), "{message}");
        incident.ok(IncidentCommand::SetVerdict { verdict: VerdictChoice::NotABreach, confirmed_at: None });
        incident.invalid(IncidentCommand::MovePhase { to: Phase::Closed, reason: String::new() }, "reason");
        incident.move_to(Phase::Closed, "A penetration test the customer had booked").unwrap();
        assert_eq!(incident.record.phase, Phase::Closed);
    }

    #[test]
    fn roles_hand_over_with_history() {
        let mut incident = Incident::new();
        incident.ok(IncidentCommand::AssignRole { role: Role::ResponseLead, person: "Tyler".into() });
        incident.refused(IncidentCommand::AssignRole { role: Role::ResponseLead, person: "Tyler".into() });
        incident.ok(IncidentCommand::AssignRole { role: Role::ResponseLead, person: "Maria".into() });
        incident.ok(IncidentCommand::AssignRole { role: Role::TeamMember, person: "Sam".into() });
        incident.ok(IncidentCommand::AssignRole { role: Role::TeamMember, person: "Kim".into() });
        assert_eq!(incident.record.current_holders(Role::ResponseLead).collect::<Vec<_>>(), ["Maria"]);
        assert_eq!(incident.record.current_holders(Role::TeamMember).count(), 2);
        let tyler = incident.record.roles.iter().find(|a| a.person == "Tyler").unwrap();
        assert_eq!(tyler.ended_at, Some(at(1)));
        incident.ok(IncidentCommand::EndRole { role: Role::TeamMember, person: "Sam".into() });
        incident.refused(IncidentCommand::EndRole { role: Role::TeamMember, person: "Sam".into() });
        assert_eq!(incident.record.roles.len(), 4, "ended assignments stay in the history");
        incident.invalid(IncidentCommand::AssignRole { role: Role::Counsel, person: " ".into() }, "person");
    }

    #[test]
    fn containment_actions_are_logged_and_reversed_once() {
        let mut incident = Incident::new();
        let block = |target: &str| IncidentCommand::LogContainment {
            kind: ActionKind::BlockIp,
            target: target.to_owned(),
            result: ActionResult::Succeeded,
            note: String::new(),
            performed_at: None,
        };
        incident.invalid(block("not an address"), "target");
        incident.ok(block("198.51.100.0/24"));
        let id = incident.record.containment[0].id;
        incident.invalid(IncidentCommand::ReverseContainment { action_id: id, reason: "oops".into() }, "reason");
        incident
            .ok(IncidentCommand::ReverseContainment { action_id: id, reason: "The range belongs to a partner".into() });
        incident.refused(IncidentCommand::ReverseContainment {
            action_id: id,
            reason: "The range belongs to a partner".into(),
        });
        incident.refused(IncidentCommand::ReverseContainment {
            action_id: 99,
            reason: "The range belongs to a partner".into(),
        });
    }

    #[test]
    fn the_record_is_rebuilt_from_its_events() {
        let mut incident = Incident::new();
        incident.ready_for_containment();
        incident.move_to(Phase::ContainmentShortTerm, "").unwrap();
        incident.ok(IncidentCommand::SetDataCategories { categories: vec!["Credentials".into(), "Payroll".into()] });
        let mut events = incident.replay.iter();
        let mut rebuilt =
            IncidentRecord::open(incident.record.reference, events.next().unwrap(), at(0), "ann").unwrap();
        for event in events {
            rebuilt.apply(event, at(1), "ann");
        }
        assert_eq!(rebuilt, incident.record);
    }
}
