//! The workflow's rules, end to end: commands decided against a record and their events applied.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::deadlines::obligation::ObligationStatus;
use crate::reference::{Reference, ReferenceKind};
use crate::workflow::classification::{Category, Severity};
use crate::workflow::containment::{ActionKind, ActionResult};
use crate::workflow::phase::{LegalMove, Phase, ReasonNeeded};
use crate::workflow::review::{FollowUpActionForm, ReviewForm};
use crate::workflow::roles::{Holder, Role};
use crate::workflow::tasks::{Playbook, PlaybookTask, TaskStatus};
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
        let opened = opening("Credential stuffing on login", Origin::Declared, None, None).unwrap();
        let reference = Reference::new(ReferenceKind::Incident, 2026, 1);
        let record = IncidentRecord::open(reference, &opened, at(0), "ann").unwrap();
        Self { record, playbook: playbook(), replay: vec![opened] }
    }

    fn run(&mut self, command: IncidentCommand) -> Result<Vec<IncidentEvent>, WorkflowError> {
        let ctx = Context { now: at(1), actor: "ann", account: Some("ann-account"), playbook: &self.playbook };
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
        self.ok(IncidentCommand::AssignRole {
            role: Role::ResponseLead,
            person: "Tyler".into(),
            holder: Holder::NoAccount,
        });
        self.ok(IncidentCommand::AssignRole {
            role: Role::TechnicalLead,
            person: "Bracken".into(),
            holder: Holder::NoAccount,
        });
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
    assert!(message.contains("Classify") && message.contains("response lead") && message.contains("technical lead"));

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
    assert_eq!(
        forward.reason,
        ReasonNeeded::OpenWork { tasks: vec!["Suspend the customer account".into()], duties: vec![] }
    );

    incident.invalid(IncidentCommand::MovePhase { to: Phase::ContainmentLongTerm, reason: String::new() }, "reason");
    incident.invalid(IncidentCommand::MovePhase { to: Phase::ContainmentLongTerm, reason: "because".into() }, "reason");
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

/// `ids` from the built-in rules, open on the record as the deadline rules would leave them.
fn with_open_duties(record: &mut IncidentRecord, ids: &[&str]) {
    use crate::deadlines::calendar::Calendars;
    use crate::deadlines::obligation::Obligation;
    use crate::deadlines::rules::{BUILT_IN_RULES, RuleSet, RulesFile};
    let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
    let rules = RuleSet::from_files(&[file], &Calendars::built_in()).unwrap();
    for id in ids {
        record.obligations.push(Obligation {
            id: (*id).into(),
            rule: rules.rule(id).unwrap().clone(),
            rules_version: "test".into(),
            opened_at: at(0),
            clock_started_at: Some(at(0)),
            due_at: Some(at(72)),
            warnings: Vec::new(),
            status: ObligationStatus::Open,
        });
    }
}

#[test]
fn winding_down_with_duties_open_names_them_and_needs_a_reason_on_the_audit_trail() {
    let mut incident = Incident::new();
    incident.ready_for_containment();
    with_open_duties(&mut incident.record, &["EU-GDPR-34", "CA-IND", "POLICY-REVIEW"]);
    for phase in [Phase::ContainmentShortTerm, Phase::ContainmentLongTerm, Phase::Eradication, Phase::Recovery] {
        incident.finish_open_tasks();
        // Open duties do not hold up the response itself.
        incident.move_to(phase, "").unwrap();
    }
    incident.ok(IncidentCommand::SetVerdict { verdict: VerdictChoice::Confirmed, confirmed_at: Some(at(1)) });
    let legal = incident.record.moves().legal;
    let ReasonNeeded::OpenWork { tasks, duties } =
        &legal.iter().find(|m| m.to == Phase::LessonsLearned).unwrap().reason
    else {
        panic!("{legal:?}")
    };
    assert!(tasks.is_empty());
    // The review's own duty is met by the review, which closing needs anyway.
    assert_eq!(duties.len(), 2, "{duties:?}");
    assert!(duties[0].contains("Art. 34") && duties[1].contains("1798.82"), "{duties:?}");
    incident.invalid(IncidentCommand::MovePhase { to: Phase::LessonsLearned, reason: String::new() }, "reason");
    let message = incident.run(IncidentCommand::MovePhase { to: Phase::LessonsLearned, reason: String::new() });
    assert!(format!("{message:?}").contains("2 duty(ies)"), "{message:?}");

    let events = incident.move_to(Phase::LessonsLearned, "Counsel advised the notices go out from the parent").unwrap();
    let IncidentEvent::PhaseMoved { open_duties, .. } = &events[0] else { panic!("{events:?}") };
    assert_eq!(open_duties, duties);
    let described = describe(&events[0]);
    assert!(described.contains("duties left open") && described.contains("Art. 34"), "{described}");
    assert_eq!(incident.record.phase_changes.last().unwrap().open_duties.len(), 2);

    // Closing asks again while they stay open, and not once they are met or judged not required.
    incident.complete_review();
    let legal = incident.record.moves().legal;
    assert!(matches!(legal[legal.len() - 1].reason, ReasonNeeded::OpenWork { .. }), "{legal:?}");
    for obligation in &mut incident.record.obligations {
        obligation.status = ObligationStatus::NotRequired { reason: "test".into(), by: None, at: at(2) };
    }
    let closing = incident.record.moves().legal.into_iter().find(|m| m.to == Phase::Closed).unwrap();
    assert_eq!(closing.reason, ReasonNeeded::No);
}

#[test]
fn a_met_duty_reopens_with_a_reason_and_one_the_facts_ruled_out_does_not() {
    use crate::deadlines::obligation::EvidenceKind;
    let mut incident = Incident::new();
    with_open_duties(&mut incident.record, &["CA-IND", "EU-GDPR-34", "POLICY-REVIEW"]);
    let reopen = |id: &str, reason: &str| IncidentCommand::ReopenObligation { id: id.into(), reason: reason.into() };
    assert!(incident.refused(reopen("CA-IND", REASON)).contains("already open"));
    incident.ok(IncidentCommand::MeetObligation {
        id: "CA-IND".into(),
        met_at: Some(at(1)),
        evidence_kind: EvidenceKind::Note,
        evidence: "Customer notice 1 sent".into(),
    });
    incident.invalid(reopen("CA-IND", "short"), "reason");
    let events = incident.run(reopen("CA-IND", "Ten Californians had no email address and were not told")).unwrap();
    assert_eq!(
        describe(&events[0]),
        "Obligation CA-IND reopened: Ten Californians had no email address and were not told"
    );
    assert!(incident.record.obligations.iter().find(|o| o.id == "CA-IND").unwrap().is_open());
    // What the facts ruled out comes back with the facts; the review's duty follows the review.
    incident.record.obligations[1].status =
        ObligationStatus::NotRequired { reason: "no EU residents".into(), by: None, at: at(2) };
    assert!(incident.refused(reopen("EU-GDPR-34", REASON)).contains("change the facts"));
    incident.record.obligations[2].status =
        ObligationStatus::NotRequired { reason: "judged".into(), by: Some("ann".into()), at: at(2) };
    assert!(incident.refused(reopen("POLICY-REVIEW", REASON)).contains("met by the record itself"));
}

#[test]
fn discovery_starts_from_the_earliest_evidence_and_says_where_it_comes_from() {
    use crate::deadlines::timing::Anchor;
    let mut incident = Incident::new();
    let sourced = incident.record.sourced_anchors();
    assert_eq!(sourced[&Anchor::Discovered].at, at(0));
    assert_eq!(sourced[&Anchor::Discovered].source, "When the incident was opened");
    let report = Reference::new(ReferenceKind::Report, 2026, 3);
    let linked = IncidentEvent::ReportLinked { report, received_at: Some(at(-2)), observed_at: Some(at(-120)) };
    incident.record.apply(&linked, at(1), "ann");
    // A later alert that saw it after the reporter does not move the clock.
    let alert = IncidentEvent::AlertReceived {
        source: "grafana".into(),
        key: "k".into(),
        summary: "s".into(),
        observed_at: Some(at(-24)),
    };
    incident.record.apply(&alert, at(1), "ann");
    let sourced = incident.record.sourced_anchors();
    assert_eq!(sourced[&Anchor::Detected].at, at(-2), "detection is when the organisation learned of it");
    assert_eq!(sourced[&Anchor::Detected].source, "When the first report was received");
    assert_eq!(sourced[&Anchor::Discovered].at, at(-120));
    assert_eq!(sourced[&Anchor::Discovered].source, "Report TOC-2026-000003: when the reporter noticed it");
    // The team's own time wins, and says so.
    incident.ok(IncidentCommand::SetAnchor {
        anchor: Anchor::Discovered,
        at: Some(at(-48)),
        reason: "The reporter's date was the wrong month".into(),
    });
    let sourced = incident.record.sourced_anchors();
    assert_eq!(
        (sourced[&Anchor::Discovered].at, sourced[&Anchor::Discovered].source.as_str()),
        (at(-48), "Set by hand")
    );
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
    incident.ok(IncidentCommand::AssignRole {
        role: Role::ResponseLead,
        person: "Tyler".into(),
        holder: Holder::NoAccount,
    });
    incident.refused(IncidentCommand::AssignRole {
        role: Role::ResponseLead,
        person: "Tyler".into(),
        holder: Holder::NoAccount,
    });
    incident.ok(IncidentCommand::AssignRole {
        role: Role::ResponseLead,
        person: "Maria".into(),
        holder: Holder::NoAccount,
    });
    incident.ok(IncidentCommand::AssignRole {
        role: Role::TeamMember,
        person: "Sam".into(),
        holder: Holder::NoAccount,
    });
    incident.ok(IncidentCommand::AssignRole {
        role: Role::TeamMember,
        person: "Kim".into(),
        holder: Holder::NoAccount,
    });
    assert_eq!(incident.record.current_holders(Role::ResponseLead).collect::<Vec<_>>(), ["Maria"]);
    assert_eq!(incident.record.current_holders(Role::TeamMember).count(), 2);
    let tyler = incident.record.roles.iter().find(|a| a.person == "Tyler").unwrap();
    assert_eq!(tyler.ended_at, Some(at(1)));
    incident.ok(IncidentCommand::EndRole { role: Role::TeamMember, person: "Sam".into() });
    incident.refused(IncidentCommand::EndRole { role: Role::TeamMember, person: "Sam".into() });
    assert_eq!(incident.record.roles.len(), 4, "ended assignments stay in the history");
    incident.invalid(
        IncidentCommand::AssignRole { role: Role::Counsel, person: " ".into(), holder: Holder::NoAccount },
        "person",
    );
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
    incident.ok(IncidentCommand::ReverseContainment { action_id: id, reason: "The range belongs to a partner".into() });
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
    let mut rebuilt = IncidentRecord::open(incident.record.reference, events.next().unwrap(), at(0), "ann").unwrap();
    for event in events {
        rebuilt.apply(event, at(1), "ann");
    }
    assert_eq!(rebuilt, incident.record);
}

fn complete_notice_form() -> crate::notices::NoticeForm {
    crate::notices::NoticeForm {
        subject: "Important: your account data".into(),
        nature: "On 20 November someone copied our customer database.".into(),
        contact: "Dana Privacy, dpo@corp.example".into(),
        consequences: "Phishing emails that look like ours.".into(),
        measures: "We closed the hole and reset every password.".into(),
        advice: "Choose a new password; ignore emails asking for it.".into(),
        controller_information: "About 40 of your users and 120 records; ask dpo@corp.example for the list.".into(),
        serves: Vec::new(),
    }
}

#[test]
fn a_notice_needs_recipients_and_another_members_approval_and_is_final_once_approved() {
    use crate::notices::{NoticeStatus, RecipientList, RecipientSource};

    let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let playbook = Playbook { tasks: Vec::new() };
    let opened = opening("Customer data copied", Origin::Declared, None, None).unwrap();
    let reference = Reference::new(ReferenceKind::Incident, 2026, 1);
    let mut record = IncidentRecord::open(reference, &opened, at, "Ann").unwrap();
    let run = |record: &mut IncidentRecord, actor: &str, command| -> Result<(), String> {
        let ctx = Context { now: at, actor, account: Some(actor), playbook: &playbook };
        let events = decide(record, command, &ctx).map_err(|e| match e {
            WorkflowError::Refused(message) => message,
            WorkflowError::Invalid(errors) => format!("{errors:?}"),
        })?;
        events.iter().for_each(|event| record.apply(event, at, actor));
        Ok(())
    };
    let draft = |notice_id| IncidentCommand::DraftNotice { notice_id, form: complete_notice_form() };
    let ask = IncidentCommand::RequestNoticeApproval { notice_id: 1 };
    let approve = IncidentCommand::ApproveNotice { notice_id: 1 };

    run(&mut record, "Ann", draft(None)).unwrap();
    assert_eq!(run(&mut record, "Ann", ask.clone()).unwrap_err(), "Choose the recipients first");
    let list = RecipientList {
        list: "L-1".into(),
        count: 2,
        source: RecipientSource::Csv,
        left_out: 0,
        left_out_because: Default::default(),
        jurisdictions: Vec::new(),
        already_told: 0,
    };
    record.apply(&IncidentEvent::NoticeRecipientsSet { notice_id: 1, recipients: list }, at, "Ann");
    run(&mut record, "Ann", ask.clone()).unwrap();
    assert_eq!(
        run(&mut record, "Ann", approve.clone()).unwrap_err(),
        "Another team member must approve what Ann composed"
    );
    run(&mut record, "Ann", draft(Some(1))).unwrap();
    assert_eq!(record.notices[0].status, NoticeStatus::Draft, "a change asks for approval anew");
    assert_eq!(run(&mut record, "Bo", approve.clone()).unwrap_err(), "Ask for approval first");
    run(&mut record, "Ann", ask).unwrap();
    run(&mut record, "Bo", approve).unwrap();
    assert_eq!(record.notices[0].campaign(), Some("L-1"));
    let final_ = run(&mut record, "Ann", draft(Some(1))).unwrap_err();
    assert!(final_.contains("approved and is being sent"), "{final_}");
    assert!(run(&mut record, "Ann", IncidentCommand::WithdrawNotice { notice_id: 1 }).is_err());
    assert_eq!(run(&mut record, "Ann", draft(Some(7))).unwrap_err(), "There is no notice 7");
}
