//! The incident record: its whole state, and what can be read from it (who takes part, the
//! phase moves open to it, its clock anchors). It changes only by [`super::apply`]ing events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::TeamRole;
use crate::deadlines::obligation::{Obligation, ObligationStatus};
use crate::deadlines::timing::Anchor;
use crate::filings::Filing;
use crate::notices::Notice;
use crate::people::{Accounting, Population};
use crate::reference::Reference;
use crate::workflow::classification::{BreachVerdict, Classification};
use crate::workflow::containment::ContainmentAction;
use crate::workflow::investigation::Investigation;
use crate::workflow::phase::{BlockedMove, LegalMove, Moves, Phase, ReasonNeeded};
use crate::workflow::review::Review;
use crate::workflow::roles::{Holder, Role, RoleAssignment};
use crate::workflow::tasks::Task;

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
    /// The notification duties the reason overrode, as "title (citation)".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_duties: Vec<String>,
}

/// The earliest time the evidence puts the incident at, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub at: DateTime<Utc>,
    /// "Report REP-2026-000003: when the reporter noticed it", say.
    pub source: String,
}

/// A clock anchor's time and where the record took it from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced {
    pub at: DateTime<Utc>,
    pub source: String,
}

/// The earliest of the times known, with its source.
fn earliest(candidates: impl IntoIterator<Item = (Option<DateTime<Utc>>, String)>) -> Option<Sourced> {
    candidates.into_iter().filter_map(|(at, source)| at.map(|at| Sourced { at, source })).min_by_key(|s| s.at)
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_by_account: Option<String>,
    pub origin: Origin,
    /// A detection time given when declaring (say, from monitoring), earlier than the opening.
    pub detected_at: Option<DateTime<Utc>>,
    pub phase: Phase,
    pub phase_changes: Vec<PhaseChange>,
    pub classification: Classification,
    pub roles: Vec<RoleAssignment>,
    pub tasks: Vec<Task>,
    pub investigation: Investigation,
    /// The affected-people register's counts as of its last batch (the people themselves are
    /// kept beside the record, in the register).
    #[serde(default, skip_serializing_if = "Population::is_empty")]
    pub people: Population,
    /// People told, per duty to tell individuals, counted from the register.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub told: BTreeMap<String, u64>,
    /// People recorded as told another way, or as not required to be told, per duty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounted: Vec<Accounting>,
    pub containment: Vec<ContainmentAction>,
    pub review: Review,
    pub alerts: Vec<AlertSighting>,
    /// The next id for a task or a containment action.
    pub next_id: u32,
    /// When the earliest linked report was received.
    #[serde(default)]
    pub first_report_at: Option<DateTime<Utc>>,
    /// The earliest time a report or an alert says the incident was seen, which discovery starts from.
    #[serde(default)]
    pub first_observed: Option<Observed>,
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
    /// The accounts of the participants: the opener and the current role holders. Names never
    /// decide access: two people may share one.
    pub fn participant_accounts(&self) -> Vec<&str> {
        let mut accounts: Vec<&str> = self
            .opened_by_account
            .as_deref()
            .into_iter()
            .chain(self.roles.iter().filter(|r| r.is_current()).filter_map(|r| r.holder.account()))
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        accounts
    }

    /// Participants named before accounts decided access (the opener or a current role holder),
    /// not yet linked to one: they get no access by it until they are.
    pub fn unlinked_participants(&self) -> Vec<&str> {
        // An alert's incident is opened by Tocsin, not by a person.
        let by_person = !matches!(self.origin, Origin::Alert { .. });
        let opener = (by_person && self.opened_by_account.is_none()).then_some(self.opened_by.as_str());
        let mut people: Vec<&str> = opener
            .into_iter()
            .chain(
                self.roles
                    .iter()
                    .filter(|r| r.is_current() && r.holder == Holder::NamedOnly)
                    .map(|r| r.person.as_str()),
            )
            .collect();
        people.sort_unstable();
        people.dedup();
        people
    }

    /// Whether the holder of `account`, with `role`, may see the incident at all.
    pub fn visible_to(&self, account: &str, role: TeamRole) -> bool {
        !self.restricted || role == TeamRole::Admin || self.participant_accounts().contains(&account)
    }

    pub fn current_holders(&self, role: Role) -> impl Iterator<Item = &str> {
        self.roles.iter().filter(move |a| a.role == role && a.is_current()).map(|a| a.person.as_str())
    }

    /// Open tasks of `phase` or earlier: what leaving `phase` forward would leave undone.
    fn open_tasks_up_to(&self, phase: Phase) -> Vec<String> {
        self.tasks.iter().filter(|t| t.phase <= phase && !t.status.is_finished()).map(|t| t.title.clone()).collect()
    }

    /// Duties still open, as "title (citation)". The review's own duty
    /// is left out: completing the review meets it, and closing needs the review.
    pub fn open_duties(&self) -> Vec<String> {
        self.obligations
            .iter()
            .filter(|o| o.is_open() && o.rule.met_by.is_none())
            .map(|o| format!("{} ({})", o.rule.title, o.rule.citation))
            .collect()
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
                let tasks = self.open_tasks_up_to(self.phase);
                // Winding down is where a duty to tell someone would be dropped without anyone noticing.
                let duties = if next >= Phase::LessonsLearned { self.open_duties() } else { Vec::new() };
                let reason = if tasks.is_empty() && duties.is_empty() {
                    ReasonNeeded::No
                } else {
                    ReasonNeeded::OpenWork { tasks, duties }
                };
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

    /// The first time the incident entered `phase` or a later one.
    fn reached(&self, phase: Phase) -> Option<DateTime<Utc>> {
        self.phase_changes.iter().filter(|c| c.to >= phase && c.from < phase).map(|c| c.at).min()
    }

    /// Every clock anchor of the incident: those set by hand win over those derived from the record.
    pub fn anchors(&self) -> BTreeMap<Anchor, DateTime<Utc>> {
        self.sourced_anchors().into_iter().map(|(anchor, sourced)| (anchor, sourced.at)).collect()
    }

    /// The clock anchors with where each time comes from, for the team to check before relying on it.
    pub fn sourced_anchors(&self) -> BTreeMap<Anchor, Sourced> {
        let mut derived = BTreeMap::new();
        let detected = earliest([
            (self.detected_at, "The detection time given when it was opened".to_owned()),
            (self.first_report_at, "When the first report was received".to_owned()),
            (Some(self.opened_at), "When the incident was opened".to_owned()),
        ]);
        derived.insert(Anchor::Detected, detected);
        if let BreachVerdict::Confirmed { confirmed_at } = self.classification.verdict {
            derived.insert(Anchor::Confirmed, Some(Sourced { at: confirmed_at, source: "The breach verdict".into() }));
        }
        let moved = |phase: Phase, at: Option<DateTime<Utc>>| {
            at.map(|at| Sourced { at, source: format!("Moved to {}", phase.label()) })
        };
        derived.insert(Anchor::Contained, moved(Phase::Eradication, self.reached(Phase::Eradication)));
        derived.insert(Anchor::Recovered, moved(Phase::LessonsLearned, self.reached(Phase::LessonsLearned)));
        let closed = self.phase_changes.iter().filter(|c| c.to == Phase::Closed).map(|c| c.at).max();
        derived.insert(Anchor::Closed, moved(Phase::Closed, closed));
        let mut derived: BTreeMap<Anchor, Sourced> =
            derived.into_iter().filter_map(|(anchor, sourced)| sourced.map(|s| (anchor, s))).collect();
        for (anchor, at) in &self.clock {
            derived.insert(anchor.clone(), Sourced { at: *at, source: "Set by hand".into() });
        }
        // Discovery is the earliest evidence: a reporter who noticed it days before reporting starts
        // the clock then (California's "discovery or notification", for one).
        if !derived.contains_key(&Anchor::Discovered) {
            let observed = self.first_observed.as_ref().map(|o| Sourced { at: o.at, source: o.source.clone() });
            let discovered =
                [derived.get(&Anchor::Detected).cloned(), observed].into_iter().flatten().min_by_key(|s| s.at);
            if let Some(discovered) = discovered {
                derived.insert(Anchor::Discovered, discovered);
            }
        }
        // Awareness and determination are the confirmation unless set by hand: a controller is
        // aware once reasonably certain that a breach happened (WP250 rev.01, endorsed by the EDPB).
        for anchor in [Anchor::Aware, Anchor::Determined] {
            if !derived.contains_key(&anchor)
                && let Some(confirmed) = derived.get(&Anchor::Confirmed).cloned()
            {
                derived.insert(anchor, confirmed);
            }
        }
        for obligation in &self.obligations {
            if let ObligationStatus::Met { met_at, .. } = &obligation.status {
                let source = format!("{} met", obligation.id);
                derived.insert(Anchor::Met(obligation.id.clone()), Sourced { at: *met_at, source });
            }
        }
        derived
    }
}
