//! The deadline checker's exactly-once cases, run over every store adapter: the real use cases
//! (`Services::run_due`) on a controlled clock, sending into a real outbox whose index is read
//! back to count what was sent.

use functions::service::access::Caller;
use shared::access::TeamRole;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use functions::adapters::local_files::LocalAttachmentStore;
use functions::adapters::outbox::OutboxMailer;
use functions::ports::{Clock, Store};
use functions::service::{ServiceError, Services};
use shared::api::{DeclareIncidentForm, IncidentCommandRequest, IncidentDetail};
use shared::deadlines::obligation::ObligationStatus;
use shared::policy::PolicyReviewForm;
use shared::record::IncidentCommand;
use shared::reference::Reference;
use shared::workflow::roles::{Holder, Role};

pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Monday 23 November 2026, 09:00 UTC.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

pub struct Checker {
    pub services: Arc<Services>,
    pub clock: Arc<TestClock>,
    dir: tempfile::TempDir,
}

/// Services over `store` with the built-in rules, a clock at [`start`] and an outbox.
pub fn checker(store: Arc<dyn Store>) -> Checker {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock(Mutex::new(start())));
    // No internal notification: these tests follow the internal duty's reminders.
    let mut settings = crate::test_settings();
    settings.deadlines.people.insert("Tyler King".into(), "tyler@example.com".into());
    let attachments = Arc::new(LocalAttachmentStore::new(dir.path().join("attachments")).unwrap());
    let outbox = Arc::new(OutboxMailer::new(dir.path().join("outbox"), &settings.email.sender, clock.clone()).unwrap());
    let services =
        functions::startup::services(&settings, "http://tocsin.test".into(), clock.clone(), store, attachments, outbox)
            .unwrap();
    Checker { services: Arc::new(services), clock, dir }
}

impl Checker {
    /// Declares an incident detected at `detected` (now is [`start`]) with a response lead.
    pub async fn incident(&self, title: &str, detected: DateTime<Utc>) -> IncidentDetail {
        self.clock.set(start());
        let form =
            DeclareIncidentForm { title: title.into(), detected_at: detected.to_rfc3339(), summary: String::new() };
        let incident =
            self.services.declare_incident(form, &Caller::acting_as("Tyler King", TeamRole::Lead)).await.unwrap();
        let lead = IncidentCommand::AssignRole {
            role: Role::ResponseLead,
            person: "Tyler King".into(),
            holder: Holder::NoAccount,
        };
        let request = IncidentCommandRequest { expected_version: incident.version, command: lead };
        self.services
            .command(incident.record.reference, request, &Caller::acting_as("Tyler King", TeamRole::Lead))
            .await
            .unwrap()
    }

    pub async fn run_at(&self, at: DateTime<Utc>) -> functions::service::deadlines::CheckerRun {
        self.clock.set(at);
        self.services.run_due(at).await.unwrap()
    }

    /// How many notices were sent per (incident, obligation, step), read from the outbox index.
    pub fn sent(&self) -> BTreeMap<(String, String, String), usize> {
        let index = std::fs::read_to_string(self.dir.path().join("outbox/index.jsonl")).unwrap_or_default();
        let mut sent = BTreeMap::new();
        for line in index.lines() {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let tags: Vec<(String, String)> = serde_json::from_value(entry["tags"].clone()).unwrap();
            let tags: BTreeMap<String, String> = tags.into_iter().collect();
            if tags.get("kind").is_some_and(|k| k.starts_with("deadline-")) {
                *sent
                    .entry((tags["incident"].clone(), tags["obligation"].clone(), tags["step"].clone()))
                    .or_insert(0) += 1;
            }
        }
        sent
    }

