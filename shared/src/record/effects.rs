//! Where the record meets the engines below it, which know no record: the facts the deadline
//! rules read, obligations reconciled with them, and what sending a notification or finishing a
//! notice campaign records.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::events::IncidentEvent;
use super::state::IncidentRecord;
use crate::deadlines::facts::Facts;
use crate::deadlines::obligation::{Deadlines, Evidence, EvidenceKind, Obligation};
use crate::deadlines::rules::{EntityRole, VerdictKind};
use crate::notices::{CampaignResult, DeliveryCounts};
use crate::notifications::NotificationKind;
use crate::workflow::classification::{BreachVerdict, DataCategory};

/// What the rules' conditions and clocks read from `record`, for an organisation in `roles`.
pub fn facts(record: &IncidentRecord, roles: &[EntityRole]) -> Facts {
    let verdict = match record.classification.verdict {
        BreachVerdict::NotABreach => VerdictKind::NotABreach,
        BreachVerdict::Suspected => VerdictKind::Suspected,
        BreachVerdict::Confirmed { .. } => VerdictKind::Confirmed,
    };
    let findings = &record.investigation.findings;
    let data_categories = record
        .classification
        .data_categories
        .iter()
        .chain(&findings.data_accessed)
        // Parsed again so that a category saved before the vocabulary knew its alias counts as it.
        .map(|c| DataCategory::parse(c.as_str()).map_or_else(|_| c.as_str().to_owned(), |c| c.as_str().to_owned()))
        .collect();
    let mut affected_by_jurisdiction = BTreeMap::new();
    let mut jurisdictions: BTreeSet<String> = findings.jurisdictions.iter().map(|j| j.as_str().to_owned()).collect();
    for account in &record.investigation.affected_accounts {
        if let Some(j) = &account.jurisdiction {
            *affected_by_jurisdiction.entry(j.as_str().to_owned()).or_insert(0) += 1;
            jurisdictions.insert(j.as_str().to_owned());
        }
    }
    let listed = record.investigation.affected_accounts.len() as u64;
    Facts {
        verdict,
        data_categories,
        affected_estimate: findings.affected_estimate.unwrap_or(0).max(listed),
        affected_by_jurisdiction,
        jurisdictions,
        severity: record.classification.severity,
        risk: findings.risk_to_people,
        roles: roles.to_vec(),
        anchors: record.anchors(),
    }
}

/// The event that brings the incident's obligations in line with its facts, if anything changes
/// (see [`Deadlines::changes`]).
pub fn reconcile(deadlines: &Deadlines, record: &IncidentRecord, now: DateTime<Utc>) -> Option<IncidentEvent> {
    let facts = facts(record, &deadlines.organisation.roles);
    let changes = deadlines.changes(&facts, &record.obligations, record.review.completed_at, now);
    (!changes.is_empty()).then_some(IncidentEvent::ObligationsReconciled { changes })
}

/// The events of a campaign that ended with `counts`: the result on the timeline and, when every
/// person of its source was sent to (none left out for want of an address, none failed or
/// suppressed), the open duties the notice declares it
/// serves met, with the counts as evidence. Anyone not reached leaves them open, so the team
/// follows up on those people; a duty the notice does not declare is never met by it.
pub fn campaign_finished(
    record: &IncidentRecord,
    notice_id: u32,
    counts: DeliveryCounts,
    at: DateTime<Utc>,
) -> Vec<IncidentEvent> {
    let result = CampaignResult { sent: counts.sent, failed: counts.failed, suppressed: counts.suppressed, at };
    let evidence = Evidence {
        kind: EvidenceKind::MessageId,
        value: format!(
            "Customer notice {notice_id}: {} message(s) sent, {} suppressed",
            result.sent, result.suppressed
        ),
        file: None,
    };
    let notice = record.notices.iter().find(|n| n.id == notice_id);
    let left_out = notice.and_then(|n| n.recipients.as_ref()).map_or(0, |list| list.left_out);
    let reached_everyone = result.failed == 0 && result.suppressed == 0 && result.sent > 0 && left_out == 0;
    let serves = notice.map(|n| n.content.serves.as_slice()).unwrap_or(&[]);
    let served = |o: &&Obligation| o.is_open() && o.rule.tells_individuals() && serves.contains(&o.id);
    let met = record
        .obligations
        .iter()
        .filter(|o| reached_everyone && served(o))
        .map(|o| IncidentEvent::ObligationMet { id: o.id.clone(), met_at: at, evidence: evidence.clone() });
    std::iter::once(IncidentEvent::NoticeCampaignFinished { notice_id, result }).chain(met).collect()
}

