//! Customer notice campaigns, exactly once: the real use cases (`Services::send_notices`,
//! `record_mail_event`) over every store, with the outbox or SES (moto) behind a mailer that
//! counts what it sent and can stall like a crashed sender.

use functions::service::access::Caller;
use shared::access::TeamRole;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use functions::adapters::local_files::LocalAttachmentStore;
use functions::ports::MailEventReport;
use functions::ports::{DELIVERY_TAG, DeliveryPage, Email, Mailer, SentLookup, Store};
use functions::service::Services;
use shared::api::{DeclareIncidentForm, IncidentCommandRequest, IncidentDetail};
use shared::deadlines::obligation::ObligationStatus;
use shared::notices::{DeliveryKind, DeliveryState, MailEvent, NoticeForm, RecipientsForm};
use shared::record::IncidentCommand;
use shared::record::VerdictChoice;
use shared::reference::Reference;
use shared::workflow::investigation::InvestigationForm;

use crate::checker::{TestClock, start};

/// One message the mailer sent.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub to: String,
    pub delivery: String,
    pub message_id: String,
}

/// Counts what the real mailer behind it sent; on the `stall_after`th message it stops after
/// sending, before the sender can record it, as a crashed process would.
pub struct CountingMailer {
    inner: Arc<dyn Mailer>,
    sent: Mutex<Vec<SentMessage>>,
    stall_after: AtomicUsize,
    stalled: tokio::sync::Notify,
}

impl CountingMailer {
    pub fn new(inner: Arc<dyn Mailer>) -> Self {
        Self {
            inner,
            sent: Mutex::new(Vec::new()),
            stall_after: AtomicUsize::new(usize::MAX),
            stalled: tokio::sync::Notify::new(),
        }
    }

    pub fn sent(&self) -> Vec<SentMessage> {
        self.sent.lock().unwrap().clone()
    }

    /// How many messages each address got.
    pub fn per_address(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for message in self.sent() {
            *counts.entry(message.to).or_insert(0) += 1;
        }
        counts
    }
}

#[async_trait]
impl Mailer for CountingMailer {
    async fn send(&self, email: &Email) -> anyhow::Result<String> {
        let message_id = self.inner.send(email).await?;
        let delivery = email.tags.iter().find(|(n, _)| n == DELIVERY_TAG).map(|(_, v)| v.clone()).unwrap_or_default();
        let count = {
            let mut sent = self.sent.lock().unwrap();
            sent.push(SentMessage { to: email.to.join(","), delivery, message_id: message_id.clone() });
            sent.len()
        };
        if count == self.stall_after.load(Ordering::SeqCst) {
            self.stalled.notify_one();
            std::future::pending::<()>().await;
        }
        Ok(message_id)
    }

    async fn sent_with_tag(&self, delivery: &str) -> anyhow::Result<SentLookup> {
        self.inner.sent_with_tag(delivery).await
    }
}

/// Services over a store and a mailer, on a controlled clock.
pub struct Rig {
    pub services: Arc<Services>,
    pub clock: Arc<TestClock>,
    pub mailer: Arc<CountingMailer>,
    /// Recipients' domain, unique to the case (moto's SES is shared by the whole run).
    pub domain: String,
    _dir: tempfile::TempDir,
}

/// `mailer` builds the real mailer from the clock (the outbox in the given directory, or SES).
pub fn rig(
    store: Arc<dyn Store>,
    per_second: u32,
    mailer: impl FnOnce(Arc<TestClock>, &std::path::Path) -> Arc<dyn Mailer>,
) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock::new(start()));
    let mut settings = crate::test_settings();
    settings.notifications.notices_per_second = per_second;
    let counting = Arc::new(CountingMailer::new(mailer(clock.clone(), dir.path())));
    let attachments = Arc::new(LocalAttachmentStore::new(dir.path().join("attachments")).unwrap());
    let services = functions::startup::services(
        &settings,
        "http://tocsin.test".into(),
        clock.clone(),
        store,
        attachments,
        counting.clone(),
    )
    .unwrap();
    let domain = format!("{}.example.com", uuid::Uuid::now_v7().simple());
    Rig { services: Arc::new(services), clock, mailer: counting, domain, _dir: dir }
}

/// The outbox as the mailer.
pub fn outbox(clock: Arc<TestClock>, dir: &std::path::Path) -> Arc<dyn Mailer> {
    let sender = crate::test_settings().email.sender;
    Arc::new(functions::adapters::outbox::OutboxMailer::new(dir.join("outbox"), &sender, clock).unwrap())
}

