//! Events applied to the record. Events were checked by [`super::decide`], so applying one cannot fail.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::events::IncidentEvent;
use super::state::{AlertSighting, IncidentRecord, Observed, Origin, PhaseChange};
use crate::deadlines::obligation::{Obligation, ObligationChange, ObligationStatus};
use crate::filings::Filed;
use crate::notices::{Notice, NoticeStatus};
use crate::people::Population;
use crate::reference::Reference;
use crate::workflow::classification::Classification;
use crate::workflow::containment::{ContainmentAction, Reversal};
use crate::workflow::investigation::Investigation;
use crate::workflow::phase::Phase;
use crate::workflow::review::Review;
use crate::workflow::roles::{Holder, Role, RoleAssignment};
use crate::workflow::tasks::{Task, TaskStatus};

impl IncidentRecord {
    /// The record as its first event leaves it.
    pub fn open(reference: Reference, event: &IncidentEvent, at: DateTime<Utc>, actor: &str) -> Option<Self> {
        let IncidentEvent::Opened { title, origin, detected_at, by_account } = event else { return None };
        Some(Self {
            reference,
            title: title.clone(),
            opened_at: at,
            opened_by: actor.to_owned(),
            opened_by_account: by_account.clone(),
            origin: origin.clone(),
            detected_at: *detected_at,
            phase: Phase::Identification,
            phase_changes: Vec::new(),
            classification: Classification::default(),
            roles: Vec::new(),
            tasks: Vec::new(),
            investigation: Investigation::default(),
            people: Population::default(),
            told: BTreeMap::new(),
            accounted: Vec::new(),
            containment: Vec::new(),
            review: Review::default(),
            alerts: Vec::new(),
            next_id: 1,
            first_report_at: None,
            first_observed: None,
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
        let opened = IncidentEvent::Opened { title, origin: Origin::Declared, detected_at: None, by_account: None };
        Self::open(reference, &opened, opened_at, "tocsin").expect("an Opened event opens a record")
    }

    /// Keeps the earliest evidence of when the incident was seen.
    fn observed(&mut self, at: Option<DateTime<Utc>>, source: impl FnOnce() -> String) {
        if let Some(at) = at
            && self.first_observed.as_ref().is_none_or(|earliest| at < earliest.at)
        {
            self.first_observed = Some(Observed { at, source: source() });
        }
    }

    /// Changes the record by one event. Events were checked by [`decide`], so this cannot fail.
    pub fn apply(&mut self, event: &IncidentEvent, at: DateTime<Utc>, actor: &str) {
        match event {
            IncidentEvent::Opened { .. } => {}
            IncidentEvent::ReportLinked { report, received_at, observed_at } => {
                if let Some(received_at) = received_at {
                    self.first_report_at = Some(self.first_report_at.map_or(*received_at, |t| t.min(*received_at)));
                }
                self.observed(*observed_at, || format!("Report {report}: when the reporter noticed it"));
            }
            IncidentEvent::AlertReceived { source, key, summary, observed_at } => {
                self.observed(*observed_at, || format!("Alert from {source}: when it was observed"));
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
            IncidentEvent::RoleAssigned { role, person, holder } => {
                if role.is_single_holder() {
                    self.end_role(*role, None, at);
                }
                self.roles.push(RoleAssignment {
                    role: *role,
                    person: person.clone(),
                    holder: holder.clone(),
                    assigned_at: at,
                    assigned_by: actor.to_owned(),
                    ended_at: None,
                });
            }
            IncidentEvent::RoleEnded { role, person } => self.end_role(*role, Some(person), at),
            IncidentEvent::ParticipantLinked { person, account } => {
                if self.opened_by == *person && self.opened_by_account.is_none() {
                    self.opened_by_account = Some(account.clone());
                }
                let named_only = |r: &&mut RoleAssignment| r.is_current() && r.holder == Holder::NamedOnly;
                for assignment in self.roles.iter_mut().filter(named_only).filter(|r| r.person == *person) {
                    assignment.holder = Holder::Account { id: account.clone() };
                }
            }
            IncidentEvent::PhaseMoved { from, to, reason, open_duties } => {
                self.phase = *to;
                self.phase_changes.push(PhaseChange {
                    from: *from,
                    to: *to,
                    at,
                    by: actor.to_owned(),
                    reason: reason.clone(),
                    open_duties: open_duties.clone(),
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
            IncidentEvent::PeopleRegisterChanged { batch } => {
                self.people.clone_from(&batch.population);
            }
            IncidentEvent::PeopleTold { told } => {
                self.told.clone_from(told);
            }
            IncidentEvent::PeopleAccountedFor { accounting, told } => {
                self.accounted.push(accounting.clone());
                self.told.clone_from(told);
            }
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
            IncidentEvent::NoticeApprovalRequested { notice_id, by_account } => {
                if let Some(notice) = self.notice_mut(*notice_id) {
                    notice.status = NoticeStatus::AwaitingApproval {
                        requested_by: actor.to_owned(),
                        requested_by_account: by_account.clone(),
                        at,
                    };
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
            IncidentEvent::ObligationReopened { id, .. } => {
                if let Some(obligation) = self.obligation_mut(id) {
                    obligation.status = ObligationStatus::Open;
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
            ObligationChange::Retimed { id, timing } | ObligationChange::Reopened { id, timing } => {
                if let Some(obligation) = self.obligation_mut(id) {
                    obligation.clock_started_at = timing.clock_started_at;
                    obligation.due_at = timing.due_at;
                    obligation.warnings.clone_from(&timing.warnings);
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

    fn obligation_mut(&mut self, id: &str) -> Option<&mut Obligation> {
        self.obligations.iter_mut().find(|o| o.id == id)
    }

    fn end_role(&mut self, role: Role, person: Option<&str>, at: DateTime<Utc>) {
        for assignment in self.roles.iter_mut().filter(|a| a.role == role && a.is_current()) {
            if person.is_none_or(|p| p == assignment.person) {
                assignment.ended_at = Some(at);
            }
        }
    }
}
