//! The one way an incident changes: a command is checked against the record ([`decide`]) and
//! becomes events; nothing is changed here. The guards live next to the commands they check.

use crate::time::utc_minute;
use chrono::{DateTime, Utc};

use super::commands::{Context, IncidentCommand, NOTE_MAX, VerdictChoice, WorkflowError};
use super::events::IncidentEvent;
use super::state::{IncidentRecord, Origin};
use crate::deadlines::obligation::{Evidence, EvidenceKind, Obligation, ObligationStatus};
use crate::deadlines::timing::Anchor;
use crate::filings::{ANSWER_MAX, FILING_REFERENCE_MAX, is_filing};
use crate::incident::IncidentTitle;
use crate::notices::{Notice, NoticeStatus};
use crate::validation::{ValidationErrors, multi_line, single_line};
use crate::workflow::classification::{BreachVerdict, Category, parse_data_categories};
use crate::workflow::phase::{Phase, REASON_MAX, REASON_MIN, ReasonNeeded};
use crate::workflow::roles::{RoleAssignment, parse_person};
use crate::workflow::tasks::{NewTask, TASK_NOTE_MAX, TASK_TITLE_MAX, Task};

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
    fn task(&self, id: u32) -> Result<&Task, WorkflowError> {
        self.tasks.iter().find(|t| t.id == id).ok_or_else(|| WorkflowError::Refused(format!("There is no task {id}")))
    }

    pub fn notice(&self, id: u32) -> Result<&Notice, WorkflowError> {
        self.notices
            .iter()
            .find(|n| n.id == id)
            .ok_or_else(|| WorkflowError::Refused(format!("There is no notice {id}")))
    }

    /// A notice that can still change: composed, waiting for approval, not yet approved.
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

    fn open_obligation(&self, id: &str) -> Result<&Obligation, WorkflowError> {
        match self.obligations.iter().find(|o| o.id == id) {
            None => Err(WorkflowError::Refused(format!("This incident has no obligation {id}"))),
            Some(o) if !o.is_open() => Err(WorkflowError::Refused(format!("{id} is no longer open"))),
            Some(o) => Ok(o),
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

/// The events that opening an incident records; `by_account` is the opener's (none for Tocsin).
pub fn opening(
    title: &str,
    origin: Origin,
    detected_at: Option<DateTime<Utc>>,
    by_account: Option<String>,
) -> Result<IncidentEvent, WorkflowError> {
    let title = field("title", IncidentTitle::parse(title))?.into_inner();
    Ok(IncidentEvent::Opened { title, origin, detected_at, by_account })
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
            | IncidentCommand::ReopenObligation { .. }
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
        IncidentCommand::AssignRole { role, person, holder } => {
            let person = field("person", parse_person(&person, role.label()))?;
            let same_holder = |a: &RoleAssignment| match holder.account() {
                Some(account) => a.holder.account() == Some(account),
                None => a.holder.account().is_none() && a.person == person,
            };
            if record.roles.iter().filter(|a| a.role == role && a.is_current()).any(same_holder) {
                return Err(WorkflowError::Refused(format!("{person} is already the {}", role.label().to_lowercase())));
            }
            vec![IncidentEvent::RoleAssigned { role, person, holder }]
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
            if evidence_kind == EvidenceKind::Coverage {
                return Err(invalid(
                    "evidence_kind",
                    "Tocsin counts the people told from the register; describe how the rest were told in a note",
                ));
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
            if let Some(id) = content
                .serves
                .iter()
                .find(|id| !record.obligations.iter().any(|o| &o.id == *id && o.rule.tells_individuals()))
            {
                return Err(invalid("serves", format!("{id} is not a duty of this incident to tell individuals")));
            }
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
            vec![IncidentEvent::NoticeApprovalRequested { notice_id, by_account: ctx.account.map(str::to_owned) }]
        }
        IncidentCommand::ApproveNotice { notice_id } => {
            let notice = record.notice(notice_id)?;
            notice.ready_for_approval().map_err(WorkflowError::Refused)?;
            notice
                .status
                .approve(ctx.actor, ctx.account, ctx.now)
                .map_err(|refused| WorkflowError::Refused(refused.to_string()))?;
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
        IncidentCommand::ReopenObligation { id, reason: raw_reason } => {
            let Some(obligation) = record.obligations.iter().find(|o| o.id == id) else {
                return Err(WorkflowError::Refused(format!("This incident has no obligation {id}")));
            };
            match &obligation.status {
                ObligationStatus::Open => return Err(WorkflowError::Refused(format!("{id} is already open"))),
                // The facts decided it; they reopen it when they change, not a person.
                ObligationStatus::NotRequired { by: None, .. } => {
                    return Err(WorkflowError::Refused(format!(
                        "{id} does not apply to the facts as recorded; change the facts to bring it back"
                    )));
                }
                _ => {}
            }
            if obligation.rule.met_by.is_some() {
                return Err(WorkflowError::Refused(format!("{id} is met by the record itself, not by hand")));
            }
            let reason = field("reason", multi_line(&raw_reason, "Reason", REASON_MIN, REASON_MAX))?;
            vec![IncidentEvent::ObligationReopened { id, reason }]
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
                ReasonNeeded::OpenWork { tasks, duties } => {
                    let mut open = Vec::new();
                    if !tasks.is_empty() {
                        open.push(format!("{} task(s) ({})", tasks.len(), tasks.join(", ")));
                    }
                    if !duties.is_empty() {
                        open.push(format!("{} duty(ies) ({})", duties.len(), duties.join("; ")));
                    }
                    format!("{} still open; give a reason to override them", open.join(" and "))
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
    let open_duties = match &legal.reason {
        ReasonNeeded::OpenWork { duties, .. } => duties.clone(),
        _ => Vec::new(),
    };
    let mut events = vec![IncidentEvent::PhaseMoved { from, to, reason, open_duties }];
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
    // Discovery can come before the organisation's own detection: a reporter who noticed it first.
    (Anchor::Occurred, Anchor::Discovered),
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
    let current = record.anchors();
    if at.is_none() && !record.clock.contains_key(&anchor) {
        return Err(WorkflowError::Refused(format!("\"{}\" was not set by hand", anchor.label())));
    }
    if let Some(at) = at {
        if at > ctx.now {
            return Err(invalid("at", "A clock time cannot be in the future"));
        }
        let mut after = record.clone();
        after.clock.insert(anchor.clone(), at);
        let after = after.anchors();
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
                        utc_minute(*l),
                        earlier.label().to_lowercase(),
                        utc_minute(*e)
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