    pub fn sent_for(&self, incident: Reference, obligation: &str) -> Vec<(String, usize)> {
        self.sent()
            .into_iter()
            .filter(|((i, o, _), _)| *i == incident.to_string() && o == obligation)
            .map(|((_, _, step), n)| (step, n))
            .collect()
    }
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

/// The internal notice (1 hour after detection) of an incident detected at [`start`]: a
/// reminder at the start ("an hour left"), one at half-time, then the response lead at the due
/// time and management an hour later.
pub async fn sends_each_reminder_and_escalation_once_in_time(store: Arc<dyn Store>) {
    let checker = checker(store);
    let incident = checker.incident("Leaked API key", start()).await.record.reference;
    let first = checker.run_at(start() + minutes(1)).await;
    assert_eq!(first.reminders_sent, 1, "{first:?}");
    let again = checker.run_at(start() + minutes(1)).await;
    assert_eq!((again.reminders_sent, again.escalations_sent, again.rows_read), (0, 0, 0), "twice in a row: {again:?}");
    checker.run_at(start() + minutes(31)).await;
    checker.run_at(start() + minutes(61)).await;
    checker.run_at(start() + minutes(121)).await;
    checker.run_at(start() + minutes(180)).await;
    assert_eq!(
        checker.sent_for(incident, "POLICY-INTERNAL"),
        [("escalation-0".into(), 1), ("escalation-1".into(), 1), ("reminder-0".into(), 1), ("reminder-1".into(), 1)]
    );
    // Escalations name who they went to: the lead's address, then management.
    let sent = std::fs::read_to_string(checker.dir.path().join("outbox/index.jsonl")).unwrap();
    assert!(sent.contains("tyler@example.com") && sent.contains("management@tocsin.localhost"), "{sent}");
}

pub async fn ten_concurrent_runs_send_each_step_once(store: Arc<dyn Store>) {
    let checker = Arc::new(checker(store));
    let mut incidents = Vec::new();
    for n in 0..3 {
        incidents.push(checker.incident(&format!("Incident {n}"), start()).await.record.reference);
    }
    for at in [minutes(1), minutes(31), minutes(61), minutes(121)] {
        checker.clock.set(start() + at);
        let runs = (0..10).map(|_| {
            let services = checker.services.clone();
            tokio::spawn(async move { services.run_due(start() + at).await.unwrap() })
        });
        for run in futures_join(runs).await {
            assert_eq!(run.failures, 0, "{run:?}");
        }
    }
    let sent = checker.sent();
    assert!(sent.values().all(|n| *n == 1), "something was sent twice: {sent:?}");
    for incident in incidents {
        assert_eq!(checker.sent_for(incident, "POLICY-INTERNAL").len(), 4, "nothing missed for {incident}");
    }
}

/// A run a day late sends the escalations once and records the reminders it is too late for.
pub async fn a_late_run_escalates_and_skips_stale_reminders(store: Arc<dyn Store>) {
    let checker = checker(store);
    let incident = checker.incident("Late check", start()).await.record.reference;
    let run = checker.run_at(start() + Duration::days(1)).await;
    assert_eq!((run.reminders_sent, run.escalations_sent, run.superseded), (0, 2, 2), "{run:?}");
    assert_eq!(checker.sent_for(incident, "POLICY-INTERNAL"), [("escalation-0".into(), 1), ("escalation-1".into(), 1)]);
    let run = checker.run_at(start() + Duration::days(2)).await;
    assert_eq!((run.reminders_sent, run.escalations_sent), (0, 0));
}

/// Missed runs: the next run sends only the latest reminder due, and nothing is lost after.
pub async fn missed_runs_send_the_latest_reminder_then_carry_on(store: Arc<dyn Store>) {
    let checker = checker(store);
    let incident = checker.incident("Missed runs", start()).await.record.reference;
    let run = checker.run_at(start() + minutes(45)).await;
    assert_eq!((run.reminders_sent, run.superseded), (1, 1), "{run:?}");
    checker.run_at(start() + minutes(65)).await;
    checker.run_at(start() + minutes(200)).await;
    assert_eq!(
        checker.sent_for(incident, "POLICY-INTERNAL"),
        [("escalation-0".into(), 1), ("escalation-1".into(), 1), ("reminder-0".into(), 1)]
    );
}

/// Meeting an obligation takes it off the due index: nothing more is sent for it.
pub async fn a_met_obligation_is_no_longer_checked(store: Arc<dyn Store>) {
    let checker = checker(store);
    let incident = checker.incident("Met in time", start()).await;
    checker.run_at(start() + minutes(1)).await;
    let meet = IncidentCommand::MeetObligation {
        id: "POLICY-INTERNAL".into(),
        met_at: None,
        evidence_kind: shared::deadlines::obligation::EvidenceKind::MessageId,
        evidence: "<abc@tocsin>".into(),
    };
    checker.clock.set(start() + minutes(10));
    let request = IncidentCommandRequest { expected_version: incident.version, command: meet };
    checker
        .services
        .command(incident.record.reference, request, &Caller::acting_as("Tyler King", TeamRole::Lead))
        .await
        .unwrap();
    for at in [minutes(31), minutes(61), minutes(200)] {
        let run = checker.run_at(start() + at).await;
        assert_eq!((run.reminders_sent, run.escalations_sent), (0, 0), "{run:?}");
    }
    assert_eq!(checker.sent_for(incident.record.reference, "POLICY-INTERNAL"), [("reminder-1".into(), 1)]);
}

/// The yearly policy review: the register is set up once however many runs race to do it, the
/// reminder a month ahead goes once, and a review meets the year and starts the next one's clock.
pub async fn the_yearly_policy_review_reminds_once_and_restarts_when_held(store: Arc<dyn Store>) {
    let checker = Arc::new(checker(store));
    let setups = (0..5).map(|_| {
        let services = checker.services.clone();
        tokio::spawn(async move { services.keep_policy_register().await.unwrap() })
    });
    let registers = futures_join(setups).await;
    assert!(registers.windows(2).all(|pair| pair[0] == pair[1]), "one register, one version: {registers:#?}");
    let register = registers[0].register.clone();
    assert_eq!(register.obligations.len(), 1);
    let first = &register.obligations[0];
    let year_later = Utc.with_ymd_and_hms(2027, 11, 23, 23, 59, 59).unwrap();
    assert_eq!((first.id.as_str(), first.due_at), ("POLICY-ANNUAL-1", Some(year_later)));

    let month_before = year_later - Duration::days(29);
    for _ in 0..2 {
        checker.run_at(month_before).await;
    }
    assert_eq!(checker.sent_for(register.reference, "POLICY-ANNUAL-1"), [("reminder-0".into(), 1)]);

    let form = |expected_version| PolicyReviewForm {
        reviewed_at: None,
        summary: "All nine sections read with legal; contact list updated".into(),
        changes: "Section 9: new security address".into(),
        communicated: true,
        expected_version,
    };
    let version = checker.services.policy_register().await.unwrap().version;
    let reviewed = checker.services.review_policy(form(version), "Tyler King").await.unwrap();
    let stale = checker.services.review_policy(form(version), "Tyler King").await;
    assert!(matches!(stale, Err(ServiceError::Conflict(_))), "a review against an old version: {stale:?}");
    let [met, next] = &reviewed.register.obligations[..] else { panic!("{:#?}", reviewed.register.obligations) };
    assert!(matches!(met.status, ObligationStatus::Met { met_at, .. } if met_at == month_before));
    assert_eq!(
        (next.id.as_str(), next.due_at),
        ("POLICY-ANNUAL-2", Some(Utc.with_ymd_and_hms(2028, 10, 25, 23, 59, 59).unwrap()))
    );

    // Past the first year's due time: nothing more about it, and the new year waits its turn.
    for days in [1, 40] {
        let run = checker.run_at(year_later + Duration::days(days)).await;
        assert_eq!((run.reminders_sent, run.escalations_sent, run.failures), (0, 0, 0), "{run:?}");
    }
    assert_eq!(checker.sent_for(register.reference, "POLICY-ANNUAL-1"), [("reminder-0".into(), 1)]);
    assert!(checker.sent_for(register.reference, "POLICY-ANNUAL-2").is_empty());
    let verification = checker
        .services
        .verify_audit(&Caller::acting_as("Tocsin tests", TeamRole::Admin), register.reference)
        .await
        .unwrap();
    assert!(verification.is_intact() && verification.entries_checked >= 3, "{verification:?}");
}

async fn futures_join<T: Send + 'static>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await.unwrap());
    }
    results
}
