use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::deadlines::calendar::Calendars;
use crate::deadlines::obligation::{EvidenceKind, ObligationStatus};
use crate::deadlines::rules::{BUILT_IN_RULES, RuleSet, RulesFile};
use crate::filings::FilingMethod;
use crate::record::{Context, IncidentCommand, IncidentEvent, Origin, WorkflowError, decide};
use crate::reference::{Reference, ReferenceKind};
use crate::workflow::containment::{ActionKind, ActionResult};
use crate::workflow::tasks::Playbook;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// An incident with the GDPR authority duty and the internal one open, and one IP blocked.
fn incident() -> IncidentRecord {
    let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
    let rules = RuleSet::from_files(&[file], &Calendars::built_in()).unwrap();
    let reference = Reference { kind: ReferenceKind::Incident, year: 2026, number: 1 };
    let opened = IncidentEvent::Opened {
        title: "Customer database copied".into(),
        origin: Origin::Declared,
        detected_at: None,
        by_account: None,
    };
    let mut record = IncidentRecord::open(reference, &opened, now(), "Tyler").unwrap();
    for id in ["EU-GDPR-33", "POLICY-INTERNAL"] {
        let rule = rules.rules.iter().find(|r| r.id == id).unwrap().clone();
        record.obligations.push(Obligation {
            id: id.into(),
            rule,
            rules_version: "test".into(),
            opened_at: now(),
            clock_started_at: Some(now()),
            due_at: Some(now() + chrono::Duration::hours(72)),
            warnings: Vec::new(),
            status: ObligationStatus::Open,
        });
    }
    record.investigation.findings.affected_estimate = Some(1200);
    let blocked = IncidentEvent::ContainmentLogged {
        kind: ActionKind::BlockIp,
        target: "203.0.113.7".into(),
        performed_at: now(),
        result: ActionResult::Succeeded,
        note: None,
    };
    record.apply(&blocked, now(), "Tyler");
    record
}

fn run(record: &mut IncidentRecord, command: IncidentCommand) -> Result<(), WorkflowError> {
    let playbook = Playbook::default();
    let ctx = Context { now: now(), actor: "Ana", account: Some("ana-account"), playbook: &playbook };
    for event in decide(record, command, &ctx)? {
        record.apply(&event, now(), "Ana");
    }
    Ok(())
}

#[test]
fn the_draft_fills_what_the_record_holds_and_lists_the_rest_as_missing() {
    let record = incident();
    let duty = record.obligations.iter().find(|o| o.id == "EU-GDPR-33").unwrap();
    let draft = draft(&record, duty, Some("Dana Privacy, dpo@corp.example"));
    assert_eq!(draft.items.len(), duty.rule.contents.len());
    let answer = |start: &str| &draft.items.iter().find(|i| i.requirement.starts_with(start)).unwrap().answer;
    assert!(answer("Art. 33(3)(a)").contains("About 1200 people affected"), "{draft:?}");
    assert_eq!(answer("Art. 33(3)(b)"), "Dana Privacy, dpo@corp.example");
    assert!(answer("Art. 33(3)(d)").contains("Block IP or CIDR range: 203.0.113.7"), "{draft:?}");
    assert!(draft.missing.iter().any(|m| m.starts_with("Art. 33(3)(c)")), "consequences not assessed: {draft:?}");
    assert!(draft.items.iter().filter(|i| !i.answer.is_empty()).all(|i| i.drafted));
}

