//! Obligations: one duty of one incident, made from a rule whose conditions hold, with a frozen
//! copy of that rule and its due time. They are never dropped: a duty that stops applying becomes
//! "not required" with the reason.

use crate::time::utc_minute;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::Calendars;
use super::compute::due_at;
use super::facts::Facts;
use super::rules::{EscalationTarget, MetBy, Organisation, Rule, RuleSet};
use super::timing::Anchor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The message id of the notice sent.
    MessageId,
    /// The authority's reference for a filing.
    FilingReference,
    /// A file kept as an attachment (the upload's id).
    File,
    /// Anything else, described.
    Note,
    /// Every person in the duty's scope told, counted from the register (never chosen by hand).
    Coverage,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 4] =
        [EvidenceKind::MessageId, EvidenceKind::FilingReference, EvidenceKind::File, EvidenceKind::Note];

    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::MessageId => "Email message id",
            EvidenceKind::FilingReference => "Regulator's reference",
            EvidenceKind::File => "File",
            EvidenceKind::Note => "Note",
            EvidenceKind::Coverage => "People told",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::MessageId => "message_id",
            EvidenceKind::FilingReference => "filing_reference",
            EvidenceKind::File => "file",
            EvidenceKind::Note => "note",
            EvidenceKind::Coverage => "coverage",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// The message id, the reference, the note, or the file's name.
    pub value: String,
    /// The uploaded file, for [`EvidenceKind::File`]; its bytes are kept under its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<EvidenceFile>,
}

/// A file kept as evidence: checked by content like report attachments, named by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub id: String,
    pub kind: crate::attachment::AttachmentKind,
    pub size_bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ObligationStatus {
    Open,
    Met {
        met_at: DateTime<Utc>,
        by: String,
        evidence: Evidence,
    },
    /// `by` is the person who judged it not required, or `None` when the facts changed.
    NotRequired {
        reason: String,
        by: Option<String>,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    /// The rule's id; an incident has at most one obligation per rule.
    pub id: String,
    /// The rule as it was when the obligation was made; later rule changes do not move it.
    pub rule: Rule,
    pub rules_version: String,
    pub opened_at: DateTime<Utc>,
    /// When its clock started, once the anchor is known.
    pub clock_started_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub warnings: Vec<String>,
    pub status: ObligationStatus,
}

/// Where an obligation stands at a moment, for boards and countdowns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Overdue,
    DueSoon,
    Open,
    /// Its clock has not started: the anchor time is not known yet.
    Waiting,
    Met,
    NotRequired,
}

/// "Due soon" means within this long.
pub const DUE_SOON_HOURS: i64 = 24;

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Overdue => "Overdue",
            Standing::DueSoon => "Due soon",
            Standing::Open => "Open",
            Standing::Waiting => "Clock not started",
            Standing::Met => "Met",
            Standing::NotRequired => "Not required",
        }
    }
}

impl Obligation {
    pub fn is_open(&self) -> bool {
        self.status == ObligationStatus::Open
    }

    pub fn standing(&self, now: DateTime<Utc>) -> Standing {
        match (&self.status, self.due_at) {
            (ObligationStatus::Met { .. }, _) => Standing::Met,
            (ObligationStatus::NotRequired { .. }, _) => Standing::NotRequired,
            (ObligationStatus::Open, None) => Standing::Waiting,
            (ObligationStatus::Open, Some(due)) if due <= now => Standing::Overdue,
            (ObligationStatus::Open, Some(due)) if due - now <= Duration::hours(DUE_SOON_HOURS) => Standing::DueSoon,
            (ObligationStatus::Open, Some(_)) => Standing::Open,
        }
    }

    /// Met by its due time; `None` while it is open or not required.
    pub fn met_on_time(&self) -> Option<bool> {
        match (&self.status, self.due_at) {
            (ObligationStatus::Met { met_at, .. }, Some(due)) => Some(*met_at <= due),
            (ObligationStatus::Met { .. }, None) => Some(true),
            _ => None,
        }
    }
}