pub fn notice_form() -> NoticeForm {
    NoticeForm {
        subject: "Important: a breach of your account data".into(),
        nature: "On 20 November someone copied part of our customer database.".into(),
        contact: "Dana Privacy, dpo@corp.example".into(),
        consequences: "Phishing emails that look like ours.".into(),
        measures: "We closed the hole and reset every password.".into(),
        advice: "Choose a new password; ignore emails asking for it.".into(),
        controller_information: "Ask dpo@corp.example for the list of your users concerned.".into(),
        serves: vec!["POLICY-CUSTOMER".into()],
    }
}

impl Rig {
    async fn run(&self, incident: &IncidentDetail, command: IncidentCommand, actor: &str) -> IncidentDetail {
        let request = IncidentCommandRequest { expected_version: incident.version, command };
        self.services
            .command(incident.record.reference, request, &Caller::acting_as(actor, TeamRole::Lead))
            .await
            .unwrap()
    }

    /// A confirmed breach of customers' personal data (so the customer duty is open) with an
    /// approved notice to `count` recipients; returns the incident and the campaign's list id.
    pub async fn approved_notice(&self, count: usize) -> (IncidentDetail, String) {
        self.clock.set(start());
        let form = DeclareIncidentForm {
            title: "Customer data copied".into(),
            detected_at: String::new(),
            summary: String::new(),
        };
        let incident =
            self.services.declare_incident(form, &Caller::acting_as("Tyler King", TeamRole::Lead)).await.unwrap();
        let verdict = IncidentCommand::SetVerdict { verdict: VerdictChoice::Confirmed, confirmed_at: None };
        let incident = self.run(&incident, verdict, "Tyler King").await;
        let categories = IncidentCommand::SetDataCategories { categories: vec!["personal_information".into()] };
        let incident = self.run(&incident, categories, "Tyler King").await;
        let findings = InvestigationForm { affected_estimate: count.to_string(), ..Default::default() };
        let incident = self.run(&incident, IncidentCommand::RecordInvestigation { form: findings }, "Tyler King").await;
        let incident = self
            .run(&incident, IncidentCommand::DraftNotice { notice_id: None, form: notice_form() }, "Tyler King")
            .await;

        let mut csv = String::from("account,name,email,jurisdiction\n");
        for n in 1..=count {
            csv.push_str(&format!("A-{n},Customer {n},customer{n}@{},DE\n", self.domain));
        }
        let reference = incident.record.reference;
        let saved = self
            .services
            .set_notice_recipients(
                reference,
                1,
                RecipientsForm::Csv { csv },
                &Caller::acting_as("Tyler King", TeamRole::Lead),
            )
            .await
            .unwrap();
        assert_eq!((saved.count as usize, saved.refused.len()), (count, 0));
        let incident =
            self.run(&saved.incident, IncidentCommand::RequestNoticeApproval { notice_id: 1 }, "Tyler King").await;
        let incident = self.run(&incident, IncidentCommand::ApproveNotice { notice_id: 1 }, "Uma Approver").await;
        let list = incident.record.notices[0].campaign().expect("approved").to_owned();
        (incident, list)
    }

    pub async fn sent_count(&self, list: &str) -> u32 {
        self.services.notices.delivery_counts(list).await.unwrap().sent
    }

    /// Sends until the campaign is finished (a bounded number of runs).
    pub async fn send_until_finished(&self, reference: Reference) -> IncidentDetail {
        for _ in 0..20 {
            self.services.send_notices(Duration::from_secs(120)).await.unwrap();
            let incident =
                self.services.incident(&Caller::acting_as("Tocsin tests", TeamRole::Admin), reference).await.unwrap();
            if incident.record.notices[0].finished.is_some() {
                return incident;
            }
        }
        panic!("the campaign did not finish in 20 runs");
    }

    fn assert_each_once(&self, count: usize) {
        let per_address = self.mailer.per_address();
        assert_eq!(per_address.len(), count, "every recipient got a message");
        let twice: Vec<_> = per_address.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "no recipient got two: {twice:?}");
    }
}

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