#[test]
fn the_teams_answers_win_and_recording_the_filing_meets_the_duty() {
    let mut record = incident();
    let answers = vec![String::new(), String::new(), "Identity theft is possible.".into()];
    run(&mut record, IncidentCommand::SaveFiling { obligation: "EU-GDPR-33".into(), answers }).unwrap();
    let duty = record.obligations.iter().find(|o| o.id == "EU-GDPR-33").unwrap().clone();
    let drafted = draft(&record, &duty, None);
    assert_eq!((drafted.items[2].answer.as_str(), drafted.items[2].drafted), ("Identity theft is possible.", false));
    assert!(drafted.missing.iter().any(|m| m.starts_with("Art. 33(3)(b)")), "no contact point configured");

    let not_a_filing = IncidentCommand::SaveFiling { obligation: "POLICY-INTERNAL".into(), answers: Vec::new() };
    assert!(matches!(run(&mut record, not_a_filing), Err(WorkflowError::Refused(_))));
    let no_reference = IncidentCommand::RecordFiling {
        obligation: "EU-GDPR-33".into(),
        filed_at: None,
        method: FilingMethod::Portal,
        authority_reference: " ".into(),
    };
    assert!(matches!(run(&mut record, no_reference), Err(WorkflowError::Invalid(_))));

    let filed = IncidentCommand::RecordFiling {
        obligation: "EU-GDPR-33".into(),
        filed_at: None,
        method: FilingMethod::Portal,
        authority_reference: "CNIL-2026-4711".into(),
    };
    run(&mut record, filed).unwrap();
    let duty = record.obligations.iter().find(|o| o.id == "EU-GDPR-33").unwrap();
    let ObligationStatus::Met { evidence, by, .. } = &duty.status else { panic!("{:?}", duty.status) };
    assert_eq!(
        (evidence.kind, evidence.value.as_str(), by.as_str()),
        (EvidenceKind::FilingReference, "CNIL-2026-4711 (Online portal)", "Ana")
    );
    let made = draft(&record, duty, None).filed.unwrap();
    assert_eq!((made.by.as_str(), made.at, made.method), ("Ana", now(), FilingMethod::Portal));
    let again = IncidentCommand::SaveFiling { obligation: "EU-GDPR-33".into(), answers: Vec::new() };
    assert!(matches!(run(&mut record, again), Err(WorkflowError::Refused(_))), "a filed draft is final");
}

/// The GDPR draft saw the Americans, and the Texas draft left its count blank: each authority's
/// draft now counts the people its law covers, beside everyone listed.
#[test]
fn each_authoritys_draft_counts_the_people_its_law_covers() {
    use crate::workflow::investigation::{AffectedAccount, Jurisdiction};
    let mut record = incident();
    let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
    let rules = RuleSet::from_files(&[file], &Calendars::built_in()).unwrap();
    let mut texas = record.obligations[0].clone();
    texas.id = "TX-AG".into();
    texas.rule = rules.rule("TX-AG").unwrap().clone();
    record.obligations.push(texas.clone());
    for (i, place) in ["DE", "DE", "FR", "US-TX", "US-TX", "US-TX", "US-CA"].into_iter().enumerate() {
        record.investigation.affected_accounts.push(AffectedAccount {
            account: Some(format!("A-{i}")),
            email: Some(format!("p{i}@example.com")),
            name: None,
            jurisdiction: Some(Jurisdiction::parse(place).unwrap()),
        });
    }
    let gdpr = record.obligations.iter().find(|o| o.id == "EU-GDPR-33").unwrap();
    let nature = draft(&record, gdpr, None).items.remove(0).answer;
    assert!(nature.contains("3 affected people listed in EEA (of 7 listed in all)"), "{nature}");
    let texas = draft(&record, &texas, None);
    let answer = |start: &str| texas.items.iter().find(|i| i.requirement.starts_with(start)).unwrap().answer.clone();
    assert_eq!(
        answer("§521.053(i)(2)"),
        "3 affected people listed in US-TX whose data includes one of the 7 elements the law lists (of 7 listed in all)"
    );
    assert_eq!(answer("§521.053(i)(3)"), "", "how many were already told is the team's to say");
}

fn duty(rules: &RuleSet, id: &str) -> Obligation {
    let rule = rules.rule(id).unwrap().clone();
    Obligation {
        id: id.into(),
        rule,
        rules_version: "test".into(),
        opened_at: now(),
        clock_started_at: Some(now()),
        due_at: Some(now() + chrono::Duration::days(30)),
        warnings: Vec::new(),
        status: ObligationStatus::Open,
    }
}

/// The register's groups: 600 Germans with contact details and credentials, 40 Californians
/// with health information and SSNs, 1,160 other Californians with credentials, 300 Texans of
/// whom 20 lost SSNs.
fn register() -> crate::people::Population {
    use crate::people::{GroupKey, Population};
    let group = |place: &str, elements: &[&str], n| {
        let key = GroupKey {
            jurisdiction: Some(place.into()),
            data_elements: elements.iter().map(|e| (*e).to_owned()).collect(),
            email: true,
            postal: false,
        };
        (key, n)
    };
    Population::from_counts([
        group("DE", &["contact_details", "credentials"], 600),
        group("US-CA", &["health_information", "ssn"], 40),
        group("US-CA", &["credentials"], 1160),
        group("US-TX", &["credentials"], 280),
        group("US-TX", &["ssn"], 20),
    ])
}