/// One change the deadline rules make to an incident's obligations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ObligationChange {
    Opened {
        obligation: Box<Obligation>,
    },
    Retimed {
        id: String,
        #[serde(flatten)]
        timing: Timing,
    },
    /// The facts changed and the duty no longer applies.
    Lapsed {
        id: String,
        reason: String,
    },
    /// The facts changed and a lapsed duty applies again.
    Reopened {
        id: String,
        #[serde(flatten)]
        timing: Timing,
    },
    /// Met by an event of the record itself (the review completed).
    Met {
        id: String,
        met_at: DateTime<Utc>,
        evidence: Evidence,
    },
}

fn when(due_at: Option<DateTime<Utc>>) -> String {
    due_at.map_or_else(|| "clock not started".to_owned(), |d| format!("due {}", utc_minute(d)))
}

impl ObligationChange {
    pub fn describe(&self) -> String {
        match self {
            ObligationChange::Opened { obligation } => {
                format!("{} ({}), {}", obligation.id, obligation.rule.title, when(obligation.due_at))
            }
            ObligationChange::Retimed { id, timing } => format!("{id} now {}", when(timing.due_at)),
            ObligationChange::Lapsed { id, reason } => format!("{id} not required. {reason}"),
            ObligationChange::Reopened { id, timing } => format!("{id} applies again, {}", when(timing.due_at)),
            ObligationChange::Met { id, evidence, .. } => format!("{id} met ({})", evidence.value),
        }
    }
}

/// The rules, calendars and organisation the obligations are computed with.
#[derive(Debug, Clone)]
pub struct Deadlines {
    pub rules: RuleSet,
    pub calendars: Calendars,
    pub organisation: Organisation,
}

/// An obligation's clock and due time as its rule reads them from the facts, with what made
/// them uncertain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    pub clock_started_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub warnings: Vec<String>,
}