/// 1,000 recipients; the sender stops dead after the 500th message is sent and before it is
/// recorded (the process died). The next run, past the stale time, settles that delivery from the
/// mailer's record (the outbox) or from SES's Send event, and sends the rest: 1,000 messages,
/// no address twice, the customer duty met.
pub async fn a_thousand_recipients_interrupted_halfway_get_one_message_each(rig: Rig, settle_by_event: bool) {
    let (incident, list) = rig.approved_notice(1000).await;
    rig.mailer.stall_after.store(500, Ordering::SeqCst);
    let services = rig.services.clone();
    let mut sender = tokio::spawn(async move { services.send_notices(Duration::from_secs(600)).await });
    tokio::select! {
        () = rig.mailer.stalled.notified() => {}
        // A run that ends before the stall failed: say how, rather than wait for ever.
        ended = &mut sender => panic!("the sending run ended before the stall: {ended:?}"),
    }
    sender.abort();
    assert!(sender.await.unwrap_err().is_cancelled());
    rig.mailer.stall_after.store(usize::MAX, Ordering::SeqCst);

    let counts = rig.services.notices.delivery_counts(&list).await.unwrap();
    assert_eq!((counts.sent, counts.sending, counts.pending), (499, 1, 500), "{counts:?}");
    let interrupted =
        rig.services.notices.deliveries(&list, DeliveryPage::in_state(DeliveryKind::Sending, 0, 10)).await.unwrap();
    let interrupted = interrupted[0].seq;

    // A run before the claim is stale leaves it alone and sends the rest.
    rig.services.send_notices(Duration::from_secs(600)).await.unwrap();
    let counts = rig.services.notices.delivery_counts(&list).await.unwrap();
    assert_eq!((counts.sent, counts.sending, counts.pending), (999, 1, 0), "{counts:?}");

    rig.clock.set(start() + minutes(10));
    if settle_by_event {
        // SES cannot be asked what it sent; its Send event says so, as EventBridge would deliver it.
        let sent = rig.mailer.sent().into_iter().find(|m| m.delivery == format!("{list}.{interrupted}")).unwrap();
        let report =
            MailEventReport { delivery: sent.delivery, message_id: sent.message_id, event: MailEvent::Accepted };
        assert!(rig.services.record_mail_event(report).await.unwrap());
    }
    let incident = rig.send_until_finished(incident.record.reference).await;
    assert_eq!(rig.sent_count(&list).await, 1000);
    rig.assert_each_once(1000);
    let notice = &incident.record.notices[0];
    assert_eq!(notice.finished.map(|r| (r.sent, r.failed, r.suppressed)), Some((1000, 0, 0)));
    let duty = incident.record.obligations.iter().find(|o| o.id == "POLICY-CUSTOMER").expect("the customer duty");
    assert!(matches!(duty.status, ObligationStatus::Met { .. }), "{:?}", duty.status);
}

/// A run stops at its time budget and keeps to the send rate on the way; the next runs carry on
/// where it stopped.
pub async fn sending_keeps_to_the_rate_and_resumes_where_it_stopped(rig: Rig) {
    let (incident, list) = rig.approved_notice(120).await;
    let first = rig.services.send_notices(Duration::from_millis(1500)).await.unwrap();
    assert!(first.out_of_time, "{first:?}");
    // 50 per second for 1.5 s: the first message goes at once, then one every 20 ms.
    assert!(first.sent > 0 && first.sent <= 76, "the rate allows at most 76, sent {}", first.sent);
    assert_eq!(rig.sent_count(&list).await, first.sent);
    rig.send_until_finished(incident.record.reference).await;
    assert_eq!(rig.sent_count(&list).await, 120);
    rig.assert_each_once(120);
}

