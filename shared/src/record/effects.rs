//! Where the record meets the engines below it, which know no record: the facts the deadline
//! rules read, obligations reconciled with them, and what sending a notification or finishing a
//! notice campaign records.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::events::IncidentEvent;
use super::state::IncidentRecord;
use crate::deadlines::facts::Facts;
use crate::deadlines::obligation::{Deadlines, Evidence, EvidenceKind, Obligation, ObligationStatus};
use crate::deadlines::rules::{EntityRole, Rule, VerdictKind};
use crate::notices::{CampaignResult, DeliveryCounts, Recipient};
use crate::notifications::NotificationKind;
use crate::people::{Accounted, Accounting, GroupKey, Population, group_digits};
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
        .collect::<BTreeSet<String>>();
    let population = population(record);
    let mut jurisdictions: BTreeSet<String> = findings.jurisdictions.iter().map(|j| j.as_str().to_owned()).collect();
    jurisdictions.extend(population.by_jurisdiction(&[], &[]).into_keys());
    let data_categories = data_categories.into_iter().chain(population.data_elements().map(str::to_owned)).collect();
    let listed = population.total();
    Facts {
        verdict,
        data_categories,
        affected_estimate: findings.affected_estimate.unwrap_or(0).max(listed),
        population,
        jurisdictions,
        severity: record.classification.severity,
        risk: findings.risk_to_people,
        roles: roles.to_vec(),
        anchors: record.anchors(),
    }
}

/// The affected people the rules count: the register's groups, or for an incident from before
/// the register, its affected-account list.
pub fn population(record: &IncidentRecord) -> Population {
    if !record.people.is_empty() {
        return record.people.clone();
    }
    Population::from_counts(record.investigation.affected_accounts.iter().map(|account| {
        let key = GroupKey {
            jurisdiction: account.jurisdiction.as_ref().map(|j| j.as_str().to_owned()),
            data_elements: Vec::new(),
            email: account.email.is_some(),
            postal: false,
        };
        (key, 1)
    }))
}

/// The event that brings the incident's obligations in line with its facts, if anything changes
/// (see [`Deadlines::changes`]).
pub fn reconcile(deadlines: &Deadlines, record: &IncidentRecord, now: DateTime<Utc>) -> Option<IncidentEvent> {
    let facts = facts(record, &deadlines.organisation.roles);
    let changes = deadlines.changes(&facts, &record.obligations, record.review.completed_at, now);
    (!changes.is_empty()).then_some(IncidentEvent::ObligationsReconciled { changes })
}

/// How many of the register's people a duty's rule covers: those in its jurisdictions with the
/// data elements it names.
pub fn people_in_scope(record: &IncidentRecord, rule: &Rule) -> u64 {
    record.people.count_in(&rule.when.jurisdictions, &rule.when.data_categories)
}

/// Whether a notice's delivery to `recipient` counts toward the duty of `rule`.
pub fn covers(rule: &Rule, recipient: &Recipient) -> bool {
    let group = GroupKey {
        jurisdiction: recipient.jurisdiction.clone(),
        data_elements: recipient.data_elements.clone(),
        email: true,
        postal: false,
    };
    group.in_scope(&rule.when.jurisdictions, &rule.when.data_categories)
}

/// "1,190 of 1,200 told" for a duty to tell individuals, once the register lists anyone.
pub fn coverage(record: &IncidentRecord, obligation: &Obligation) -> Option<(u64, u64)> {
    if record.people.is_empty() || !obligation.rule.tells_individuals() {
        return None;
    }
    Some((record.told.get(&obligation.id).copied().unwrap_or(0), people_in_scope(record, &obligation.rule)))
}

/// The events of a campaign that ended with `counts`: the result on the timeline and what it
/// meets. With a register (`told`: the people told per duty, counted after this campaign), each
/// open duty the notice serves is met once everyone in its scope has been told, by this notice
/// or earlier ones. Without one (an incident from before it), a duty the notice serves is met
/// when every person of its list was sent to: none left out, failed or suppressed.
pub fn campaign_finished(
    record: &IncidentRecord,
    notice_id: u32,
    counts: DeliveryCounts,
    told: Option<BTreeMap<String, u64>>,
    at: DateTime<Utc>,
) -> Vec<IncidentEvent> {
    let result = CampaignResult { sent: counts.sent, failed: counts.failed, suppressed: counts.suppressed, at };
    let notice = record.notices.iter().find(|n| n.id == notice_id);
    let serves = notice.map(|n| n.content.serves.as_slice()).unwrap_or(&[]);
    let served = |o: &&Obligation| o.is_open() && o.rule.tells_individuals() && serves.contains(&o.id);
    let mut events = vec![IncidentEvent::NoticeCampaignFinished { notice_id, result }];
    match told {
        Some(told) => {
            let counted = IncidentEvent::PeopleTold { told };
            let last = format!("the last by customer notice {notice_id}");
            events.extend(met_by_coverage(record, counted, served, &last, at));
        }
        None => {
            let left_out = notice.and_then(|n| n.recipients.as_ref()).map_or(0, |list| list.left_out);
            let everyone = result.failed == 0 && result.suppressed == 0 && result.sent > 0 && left_out == 0;
            let value = format!(
                "Customer notice {notice_id}: {} message(s) sent, {} suppressed",
                result.sent, result.suppressed
            );
            let evidence = Evidence { kind: EvidenceKind::MessageId, value, file: None };
            events.extend(
                record.obligations.iter().filter(|o| everyone && served(o)).map(|o| IncidentEvent::ObligationMet {
                    id: o.id.clone(),
                    met_at: at,
                    evidence: evidence.clone(),
                }),
            );
        }
    }
    events
}