impl Deadlines {
    /// A new open obligation `id` of `rule`, its clock and due time read from `anchors`.
    pub(crate) fn opened(
        &self,
        id: String,
        rule: &Rule,
        anchors: &BTreeMap<Anchor, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> ObligationChange {
        let timing = self.timing(rule, anchors);
        ObligationChange::Opened {
            obligation: Box::new(Obligation {
                id,
                rule: rule.clone(),
                rules_version: self.rules.version.clone(),
                opened_at: now,
                clock_started_at: timing.clock_started_at,
                due_at: timing.due_at,
                warnings: timing.warnings,
                status: ObligationStatus::Open,
            }),
        }
    }

    fn timing(&self, rule: &Rule, anchors: &BTreeMap<Anchor, DateTime<Utc>>) -> Timing {
        let Some(start) = anchors.get(&rule.anchor).copied() else {
            return Timing {
                clock_started_at: None,
                due_at: None,
                warnings: vec![format!("The clock starts at \"{}\", which is not recorded yet", rule.anchor.label())],
            };
        };
        let due = due_at(&rule.deadline, start, &self.calendars, &self.organisation.calendar);
        let mut at = due.at;
        // The cap binds only when it falls after the clock started (DORA RTS 2025/301 Art. 5(2)).
        if let Some(cap) = &rule.cap
            && let Some(cap_start) = anchors.get(&cap.anchor)
        {
            let capped = *cap_start + Duration::hours(i64::from(cap.hours));
            if capped >= start && capped < at {
                at = capped;
            }
        }
        Timing { clock_started_at: Some(start), due_at: Some(at), warnings: due.warnings }
    }

    /// The changes that bring an incident's obligations in line with its facts: new duties
    /// opened, due times moved, duties that stopped applying marked not required and ones that
    /// apply again reopened. Duties met or judged not required by a person stay as they are; a
    /// duty met by the review is met once `review_completed_at` is known.
    pub fn changes(
        &self,
        facts: &Facts,
        obligations: &[Obligation],
        review_completed_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Vec<ObligationChange> {
        let mut changes = Vec::new();
        for obligation in obligations {
            let unmet = facts.unmet(&obligation.rule.when);
            match (&obligation.status, unmet) {
                (ObligationStatus::Open, Some(reason)) => {
                    changes.push(ObligationChange::Lapsed { id: obligation.id.clone(), reason: lapse(&reason) });
                }
                (ObligationStatus::Open, None)
                    if obligation.rule.met_by == Some(MetBy::ReviewCompleted)
                        && let Some(completed_at) = review_completed_at =>
                {
                    let value = "Post-incident review completed".to_owned();
                    let evidence = Evidence { kind: EvidenceKind::Note, value, file: None };
                    changes.push(ObligationChange::Met { id: obligation.id.clone(), met_at: completed_at, evidence });
                }
                (ObligationStatus::Open, None) => {
                    let timing = self.timing(&obligation.rule, &facts.anchors);
                    if timing.due_at != obligation.due_at
                        || timing.clock_started_at != obligation.clock_started_at
                        || timing.warnings != obligation.warnings
                    {
                        changes.push(ObligationChange::Retimed { id: obligation.id.clone(), timing });
                    }
                }
                (ObligationStatus::NotRequired { by: None, .. }, None) => {
                    let timing = self.timing(&obligation.rule, &facts.anchors);
                    changes.push(ObligationChange::Reopened { id: obligation.id.clone(), timing });
                }
                _ => {}
            }
        }
        for rule in &self.rules.rules {
            let in_force = rule.effective_from.is_none_or(|from| now.date_naive() >= from);
            if !in_force
                || rule.anchor.is_organisation()
                || obligations.iter().any(|o| o.id == rule.id)
                || facts.unmet(&rule.when).is_some()
            {
                continue;
            }
            changes.push(self.opened(rule.id.clone(), rule, &facts.anchors, now));
        }
        changes
    }
}

fn lapse(reason: &str) -> String {
    format!("No longer applies: {reason}")
}

/// A reminder or an escalation of one obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Stable across runs, so each step is sent once: `reminder-1`, `escalation-0`.
    pub key: String,
    pub at: DateTime<Utc>,
    pub kind: StepKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Reminder,
    Escalation(EscalationTarget),
}

/// The reminders and escalations of an open obligation whose clock runs, in time order.
pub fn steps(obligation: &Obligation) -> Vec<Step> {
    let (ObligationStatus::Open, Some(start), Some(due)) =
        (&obligation.status, obligation.clock_started_at, obligation.due_at)
    else {
        return Vec::new();
    };
    let mut steps: Vec<Step> = Vec::new();
    for (index, reminder) in obligation.rule.reminders.iter().flatten().enumerate() {
        let at = match (reminder.at_percent, reminder.hours_before) {
            (Some(percent), _) => start + (due - start) * i32::from(percent) / 100,
            (None, Some(hours)) => due - Duration::hours(i64::from(hours)),
            (None, None) => continue,
        };
        // A reminder before the clock started, or at the same moment as another, adds nothing.
        if at >= start && at < due && !steps.iter().any(|s| s.at == at) {
            steps.push(Step { key: format!("reminder-{index}"), at, kind: StepKind::Reminder });
        }
    }
    for (index, escalation) in obligation.rule.escalation.iter().flatten().enumerate() {
        steps.push(Step {
            key: format!("escalation-{index}"),
            at: due + Duration::hours(i64::from(escalation.after_hours)),
            kind: StepKind::Escalation(escalation.to),
        });
    }
    steps.sort_by_key(|s| s.at);
    steps
}

/// What the checker does for one obligation now, given the steps already done.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub send: Vec<Step>,
    /// Reminders overtaken by a later reminder or by the due time, recorded as not sent.
    pub superseded: Vec<Step>,
    /// When the next step falls, if any is left.
    pub next_at: Option<DateTime<Utc>>,
}

pub fn plan(obligation: &Obligation, done: &dyn Fn(&str) -> bool, now: DateTime<Utc>) -> Plan {
    let mut plan = Plan::default();
    let pending: Vec<Step> = steps(obligation).into_iter().filter(|s| !done(&s.key)).collect();
    let overdue = obligation.due_at.is_some_and(|due| due <= now);
    let latest_due_reminder =
        pending.iter().filter(|s| s.kind == StepKind::Reminder && s.at <= now).map(|s| s.at).max();
    for step in pending {
        if step.at > now {
            plan.next_at = Some(plan.next_at.map_or(step.at, |n| n.min(step.at)));
        } else if step.kind == StepKind::Reminder && (overdue || Some(step.at) != latest_due_reminder) {
            plan.superseded.push(step);
        } else {
            plan.send.push(step);
        }
    }
    plan
}