/// The events of a notification sent at `sent_at`: the notification on the timeline, and, when it
/// reached everyone (`complete`), every open duty to tell its audience met, with the message ids
/// as evidence.
pub fn notification_sent(
    record: &IncidentRecord,
    kind: NotificationKind,
    subject: String,
    message: Option<String>,
    sent: Vec<(String, String)>,
    sent_at: DateTime<Utc>,
    complete: bool,
) -> Vec<IncidentEvent> {
    let (recipients, message_ids): (Vec<String>, Vec<String>) = sent.into_iter().unzip();
    let evidence = Evidence { kind: EvidenceKind::MessageId, value: message_ids.join(", "), file: None };
    let met = record
        .obligations
        .iter()
        .filter(|o| complete && o.is_open() && kind.audience().is_some_and(|a| o.rule.notify == [a]))
        .map(|o| IncidentEvent::ObligationMet { id: o.id.clone(), met_at: sent_at, evidence: evidence.clone() })
        .collect::<Vec<_>>();
    let sent = IncidentEvent::NotificationSent { kind, subject, recipients, message_ids, message };
    std::iter::once(sent).chain(met).collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::deadlines::calendar::Calendars;
    use crate::deadlines::obligation::{ObligationStatus, Plan, Standing, Step, plan, steps};
    use crate::deadlines::rules::{BUILT_IN_RULES, Organisation, RuleSet, RulesFile};
    use crate::deadlines::timing::Deadline;
    use crate::record::state::Origin;
    use crate::reference::{Reference, ReferenceKind};
    use crate::workflow::classification::DataCategory;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, hour, minute, 0).unwrap()
    }

    fn deadlines() -> Deadlines {
        let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
        let calendars = Calendars::built_in();
        let rules = RuleSet::from_files(&[file], &calendars).unwrap();
        let organisation = Organisation { roles: vec![EntityRole::Controller], calendar: "us-federal".into() };
        Deadlines { rules, calendars, organisation }
    }

    /// INC-2026-000001, "Leak", declared by Tyler at `now`.
    fn opened_at(now: DateTime<Utc>) -> IncidentRecord {
        let reference = Reference { kind: ReferenceKind::Incident, year: 2026, number: 1 };
        let opened = IncidentEvent::Opened {
            title: "Leak".into(),
            origin: Origin::Declared,
            detected_at: None,
            by_account: None,
        };
        IncidentRecord::open(reference, &opened, now, "Tyler").unwrap()
    }

    fn record() -> IncidentRecord {
        opened_at(at(9, 0))
    }

    fn reconciled(deadlines: &Deadlines, record: &mut IncidentRecord, now: DateTime<Utc>) {
        if let Some(event) = reconcile(deadlines, record, now) {
            record.apply(&event, now, "Tyler");
        }
        assert_eq!(reconcile(deadlines, record, now), None, "reconciling twice changes nothing");
    }

    fn find<'a>(record: &'a IncidentRecord, id: &str) -> &'a Obligation {
        record.obligations.iter().find(|o| o.id == id).unwrap()
    }

    #[test]
    fn duties_open_move_lapse_and_reopen_with_the_facts() {
        let deadlines = deadlines();
        let mut record = record();
        reconciled(&deadlines, &mut record, at(9, 0));
        assert_eq!(find(&record, "POLICY-INTERNAL").due_at, Some(at(10, 0)));
        // A suspected breach of EU residents' data: the GDPR duty shows, its clock waiting.
        record.classification.data_categories = vec![DataCategory::parse("personal information").unwrap()];
        record.investigation.findings.affected_estimate = Some(40);
        record.investigation.findings.jurisdictions =
            vec![crate::workflow::investigation::Jurisdiction::parse("FR").unwrap()];
        reconciled(&deadlines, &mut record, at(9, 30));
        let gdpr = find(&record, "EU-GDPR-33");
        assert_eq!((gdpr.due_at, gdpr.standing(at(9, 30))), (None, Standing::Waiting));
        record.classification.verdict = BreachVerdict::Confirmed { confirmed_at: at(11, 0) };
        reconciled(&deadlines, &mut record, at(11, 5));
        assert_eq!(find(&record, "EU-GDPR-33").due_at, Some(at(11, 0) + Duration::hours(72)));
        assert_eq!(find(&record, "POLICY-CUSTOMER").due_at, Some(at(11, 0) + Duration::hours(72)));
        record.classification.verdict = BreachVerdict::NotABreach;
        reconciled(&deadlines, &mut record, at(12, 0));
        match &find(&record, "POLICY-CUSTOMER").status {
            ObligationStatus::NotRequired { reason, by: None, .. } => assert!(reason.contains("not a breach")),
            other => panic!("{other:?}"),
        }
        record.classification.verdict = BreachVerdict::Confirmed { confirmed_at: at(11, 0) };
        reconciled(&deadlines, &mut record, at(12, 30));
        assert!(find(&record, "POLICY-CUSTOMER").is_open());
    }

    #[test]
    fn health_records_in_the_teams_words_bring_the_hipaa_duties() {
        let mut deadlines = deadlines();
        deadlines.organisation.roles = vec![EntityRole::CoveredEntity];
        let mut record = record();
        record.investigation.findings.jurisdictions =
            vec![crate::workflow::investigation::Jurisdiction::parse("US-CA").unwrap()];
        record.classification.verdict = BreachVerdict::Confirmed { confirmed_at: at(11, 0) };
        record.classification.data_categories = vec![DataCategory::parse("Payroll").unwrap()];
        reconciled(&deadlines, &mut record, at(11, 5));
        assert!(record.obligations.iter().all(|o| !o.id.starts_with("US-HIPAA")), "no health data yet");
        // What the old form suggested typing is the vocabulary's health information.
        record.classification.data_categories = vec![DataCategory::parse("Health records").unwrap()];
        reconciled(&deadlines, &mut record, at(11, 10));
        assert!(find(&record, "US-HIPAA-IND").is_open());
    }

    /// NY Gen. Bus. Law §899-aa(9): the HHS notice goes to the New York AG within five business
    /// days of notifying the Secretary, for a covered entity whose breach reaches New Yorkers.
    #[test]
    fn the_new_york_ag_gets_the_hhs_notice_five_business_days_after_it() {
        let mut deadlines = deadlines();
        deadlines.organisation.roles = vec![EntityRole::CoveredEntity];
        let mut record = record();
        record.investigation.findings.jurisdictions =
            vec![crate::workflow::investigation::Jurisdiction::parse("US-NY").unwrap()];
        record.investigation.findings.affected_estimate = Some(600);
        record.classification.verdict = BreachVerdict::Confirmed { confirmed_at: at(9, 0) };
        record.classification.data_categories = vec![DataCategory::parse("Health information").unwrap()];
        reconciled(&deadlines, &mut record, at(9, 5));
        assert!(find(&record, "US-HIPAA-HHS500").is_open());
        assert_eq!(find(&record, "NY-AG-HIPAA").due_at, None, "waits for the HHS notice");
        assert!(record.obligations.iter().all(|o| o.id != "NY-AG-HIPAA-LOG"), "500 or more go to HHS at once");
        // HHS told on Monday 23 November 2026: five US business days, Thanksgiving skipped.
        let evidence = Evidence { kind: EvidenceKind::FilingReference, value: "OCR-1".into(), file: None };
        record.apply(
            &IncidentEvent::ObligationMet { id: "US-HIPAA-HHS500".into(), met_at: at(10, 0), evidence },
            at(10, 0),
            "Tyler",
        );
        reconciled(&deadlines, &mut record, at(10, 5));
        let due = Utc.with_ymd_and_hms(2026, 12, 2, 4, 59, 59).unwrap();
        assert_eq!(find(&record, "NY-AG-HIPAA").due_at, Some(due), "end of Tuesday 1 December in New York");
    }

    /// 45 CFR §164.406(a): media notice for "more than 500 residents of a State or jurisdiction",
    /// not for 700 people spread over two states.
    #[test]
    fn hipaas_media_notice_counts_the_residents_of_one_state() {
        use crate::workflow::investigation::{AffectedAccount, Jurisdiction};
        let mut deadlines = deadlines();
        deadlines.organisation.roles = vec![EntityRole::CoveredEntity];
        let mut record = record();
        record.classification.verdict = BreachVerdict::Confirmed { confirmed_at: at(9, 0) };
        record.classification.data_categories = vec![DataCategory::parse("Health information").unwrap()];
        let add = |record: &mut IncidentRecord, place: &str, count: usize| {
            for _ in 0..count {
                record.investigation.affected_accounts.push(AffectedAccount {
                    account: None,
                    email: None,
                    name: None,
                    jurisdiction: Some(Jurisdiction::parse(place).unwrap()),
                });
            }
        };
        add(&mut record, "US-CA", 400);
        add(&mut record, "US-TX", 300);
        reconciled(&deadlines, &mut record, at(9, 5));
        assert!(find(&record, "US-HIPAA-HHS500").is_open(), "700 in all: HHS is told at once");
        assert!(record.obligations.iter().all(|o| o.id != "US-HIPAA-MEDIA"), "no state has more than 500");
        add(&mut record, "US-CA", 101);
        reconciled(&deadlines, &mut record, at(9, 10));
        assert!(find(&record, "US-HIPAA-MEDIA").is_open(), "501 Californians");
    }

    #[test]
    fn the_frozen_rule_keeps_its_deadline_when_the_rules_change() {
        let mut deadlines = deadlines();
        let mut record = record();
        reconciled(&deadlines, &mut record, at(9, 0));
        let rule = deadlines.rules.rules.iter_mut().find(|r| r.id == "POLICY-INTERNAL").unwrap();
        rule.deadline = Deadline::Hours(4);
        record.detected_at = Some(at(8, 0));
        reconciled(&deadlines, &mut record, at(9, 10));
        assert_eq!(
            find(&record, "POLICY-INTERNAL").due_at,
            Some(at(9, 0)),
            "the copy's 1 hour, from the new detection"
        );
    }

    #[test]
    fn plans_send_each_step_once_and_overtaken_reminders_are_not_sent() {
        let deadlines = deadlines();
        let mut record = record();
        reconciled(&deadlines, &mut record, at(9, 0));
        let internal = find(&record, "POLICY-INTERNAL");
        let keys = |steps: &[Step]| steps.iter().map(|s| s.key.clone()).collect::<Vec<_>>();
        // Reminders at the start (an hour left) and half-way; escalations at 10:00 and 11:00.
        assert_eq!(keys(&steps(internal)), ["reminder-1", "reminder-0", "escalation-0", "escalation-1"]);
        let nothing_done = |_: &str| false;
        let first = plan(internal, &nothing_done, at(9, 1));
        assert_eq!((keys(&first.send), first.next_at), (vec!["reminder-1".to_owned()], Some(at(9, 30))));
        let missed = plan(internal, &nothing_done, at(9, 45));
        assert_eq!(
            (keys(&missed.send), keys(&missed.superseded)),
            (vec!["reminder-0".into()], vec!["reminder-1".into()])
        );
        let late = plan(internal, &nothing_done, at(12, 0));
        assert_eq!(keys(&late.send), ["escalation-0", "escalation-1"]);
        assert_eq!(keys(&late.superseded), ["reminder-1", "reminder-0"]);
        assert_eq!(late.next_at, None);
        let all_done = |_: &str| true;
        assert_eq!(plan(internal, &all_done, at(12, 0)), Plan::default());
    }

    fn new_incident(now: DateTime<Utc>) -> IncidentRecord {
        let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
        let calendars = Calendars::built_in();
        let rules = RuleSet::from_files(&[file], &calendars).unwrap();
        let organisation = Organisation { roles: vec![EntityRole::Controller], calendar: "us-federal".into() };
        let deadlines = Deadlines { rules, calendars, organisation };
        let mut record = opened_at(now);
        let reconciled = reconcile(&deadlines, &record, now).unwrap();
        record.apply(&reconciled, now, "Tyler");
        record
    }

    #[test]
    fn a_campaign_meets_only_the_duties_its_notice_serves_and_only_when_it_reached_everyone() {
        use crate::deadlines::obligation::ObligationStatus;
        use crate::notices::{DeliveryCounts, NoticeForm, RecipientList, RecipientSource};
        let now = at(9, 0);
        let mut record = record();
        let rules = deadlines().rules;
        for id in ["EU-GDPR-34", "CA-IND", "POLICY-INTERNAL"] {
            record.obligations.push(Obligation {
                id: id.into(),
                rule: rules.rule(id).unwrap().clone(),
                rules_version: "test".into(),
                opened_at: now,
                clock_started_at: Some(now),
                due_at: None,
                warnings: Vec::new(),
                status: ObligationStatus::Open,
            });
        }
        let form = NoticeForm {
            subject: "Ein Datenleck bei uns".into(),
            nature: "n".into(),
            contact: "c".into(),
            consequences: "c".into(),
            measures: "m".into(),
            advice: "a".into(),
            controller_information: "c".into(),
            serves: vec!["EU-GDPR-34".into()],
        };
        record.apply(&IncidentEvent::NoticeDrafted { notice_id: 1, content: form.parse().unwrap() }, now, "Tyler");
        let counts =
            |sent, failed, suppressed| DeliveryCounts { sent, failed, suppressed, ..DeliveryCounts::default() };
        let met = |events: &[IncidentEvent]| -> Vec<String> {
            events
                .iter()
                .filter_map(|e| match e {
                    IncidentEvent::ObligationMet { id, .. } => Some(id.clone()),
                    _ => None,
                })
                .collect()
        };
        // A German notice sent to everyone it lists meets its own duty, not California's.
        assert_eq!(met(&campaign_finished(&record, 1, counts(600, 0, 0), now)), ["EU-GDPR-34"]);
        // One person not reached, bounced before or failed now, leaves the duty open.
        assert!(met(&campaign_finished(&record, 1, counts(599, 0, 1), now)).is_empty());
        assert!(met(&campaign_finished(&record, 1, counts(599, 1, 0), now)).is_empty());
        // Ten people without an address were never on the list: sending to the rest is not enough.
        let list = RecipientList { list: "L".into(), count: 590, source: RecipientSource::Csv, left_out: 10 };
        record.apply(&IncidentEvent::NoticeRecipientsSet { notice_id: 1, recipients: list }, now, "Tyler");
        assert!(met(&campaign_finished(&record, 1, counts(590, 0, 0), now)).is_empty());
    }

    #[test]
    fn only_a_notification_that_reached_everyone_meets_the_internal_duty() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let record = new_incident(now);
        let sent = || vec![("it@corp.example".to_owned(), "m-1".to_owned())];
        let internal = || NotificationKind::Internal;

        let partial = notification_sent(&record, internal(), "New incident".into(), None, sent(), now, false);
        assert!(matches!(partial[..], [IncidentEvent::NotificationSent { .. }]), "{partial:?}");

        let complete = notification_sent(&record, internal(), "New incident".into(), None, sent(), now, true);
        assert_eq!(complete.len(), 2, "the notification and the one duty it meets: {complete:?}");
        let mut record = record;
        for event in complete {
            record.apply(&event, now, "Tocsin");
        }
        let duty = record.obligations.iter().find(|o| o.id == "POLICY-INTERNAL").unwrap();
        let ObligationStatus::Met { evidence, met_at, .. } = &duty.status else { panic!("{:?}", duty.status) };
        assert_eq!((evidence.kind, evidence.value.as_str(), *met_at), (EvidenceKind::MessageId, "m-1", now));
    }
}