/// `counted` (an event that sets the people told), then each duty `served` that everyone in its
/// scope has now been told or accounted for, met with the coverage as evidence.
fn met_by_coverage(
    record: &IncidentRecord,
    counted: IncidentEvent,
    served: impl Fn(&&Obligation) -> bool,
    last: &str,
    at: DateTime<Utc>,
) -> Vec<IncidentEvent> {
    let mut after = record.clone();
    after.apply(&counted, at, "Tocsin");
    let mut events = vec![counted];
    for obligation in record.obligations.iter().filter(served) {
        let Some((told, scope)) = coverage(&after, obligation) else { continue };
        if scope > 0 && told >= scope {
            let value = format!("{} of {} people in scope told; {last}", group_digits(told), group_digits(scope));
            let evidence = Evidence { kind: EvidenceKind::Coverage, value, file: None };
            events.push(IncidentEvent::ObligationMet { id: obligation.id.clone(), met_at: at, evidence });
        }
    }
    events
}

/// People recorded as told another way, or as not required to be told, for one duty (`told`:
/// the people told per duty after it): on the trail, and the duty met if that completes it.
pub fn people_accounted_for(
    record: &IncidentRecord,
    accounting: Accounting,
    told: BTreeMap<String, u64>,
    at: DateTime<Utc>,
) -> Vec<IncidentEvent> {
    let duty = accounting.duty.clone();
    let last = match &accounting.accounted {
        Accounted::Told { channel, .. } => format!("the last {}", channel.label().to_lowercase()),
        Accounted::NotRequired { .. } => "the last recorded as not required".to_owned(),
    };
    let counted = IncidentEvent::PeopleAccountedFor { accounting, told };
    met_by_coverage(record, counted, |o| o.id == duty && o.is_open(), &last, at)
}