/// Events from the mail service merge the same whatever their order and however often they come;
/// a permanent bounce or a complaint suppresses the address for every later notice.
pub async fn mail_events_in_any_order_end_the_same_and_suppress_bad_addresses(rig: Rig) {
    let (incident, list) = rig.approved_notice(3).await;
    rig.send_until_finished(incident.record.reference).await;
    let sent = rig.mailer.sent();
    let report = |seq: u32, event| {
        let message = sent.iter().find(|m| m.delivery == format!("{list}.{seq}")).unwrap();
        MailEventReport { delivery: message.delivery.clone(), message_id: message.message_id.clone(), event }
    };
    let events = [
        report(1, MailEvent::Delivered),
        report(2, MailEvent::SoftBounce),
        report(2, MailEvent::HardBounce),
        report(3, MailEvent::Delivered),
        report(3, MailEvent::Complaint),
        report(1, MailEvent::Accepted),
    ];
    for event in &events {
        assert!(rig.services.record_mail_event(event.clone()).await.unwrap());
    }
    let once = rig.services.notices.deliveries(&list, DeliveryPage::any_state(0, 10)).await.unwrap();
    for event in events.iter().rev().chain(events.iter()) {
        rig.services.record_mail_event(event.clone()).await.unwrap();
    }
    let replayed = rig.services.notices.deliveries(&list, DeliveryPage::any_state(0, 10)).await.unwrap();
    assert_eq!(once, replayed, "replayed twice, backwards then forwards: the same state");
    let labels: Vec<&str> = replayed.iter().map(|d| d.outcome.label()).collect();
    assert_eq!(labels, ["Delivered", "Bounced", "Complained"]);
    assert!(replayed.iter().all(|d| matches!(d.state, DeliveryState::Sent { .. })));
    let unknown =
        MailEventReport { delivery: format!("{list}.99"), message_id: "m".into(), event: MailEvent::Delivered };
    assert!(!rig.services.record_mail_event(unknown).await.unwrap(), "an event about no delivery is ignored");

    // A second notice to the same people: the bounced and the complaining address are not mailed.
    let before = rig.mailer.sent().len();
    let (tyler, uma) =
        (Caller::acting_as("Tyler King", TeamRole::Lead), Caller::acting_as("Uma Approver", TeamRole::Lead));
    let incident = rig.services.incident(&tyler, incident.record.reference).await.unwrap();
    let request =
        |incident: &IncidentDetail, command| IncidentCommandRequest { expected_version: incident.version, command };
    let draft = IncidentCommand::DraftNotice { notice_id: None, form: notice_form() };
    let incident = rig.services.command(incident.record.reference, request(&incident, draft), &tyler).await.unwrap();
    let csv = format!("email\ncustomer1@{0}\ncustomer2@{0}\ncustomer3@{0}\n", rig.domain);
    let saved = rig.services.set_notice_recipients(incident.record.reference, 2, RecipientsForm::Csv { csv }, &tyler);
    let incident = saved.await.unwrap().incident;
    let ask = IncidentCommand::RequestNoticeApproval { notice_id: 2 };
    let incident = rig.services.command(incident.record.reference, request(&incident, ask), &tyler).await.unwrap();
    let approve = IncidentCommand::ApproveNotice { notice_id: 2 };
    let incident = rig.services.command(incident.record.reference, request(&incident, approve), &uma).await.unwrap();
    rig.services.send_notices(Duration::from_secs(60)).await.unwrap();
    let second = rig.mailer.sent()[before..].to_vec();
    assert_eq!(second.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), [format!("customer1@{}", rig.domain)]);
    let incident = rig.services.incident(&tyler, incident.record.reference).await.unwrap();
    assert_eq!(incident.record.notices[1].finished.map(|r| (r.sent, r.suppressed)), Some((1, 2)));
}

/// When the mail service never confirms an interrupted delivery (SES, no Send event), it is
/// failed after a while, never sent twice; a failure leaves the customer duty open.
pub async fn an_unconfirmed_delivery_fails_rather_than_going_twice(rig: Rig) {
    let (incident, list) = rig.approved_notice(2).await;
    let first = rig.services.notices.deliveries(&list, DeliveryPage::any_state(0, 1)).await.unwrap().remove(0);
    let claimed = DeliveryState::Sending { claimed_at: start() };
    assert!(rig.services.notices.move_delivery(&list, first.seq, &first.state, &claimed).await.unwrap());
    assert!(
        !rig.services.notices.move_delivery(&list, first.seq, &first.state, &claimed).await.unwrap(),
        "claimed once"
    );
    rig.clock.set(start() + minutes(61));
    let incident = rig.send_until_finished(incident.record.reference).await;
    rig.assert_each_once(1);
    let counts = rig.services.notices.delivery_counts(&list).await.unwrap();
    assert_eq!((counts.sent, counts.failed), (1, 1), "{counts:?}");
    let duty = incident.record.obligations.iter().find(|o| o.id == "POLICY-CUSTOMER").unwrap();
    assert!(duty.is_open(), "a failed delivery leaves the duty for the team: {:?}", duty.status);
}

/// The delivery that the rig claimed by hand stays unknown to the outbox, so the outbox case is
/// the other way round: never sent, so it goes now (once).
pub async fn an_interrupted_claim_the_outbox_never_sent_goes_once(rig: Rig) {
    let (incident, list) = rig.approved_notice(2).await;
    let first = rig.services.notices.deliveries(&list, DeliveryPage::any_state(0, 1)).await.unwrap().remove(0);
    let claimed = DeliveryState::Sending { claimed_at: start() };
    assert!(rig.services.notices.move_delivery(&list, first.seq, &first.state, &claimed).await.unwrap());
    rig.clock.set(start() + minutes(10));
    rig.send_until_finished(incident.record.reference).await;
    assert_eq!(rig.sent_count(&list).await, 2);
    rig.assert_each_once(2);
}