/// Each draft counts the register's people and data elements in its own law's scope: the GDPR
/// authority sees neither the Americans nor their SSNs, HHS sees the 40 with health data.
#[test]
fn drafts_count_the_registers_people_and_data_elements_in_each_laws_scope() {
    let mut record = incident();
    record.people = register();
    let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
    let rules = RuleSet::from_files(&[file], &Calendars::built_in()).unwrap();
    let answer = |draft: &FilingDraft, start: &str| {
        draft.items.iter().find(|i| i.requirement.starts_with(start)).unwrap().answer.clone()
    };

    let gdpr = draft(&record, &record.obligations[0], None);
    let nature = answer(&gdpr, "Art. 33(3)(a)");
    assert!(nature.contains("Data concerned: Contact details, Credentials."), "{nature}");
    assert!(nature.contains("600 affected people listed in EEA (of 2,100 listed in all)"), "{nature}");
    assert!(!nature.contains("Social"), "{nature}");
    assert!(gdpr.missing.iter().any(|m| m.starts_with("The supervisory authority")), "the team names the authority");
    let mut answers = vec![String::new(); gdpr.items.len()];
    answers[5] = "Data Protection Commission (Ireland), our main establishment".into();
    run(&mut record, IncidentCommand::SaveFiling { obligation: "EU-GDPR-33".into(), answers }).unwrap();
    let gdpr = draft(&record, &record.obligations[0], None);
    assert_eq!(gdpr.recipient.as_deref(), Some("Data Protection Commission (Ireland), our main establishment"));

    let hhs = draft(&record, &duty(&rules, "US-HIPAA-HHS500"), None);
    assert_eq!(
        answer(&hhs, "Breach: the approximate number"),
        "40 affected people listed whose data includes health information (of 2,100 listed in all)"
    );
    assert_eq!(
        answer(&hhs, "Breach: the type of protected health information"),
        "Health information, Social Security numbers"
    );
    assert!(answer(&hhs, "Breach: the date of discovery").starts_with("2026-11-23 09:00 UTC"), "{hhs:?}");
    assert!(hhs.missing.iter().any(|m| m.contains("safeguards")), "{hhs:?}");

    let texas = draft(&record, &duty(&rules, "TX-AG"), None);
    assert!(answer(&texas, "§521.053(i)(2)").starts_with("20 affected people listed in US-TX"), "{texas:?}");
}

/// California asks for a sample of the notice its residents received: the draft carries the
/// notice that met CA-IND, as sent, without anyone's name.
#[test]
fn the_california_sample_is_the_notice_that_told_its_residents() {
    use crate::notices::{CampaignResult, Notice, NoticeForm, NoticeStatus};
    let mut record = incident();
    let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
    let rules = RuleSet::from_files(&[file], &Calendars::built_in()).unwrap();
    let sample = duty(&rules, "CA-AG");
    assert_eq!(draft(&record, &sample, None).missing.len(), 1, "nothing sent yet");
    let form = |subject: &str, serves: &str| NoticeForm {
        subject: subject.into(),
        nature: "A copy of our customer database was taken.".into(),
        contact: "privacy@corp.example".into(),
        consequences: "Phishing is likely.".into(),
        measures: "We reset every password.".into(),
        advice: "Choose a new password.".into(),
        controller_information: "Not applicable.".into(),
        serves: vec![serves.into()],
    };
    for (id, subject, serves) in [
        (1, "Datenleck bei Corp", "EU-GDPR-34"),
        (2, "Notice of a data breach", "CA-IND"),
        (3, "Ein Nachtrag", "EU-GDPR-34"),
    ] {
        record.notices.push(Notice {
            id,
            content: form(subject, serves).parse().unwrap(),
            composed_by: "Ana".into(),
            status: NoticeStatus::Draft,
            recipients: None,
            finished: Some(CampaignResult { sent: 10, failed: 0, suppressed: 0, at: now() }),
        });
    }
    let text = draft(&record, &sample, None).items.remove(0).answer;
    assert!(text.starts_with("Customer notice 2 as sent. Subject: Notice of a data breach"), "{text}");
    assert!(text.contains("WHAT YOU SHOULD DO\nChoose a new password."), "{text}");
    assert!(!text.contains("Dear"), "no one's name: {text}");
}