/// After the register or the people told changed (`change`, already applied to `after`): each
/// duty met by coverage whose scope now holds people not told reopens, saying why.
pub fn coverage_reopened(after: &IncidentRecord, why: &str) -> Vec<IncidentEvent> {
    after
        .obligations
        .iter()
        .filter(
            |o| matches!(&o.status, ObligationStatus::Met { evidence, .. } if evidence.kind == EvidenceKind::Coverage),
        )
        .filter_map(|o| {
            let (told, scope) = coverage(after, o)?;
            (told < scope).then(|| IncidentEvent::ObligationReopened {
                id: o.id.clone(),
                reason: format!("{why}: {} of {} people in scope told", group_digits(told), group_digits(scope)),
            })
        })
        .collect()
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

    /// The register's people, `(jurisdiction, data elements, how many)`.
    fn listed(groups: &[(&str, &[&str], u64)]) -> Population {
        Population::from_counts(groups.iter().map(|(place, elements, count)| {
            let key = GroupKey {
                jurisdiction: Some((*place).to_owned()),
                data_elements: elements.iter().map(|e| (*e).to_owned()).collect(),
                email: true,
                postal: false,
            };
            (key, *count)
        }))
    }

    fn open_ids(record: &IncidentRecord) -> Vec<&str> {
        record.obligations.iter().filter(|o| o.is_open()).map(|o| o.id.as_str()).collect()
    }

    /// 2,350 people of a SaaS controller that is also a HIPAA covered entity, 40 of them with
    /// health information (and SSNs). HIPAA counts those 40: 45 CFR §164.408(c) (the yearly log of
    /// breaches of fewer than 500), not §164.408(b) nor the media notice of §164.406(a). Texas
    /// counts its residents with sensitive personal information (Tex. Bus. & Com. Code
    /// §521.002(a)(2)): 10, under the 250 that §521.053(i) needs for the Attorney General.
    #[test]
    fn each_threshold_counts_only_the_people_its_law_covers() {
        let mut deadlines = deadlines();
        deadlines.organisation.roles = vec![EntityRole::Controller, EntityRole::CoveredEntity];
        let mut record = record();
        record.classification.verdict = BreachVerdict::Confirmed { confirmed_at: at(9, 0) };
        record.classification.data_categories = vec![DataCategory::parse("Credentials").unwrap()];
        let base: &[&str] = &["contact_details", "credentials", "name"];
        let health: &[&str] = &["credentials", "health_information", "name", "ssn"];
        record.people = listed(&[
            ("US-CA", base, 1180),
            ("US-CA", health, 20),
            ("US-TX", base, 290),
            ("US-TX", health, 10),
            ("US-NY", base, 190),
            ("US-NY", health, 10),
            ("DE", base, 450),
            ("FR", base, 150),
            ("IE", base, 50),
        ]);
        reconciled(&deadlines, &mut record, at(9, 5));
        let open = open_ids(&record);
        for id in ["US-HIPAA-IND", "US-HIPAA-HHSLOG", "TX-IND", "CA-IND", "EU-GDPR-33"] {
            assert!(open.contains(&id), "{id} in {open:?}");
        }
        for id in ["US-HIPAA-HHS500", "US-HIPAA-MEDIA", "TX-AG"] {
            assert!(!open.contains(&id), "{id} in {open:?}");
        }
        let why = |id: &str| {
            let rule = deadlines.rules.rules.iter().find(|r| r.id == id).unwrap();
            facts(&record, &deadlines.organisation.roles).unmet(&rule.when)
        };
        assert_eq!(why("TX-AG").as_deref(), Some("10 affected people recorded there, fewer than 250"));
        assert_eq!(why("US-HIPAA-HHS500").as_deref(), Some("40 affected people recorded there, fewer than 500"));

        // 501 Californians with health information: the media notice (§164.406(a)) and HHS at
        // once (§164.408(b)); 250 Texans with SSNs bring the Texas AG (§521.053(i)).
        record.people = listed(&[("US-CA", health, 501), ("US-TX", health, 250), ("US-TX", base, 10)]);
        reconciled(&deadlines, &mut record, at(9, 10));
        let open = open_ids(&record);
        for id in ["US-HIPAA-MEDIA", "US-HIPAA-HHS500", "TX-AG"] {
            assert!(open.contains(&id), "{id} in {open:?}");
        }
    }

    /// With no one listed, the team's estimate and jurisdictions stand in, so duties err toward
    /// applying; a listed person whose data is not recorded counts for every element.
    #[test]
    fn people_whose_data_is_not_recorded_count_toward_every_threshold() {
        let mut deadlines = deadlines();
        deadlines.organisation.roles = vec![EntityRole::Controller];
        let mut record = record();
        record.classification.verdict = BreachVerdict::Confirmed { confirmed_at: at(9, 0) };
        record.classification.data_categories = vec![DataCategory::parse("SSN").unwrap()];
        record.people = listed(&[("US-TX", &[], 260)]);
        reconciled(&deadlines, &mut record, at(9, 5));
        assert!(find(&record, "TX-AG").is_open());
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
        assert_eq!(met(&campaign_finished(&record, 1, counts(600, 0, 0), None, now)), ["EU-GDPR-34"]);
        // One person not reached, bounced before or failed now, leaves the duty open.
        assert!(met(&campaign_finished(&record, 1, counts(599, 0, 1), None, now)).is_empty());
        assert!(met(&campaign_finished(&record, 1, counts(599, 1, 0), None, now)).is_empty());
        // Ten people without an address were never on the list: sending to the rest is not enough.
        let list = RecipientList {
            list: "L".into(),
            count: 590,
            source: RecipientSource::Csv,
            left_out: 10,
            left_out_because: BTreeMap::new(),
            jurisdictions: Vec::new(),
            already_told: 0,
        };
        record.apply(&IncidentEvent::NoticeRecipientsSet { notice_id: 1, recipients: list }, now, "Tyler");
        assert!(met(&campaign_finished(&record, 1, counts(590, 0, 0), None, now)).is_empty());

        // With a register, GDPR Art. 34 is met when everyone in its scope (the EU) was told: the
        // German notice's 600 of 880 leave it open, the French and Irish ones close it.
        record.people = listed(&[("DE", &["credentials"], 600), ("FR", &["credentials"], 200), ("IE", &[], 80)]);
        let told = |n: u64| Some(BTreeMap::from([("EU-GDPR-34".to_owned(), n)]));
        let german = campaign_finished(&record, 1, counts(600, 0, 0), told(600), now);
        assert!(met(&german).is_empty());
        let mut after = record.clone();
        for event in &german {
            after.apply(event, now, "Tocsin");
        }
        let gdpr = after.obligations.iter().find(|o| o.id == "EU-GDPR-34").unwrap();
        assert_eq!(coverage(&after, gdpr), Some((600, 880)));
        let last = campaign_finished(&after, 1, counts(80, 0, 0), told(880), now);
        assert_eq!(met(&last), ["EU-GDPR-34"]);
        for event in &last {
            after.apply(event, now, "Tocsin");
        }
        // Five more French customers found later: the duty is open again until they are told.
        after.people = listed(&[("DE", &["credentials"], 600), ("FR", &["credentials"], 205), ("IE", &[], 80)]);
        let reopened = coverage_reopened(&after, "People were added to the register");
        match reopened.as_slice() {
            [IncidentEvent::ObligationReopened { id, reason }] => {
                assert_eq!(id, "EU-GDPR-34");
                assert!(reason.ends_with("880 of 885 people in scope told"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
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
