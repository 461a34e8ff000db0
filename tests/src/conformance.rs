//! One behaviour suite for every store adapter (`IncidentStore` and `AccountStore`): each case takes a fresh, empty store.
//! The SQLite run is in `tests/store/`; other adapters call the same cases.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use functions::ports::{
    Account, AccountToken, AlertKey, AlertKeyWrite, EmailArrival, FollowUpDraft, IncidentCommit, IncidentStore,
    PageRequest, ReportDismissal, ReportDraft, Session, Store, StoreError, StoredAttachment, TokenPurpose,
};
use shared::access::TeamRole;
use shared::api::ReportForm;
use shared::attachment::AttachmentKind;
use shared::audit::{AuditEvent, ChainHead, ReportEvent, seal, verify};
use shared::inbound::{AuthVerdict, EmailAuthentication, EmailIntake, InboundMessage, InboundOutcome, RefusedFile};
use shared::notices::{DeliveryKind, DeliveryState, MailEvent, Recipient};
use shared::record::{IncidentEvent, IncidentRecord, Origin};
use shared::reference::{Reference, ReferenceKind};
use shared::report::{NewReport, ReportStatus};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn attachment(n: u32) -> StoredAttachment {
    StoredAttachment {
        id: format!("00000000-0000-7000-8000-{n:012}"),
        file_name: format!("evidence-{n}.png"),
        kind: AttachmentKind::Png,
        size_bytes: 1000 + u64::from(n),
        sha256: format!("{n:064x}"),
        storage_key: format!("key-{n}"),
    }
}

fn draft(description: &str, received_at: DateTime<Utc>, token: u8, attachments: Vec<StoredAttachment>) -> ReportDraft {
    let form = ReportForm {
        reporter_kind: "third_party".into(),
        name: "Researcher".into(),
        email: "researcher@example.org".into(),
        description: description.into(),
        steps_to_reproduce: "curl https://example.com/api".into(),
        observed_at: "2026-11-01T08:00:00Z".into(),
        affected_system: "public API".into(),
        ..ReportForm::default()
    };
    ReportDraft {
        report: NewReport::parse(&form, at(30, 23)).expect("a valid report"),
        received_at,
        follow_up_token_hash: [token; 32],
        attachments,
        email: None,
    }
}

fn page(cursor: Option<String>, limit: u32) -> PageRequest {
    PageRequest { cursor, limit }
}

/// Commits `events` onto the incident as the service does: sealed on `previous`, applied to `record`.
async fn commit(
    store: &Arc<dyn IncidentStore>,
    mut record: IncidentRecord,
    previous: Option<ChainHead>,
    events: Vec<IncidentEvent>,
    when: DateTime<Utc>,
    link_report: Option<Reference>,
    alert_key: Option<AlertKeyWrite>,
) -> Result<ChainHead, StoreError> {
    for event in &events {
        record.apply(event, when, "tester");
    }
    let start = previous.clone().unwrap_or_else(ChainHead::genesis);
    let (entries, head) = seal(&start, record.reference, when, "tester", events.into_iter().map(AuditEvent::Incident));
    store
        .commit_incident(IncidentCommit {
            record,
            previous,
            entries,
            head: head.clone(),
            link_report,
            alert_key,
            obligations: Vec::new(),
            campaign: None,
        })
        .await?;
    Ok(head)
}

/// A new incident with its opening entry, linked to `report` if given.
async fn open_incident(
    store: &Arc<dyn IncidentStore>,
    title: &str,
    when: DateTime<Utc>,
    report: Option<Reference>,
) -> Result<Reference, StoreError> {
    let reference = store.next_reference(ReferenceKind::Incident, 2026).await?;
    let origin = report.map_or(Origin::Declared, |report| Origin::Report { report });
    let opened = IncidentEvent::Opened { title: title.to_owned(), origin, detected_at: None };
    let record = IncidentRecord::open(reference, &opened, when, "tester").unwrap();
    let mut events = vec![opened];
    events.extend(report.map(|report| IncidentEvent::ReportLinked { report, received_at: None }));
    commit(store, record, None, events, when, report, None).await?;
    Ok(reference)
}

fn note(text: &str) -> IncidentEvent {
    IncidentEvent::NoteAdded { markdown: text.to_owned() }
}

pub async fn stores_and_reads_back_a_report(store: Arc<dyn IncidentStore>) {
    let reference = store
        .insert_report(draft(
            "IDOR on /api/invoices lets me read others",
            at(2, 9),
            1,
            vec![attachment(1), attachment(2)],
        ))
        .await
        .unwrap();
    assert_eq!(reference, Reference::new(ReferenceKind::Report, 2026, 1));
    let detail = store.report(reference).await.unwrap().expect("stored");
    assert_eq!(detail.description, "IDOR on /api/invoices lets me read others");
    assert_eq!(detail.reporter_email.as_deref(), Some("researcher@example.org"));
    assert_eq!(detail.observed_at, Some(Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap()));
    assert_eq!(detail.received_at, at(2, 9));
    assert_eq!(detail.status, ReportStatus::Received);
    assert_eq!(
        detail.attachments.iter().map(|a| a.file_name.as_str()).collect::<Vec<_>>(),
        ["evidence-1.png", "evidence-2.png"]
    );
    assert_eq!(detail.attachments[1].size_bytes, 1002);
    assert_eq!(store.attachment(&attachment(2).id).await.unwrap(), Some(attachment(2)));
    assert_eq!(store.attachment("no-such-id").await.unwrap(), None);
    assert_eq!(store.report(Reference::new(ReferenceKind::Report, 2026, 99)).await.unwrap(), None);
}

pub async fn numbers_references_per_year(store: Arc<dyn IncidentStore>) {
    let late_2025 = Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 59).unwrap();
    let a = store.insert_report(draft("A report from last year", late_2025, 1, vec![])).await.unwrap();
    let b = store.insert_report(draft("The first report of this year", at(1, 0), 2, vec![])).await.unwrap();
    let c = store.insert_report(draft("The second report of this year", at(1, 1), 3, vec![])).await.unwrap();
    assert_eq!([a, b, c].map(|r| r.to_string()), ["TOC-2025-000001", "TOC-2026-000001", "TOC-2026-000002"]);
}

pub async fn finds_a_report_by_its_token_hash_only(store: Arc<dyn IncidentStore>) {
    let first = store.insert_report(draft("A report reached by its token", at(3, 9), 7, vec![])).await.unwrap();
    store.insert_report(draft("Another report entirely", at(3, 10), 8, vec![])).await.unwrap();
    assert_eq!(store.report_reference_by_token([7; 32]).await.unwrap(), Some(first));
    assert_eq!(store.report_reference_by_token([9; 32]).await.unwrap(), None);
}

pub async fn keeps_follow_ups_in_order_with_their_files(store: Arc<dyn IncidentStore>) {
    let reference =
        store.insert_report(draft("A report that gets follow-ups", at(4, 9), 1, vec![attachment(1)])).await.unwrap();
    let first =
        FollowUpDraft { message: Some("More detail".into()), received_at: at(4, 10), attachments: vec![], email: None };
    let second = FollowUpDraft { message: None, received_at: at(4, 11), attachments: vec![attachment(2)], email: None };
    store.add_follow_up(reference, first).await.unwrap();
    store.add_follow_up(reference, second).await.unwrap();
    let detail = store.report(reference).await.unwrap().unwrap();
    assert_eq!(detail.attachments.len(), 1, "follow-up files are not the report's own");
    assert_eq!(detail.follow_ups.len(), 2);
    assert_eq!(detail.follow_ups[0].message.as_deref(), Some("More detail"));
    assert_eq!(detail.follow_ups[1].received_at, at(4, 11));
    assert_eq!(detail.follow_ups[1].attachments[0].id, attachment(2).id);

    let missing = Reference::new(ReferenceKind::Report, 2026, 42);
    let orphan =
        FollowUpDraft { message: Some("lost?".into()), received_at: at(4, 12), attachments: vec![], email: None };
    assert!(matches!(store.add_follow_up(missing, orphan).await, Err(StoreError::NotFound)));
}

pub async fn lists_newest_first_in_pages_with_a_status_filter(store: Arc<dyn IncidentStore>) {
    let mut inserted = Vec::new();
    for n in 0..7u8 {
        let text = format!("Report number {n} in the list");
        inserted.push(store.insert_report(draft(&text, at(5, u32::from(n)), n, vec![])).await.unwrap());
    }
    let mut listed = Vec::new();
    let mut cursor = None;
    loop {
        let result = store.list_reports(None, page(cursor, 3)).await.unwrap();
        assert!(result.items.len() <= 3);
        listed.extend(result.items.into_iter().map(|r| r.reference));
        match result.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    inserted.reverse();
    assert_eq!(listed, inserted);

    open_incident(&store, "Triaged one", at(6, 0), Some(inserted[2])).await.unwrap();
    let received = store.list_reports(Some(ReportStatus::Received), page(None, 10)).await.unwrap();
    assert_eq!(received.items.len(), 6);
    assert!(received.next_cursor.is_none());
    let triaged = store.list_reports(Some(ReportStatus::Triaged), page(None, 10)).await.unwrap();
    assert_eq!(triaged.items.iter().map(|r| r.reference).collect::<Vec<_>>(), [inserted[2]]);
    let exact = store.list_reports(None, page(None, 7)).await.unwrap();
    assert_eq!((exact.items.len(), exact.next_cursor), (7, None), "a full last page has no next page");
    assert!(matches!(store.list_reports(None, page(Some("garbage".into()), 3)).await, Err(StoreError::InvalidCursor)));
}

pub async fn opens_incidents_from_reports_once(store: Arc<dyn IncidentStore>) {
    let report = store
        .insert_report(draft("Credential stuffing against login", at(7, 9), 1, vec![attachment(1)]))
        .await
        .unwrap();
    let incident = open_incident(&store, "Credential stuffing", at(7, 10), Some(report)).await.unwrap();
    assert_eq!(incident.to_string(), "INC-2026-000001");
    let (record, head) = store.incident(incident).await.unwrap().unwrap();
    assert_eq!((record.title.as_str(), record.opened_at), ("Credential stuffing", at(7, 10)));
    assert_eq!(head.seq, 2, "opened and linked");
    let reports = store.incident_reports(incident).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!((reports[0].attachment_count, reports[0].incident), (1, Some(incident)));
    let report_detail = store.report(report).await.unwrap().unwrap();
    assert_eq!((report_detail.status, report_detail.incident), (ReportStatus::Triaged, Some(incident)));

    let again = open_incident(&store, "Again", at(7, 11), Some(report)).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let listed = store.list_incidents(page(None, 10)).await.unwrap();
    assert_eq!(listed.items.len(), 1, "a refused open leaves no incident behind");
    assert_eq!(listed.items[0].report_count, 1);
    assert_eq!(listed.items[0].title, "Credential stuffing");
    assert_eq!(store.incident(Reference::new(ReferenceKind::Incident, 2026, 99)).await.unwrap(), None);
}

pub async fn links_several_reports_and_dismisses_others(store: Arc<dyn IncidentStore>) {
    let first = store.insert_report(draft("Login attempts from many IPs", at(10, 8), 1, vec![])).await.unwrap();
    let second = store.insert_report(draft("Customer locked out of account", at(10, 7), 2, vec![])).await.unwrap();
    let noise = store.insert_report(draft("The site looks slow today", at(10, 9), 3, vec![])).await.unwrap();
    let incident = open_incident(&store, "Credential stuffing", at(10, 10), Some(first)).await.unwrap();
    let (record, head) = store.incident(incident).await.unwrap().unwrap();
    let linked = vec![IncidentEvent::ReportLinked { report: second, received_at: None }];
    commit(&store, record, Some(head), linked, at(10, 11), Some(second), None).await.unwrap();
    let reports = store.incident_reports(incident).await.unwrap();
    assert_eq!(reports.iter().map(|r| r.reference).collect::<Vec<_>>(), [second, first], "in received order");
    assert_eq!(store.list_incidents(page(None, 10)).await.unwrap().items[0].report_count, 2);

    let reason = "A known slowdown during the deploy, not a security matter";
    let event = AuditEvent::Report(ReportEvent::Dismissed { reason: reason.to_owned() });
    let (entries, head) = seal(&ChainHead::genesis(), noise, at(10, 12), "tester", [event]);
    let dismissal = ReportDismissal { report: noise, reason: reason.to_owned(), previous: None, entries, head };
    store.commit_dismissal(dismissal.clone()).await.unwrap();
    let detail = store.report(noise).await.unwrap().unwrap();
    assert_eq!((detail.status, detail.dismissal_reason.as_deref()), (ReportStatus::Dismissed, Some(reason)));
    let dismissed = store.list_reports(Some(ReportStatus::Dismissed), page(None, 10)).await.unwrap();
    assert_eq!(dismissed.items.iter().map(|r| r.reference).collect::<Vec<_>>(), [noise]);
    assert!(matches!(store.commit_dismissal(dismissal).await, Err(StoreError::Conflict(_))), "dismissed once");
    assert!(
        matches!(open_incident(&store, "Late", at(10, 13), Some(noise)).await, Err(StoreError::Conflict(_))),
        "a dismissed report cannot be linked"
    );
    let verification = verify(
        noise,
        &store.audit_entries(noise, 0, 10).await.unwrap(),
        store.audit_head(noise).await.unwrap().as_ref(),
    );
    assert!(verification.is_intact() && verification.entries_checked == 1, "{verification:?}");
}

pub async fn keeps_the_audit_chain_and_refuses_stale_writes(store: Arc<dyn IncidentStore>) {
    let incident = open_incident(&store, "Malware on a build agent", at(11, 9), None).await.unwrap();
    let (record, head) = store.incident(incident).await.unwrap().unwrap();
    let notes: Vec<_> = (0..30).map(|i| note(&format!("Step {i}"))).collect();
    let after_notes = commit(&store, record.clone(), Some(head.clone()), notes, at(11, 10), None, None).await.unwrap();
    assert_eq!(after_notes.seq, 31);

    // A writer that read the incident before the notes is refused, and writes nothing.
    let stale = commit(&store, record, Some(head), vec![note("late")], at(11, 11), None, None).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(store.audit_head(incident).await.unwrap(), Some(after_notes.clone()));

    let mut entries = Vec::new();
    loop {
        let page = store.audit_entries(incident, entries.len() as u64, 7).await.unwrap();
        assert!(page.len() <= 7);
        if page.is_empty() {
            break;
        }
        entries.extend(page);
    }
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=31).collect::<Vec<_>>());
    assert!(verify(incident, &entries, Some(&after_notes)).is_intact());
    assert_eq!(store.audit_head(Reference::new(ReferenceKind::Incident, 2026, 50)).await.unwrap(), None);
}

pub async fn alert_keys_move_only_from_what_was_read(store: Arc<dyn IncidentStore>) {
    assert_eq!(store.alert_key("grafana", "login-spike").await.unwrap(), None);
    let write = |previous: Option<AlertKey>, when| AlertKeyWrite {
        source: "grafana".into(),
        key: "login-spike".into(),
        previous,
        last_seen: when,
    };
    let reference = store.next_reference(ReferenceKind::Incident, 2026).await.unwrap();
    let opened = IncidentEvent::Opened {
        title: "Login spike".into(),
        origin: Origin::Alert { source: "grafana".into() },
        detected_at: None,
    };
    let record = IncidentRecord::open(reference, &opened, at(12, 9), "tester").unwrap();
    let head = commit(&store, record.clone(), None, vec![opened], at(12, 9), None, Some(write(None, at(12, 9))))
        .await
        .unwrap();
    let seen = store.alert_key("grafana", "login-spike").await.unwrap().unwrap();
    assert_eq!(seen, AlertKey { incident: reference, last_seen: at(12, 9) });

    // A second alert that also read "no key" loses: it would otherwise open a duplicate incident.
    let duplicate = open_with_alert(&store, write(None, at(12, 10))).await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))), "{duplicate:?}");
    let sighting = vec![IncidentEvent::AlertReceived {
        source: "grafana".into(),
        key: "login-spike".into(),
        summary: "again".into(),
    }];
    commit(&store, record, Some(head), sighting, at(12, 11), None, Some(write(Some(seen), at(12, 11)))).await.unwrap();
    assert_eq!(store.alert_key("grafana", "login-spike").await.unwrap().unwrap().last_seen, at(12, 11));
    assert_eq!(store.list_incidents(page(None, 10)).await.unwrap().items.len(), 1);
}

async fn open_with_alert(store: &Arc<dyn IncidentStore>, alert: AlertKeyWrite) -> Result<ChainHead, StoreError> {
    let reference = store.next_reference(ReferenceKind::Incident, 2026).await?;
    let opened = IncidentEvent::Opened {
        title: "Duplicate".into(),
        origin: Origin::Alert { source: "grafana".into() },
        detected_at: None,
    };
    let record = IncidentRecord::open(reference, &opened, at(12, 10), "tester").unwrap();
    commit(store, record, None, vec![opened], at(12, 10), None, Some(alert)).await
}

pub async fn concurrent_writers_neither_collide_nor_lose_anything(store: Arc<dyn IncidentStore>) {
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50u8 {
        let store = store.clone();
        tasks.spawn(async move {
            let text = format!("Concurrent report {n} arriving at once");
            store.insert_report(draft(&text, at(8, 9) + Duration::seconds(i64::from(n)), n, vec![])).await.unwrap()
        });
    }
    let references: HashSet<_> = tasks.join_all().await.into_iter().collect();
    assert_eq!(references.len(), 50);
    assert_eq!(store.list_reports(None, page(None, 100)).await.unwrap().items.len(), 50);

    // Two team members open an incident from the same report at the same moment: one wins.
    let contested = *references.iter().next().unwrap();
    let (a, b) = tokio::join!(
        open_incident(&store, "From member A", at(9, 0), Some(contested)),
        open_incident(&store, "From member B", at(9, 0), Some(contested)),
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "exactly one wins");
    assert!(matches!(if a.is_ok() { b } else { a }, Err(StoreError::Conflict(_))));
    assert_eq!(store.list_incidents(page(None, 10)).await.unwrap().items.len(), 1);
}

fn account(email: &str) -> Account {
    Account {
        id: format!("id-{email}"),
        email: email.to_owned(),
        name: "Ada".to_owned(),
        role: TeamRole::Member,
        password_hash: "$argon2id$stored".to_owned(),
        totp_secret: vec![7; 20],
        last_totp_step: 0,
        recovery_codes: vec!["hash".to_owned()],
        trusted_devices: vec![],
        disabled: false,
        sessions_valid_after: at(1, 0),
        created_at: at(1, 0),
    }
}

pub async fn accounts_are_unique_by_email_and_change_only_from_what_was_read(store: Arc<dyn Store>) {
    store.insert_account(account("ada@example.com")).await.unwrap();
    let again = Account { id: "another".into(), ..account("ada@example.com") };
    assert!(matches!(store.insert_account(again).await, Err(StoreError::Conflict(_))));
    store.insert_account(account("bob@example.com")).await.unwrap();
    let (ada, version) = store.account_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(store.account(&ada.id).await.unwrap().unwrap(), (ada.clone(), version));
    assert!(store.account_by_email("nobody@example.com").await.unwrap().is_none());
    let listed: Vec<String> = store.accounts().await.unwrap().into_iter().map(|a| a.email).collect();
    assert_eq!(listed, ["ada@example.com", "bob@example.com"]);

    let lead = Account { role: TeamRole::Lead, last_totp_step: 9, ..ada.clone() };
    store.update_account(lead.clone(), version).await.unwrap();
    let stale = Account { role: TeamRole::Admin, ..ada };
    assert!(matches!(store.update_account(stale, version).await, Err(StoreError::Conflict(_))), "stale version");
    assert_eq!(store.account(&lead.id).await.unwrap().unwrap().0, lead);
}

pub async fn emailed_tokens_work_once_and_never_after_expiry(store: Arc<dyn Store>) {
    let purpose =
        TokenPurpose::Invitation { email: "ada@example.com".into(), name: "Ada".into(), role: TeamRole::Lead };
    let token = AccountToken { hash: "a".repeat(64), purpose, expires_at: at(8, 0) };
    store.insert_token(token.clone()).await.unwrap();
    assert_eq!(store.token(&token.hash, at(7, 0)).await.unwrap(), Some(token.clone()));
    assert_eq!(store.token(&token.hash, at(8, 0)).await.unwrap(), None, "expired");
    assert!(matches!(store.use_token(&token.hash, at(8, 1)).await, Err(StoreError::Conflict(_))), "expired");
    assert!(store.token(&"b".repeat(64), at(7, 0)).await.unwrap().is_none());

    let (first, second) = tokio::join!(store.use_token(&token.hash, at(7, 0)), store.use_token(&token.hash, at(7, 0)));
    assert_eq!([first.is_ok(), second.is_ok()].iter().filter(|ok| **ok).count(), 1, "a token works once");
    assert_eq!(store.token(&token.hash, at(7, 0)).await.unwrap(), None, "used");
}

pub async fn sessions_failure_counts_and_secrets_are_kept(store: Arc<dyn Store>) {
    let session =
        Session { hash: "s".repeat(64), account: "id-ada".into(), created_at: at(2, 0), last_seen_at: at(2, 0) };
    store.insert_session(session.clone()).await.unwrap();
    assert_eq!(store.session(&session.hash).await.unwrap(), Some(session.clone()));
    store.touch_session(&session.hash, at(2, 1)).await.unwrap();
    assert_eq!(store.session(&session.hash).await.unwrap().unwrap().last_seen_at, at(2, 1));
    store.delete_session(&session.hash).await.unwrap();
    assert_eq!(store.session(&session.hash).await.unwrap(), None);
    store.touch_session(&session.hash, at(2, 2)).await.unwrap();
    assert_eq!(store.session(&session.hash).await.unwrap(), None, "touching an ended session does not revive it");

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let store = store.clone();
        tasks.spawn(async move { store.add_failure("account:ada", at(3, 0)).await.unwrap() });
    }
    let mut counts: Vec<u32> = tasks.join_all().await;
    counts.sort();
    assert_eq!(counts, [1, 2, 3, 4, 5], "concurrent failures are each counted");
    assert_eq!(store.failures("account:ada", at(3, 0)).await.unwrap(), 5);
    assert_eq!(store.failures("account:ada", at(3, 1)).await.unwrap(), 0, "another window");
    assert_eq!(store.failures("account:bob", at(3, 0)).await.unwrap(), 0);

    let first = store.secret("form-ticket", vec![1; 32]).await.unwrap();
    let second = store.secret("form-ticket", vec![2; 32]).await.unwrap();
    assert_eq!((first, second), (vec![1; 32], vec![1; 32]), "the first secret stays");
}

/// Runs every case, each on a fresh store from `new_store`.
/// Ten senders claim the same delivery at once: exactly one wins, and only its claim settles it.
/// Mail events merge into the outcome, repeated or not; suppression keeps the first reason.
pub async fn each_delivery_is_claimed_once_and_events_merge(store: Arc<dyn Store>) {
    let list = format!("INC-2026-000001.N1.{}", uuid::Uuid::now_v7().simple());
    let recipient = |n: u32| Recipient {
        email: format!("customer{n}@example.com"),
        name: Some(format!("Customer {n}")),
        account: None,
        jurisdiction: Some("DE".into()),
    };
    store.insert_recipients(&list, &[recipient(1), recipient(2), recipient(3)]).await.unwrap();
    let pending = store.deliveries(&list, Some(DeliveryKind::Pending), 0, 10).await.unwrap();
    assert_eq!(pending.iter().map(|d| d.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(pending[1].recipient, recipient(2));

    let mut claims = tokio::task::JoinSet::new();
    for n in 0..10 {
        let (store, list) = (store.clone(), list.clone());
        claims.spawn(async move {
            let claim = DeliveryState::Sending { claimed_at: at(9, 0) + Duration::seconds(n) };
            store.move_delivery(&list, 2, &DeliveryState::Pending, &claim).await.unwrap().then_some(claim)
        });
    }
    let won: Vec<DeliveryState> = claims.join_all().await.into_iter().flatten().collect();
    assert_eq!(won.len(), 1, "exactly one claim wins");
    let sent = DeliveryState::Sent { message_id: "m-2".into(), at: at(9, 1) };
    let stale = DeliveryState::Sending { claimed_at: at(8, 0) };
    assert!(!store.move_delivery(&list, 2, &stale, &sent).await.unwrap(), "only from the state read");
    assert!(store.move_delivery(&list, 2, &won[0], &sent).await.unwrap());
    assert_eq!(store.deliveries(&list, Some(DeliveryKind::Sending), 0, 10).await.unwrap(), []);
    assert_eq!(store.deliveries(&list, None, 1, 1).await.unwrap()[0].state, sent);

    for event in [MailEvent::Delivered, MailEvent::Complaint, MailEvent::Delivered] {
        store.merge_mail_event(&list, 2, event).await.unwrap().unwrap();
    }
    let merged = store.merge_mail_event(&list, 2, MailEvent::Accepted).await.unwrap().unwrap();
    assert_eq!((merged.outcome.label(), merged.outcome.suppresses()), ("Complained", true));
    assert_eq!(store.merge_mail_event(&list, 9, MailEvent::Delivered).await.unwrap(), None);
    let counts = store.delivery_counts(&list).await.unwrap();
    assert_eq!((counts.pending, counts.sent, counts.complained, counts.total()), (2, 1, 1, 3));

    assert_eq!(store.suppression("customer2@example.com").await.unwrap(), None);
    store.suppress("customer2@example.com", "a complaint").await.unwrap();
    store.suppress("customer2@example.com", "a bounce").await.unwrap();
    assert_eq!(store.suppression("customer2@example.com").await.unwrap().as_deref(), Some("a complaint"));
    assert_eq!(store.active_campaigns().await.unwrap().iter().filter(|c| c.list == list).count(), 0);
}

fn arrival(message_key: &str) -> EmailArrival {
    EmailArrival {
        intake: EmailIntake {
            message_key: message_key.into(),
            sender: Some("ann@example.com".into()),
            subject: "Logins from Brazil".into(),
            authentication: EmailAuthentication {
                spf: AuthVerdict::Pass,
                dkim: AuthVerdict::Pass,
                dmarc: AuthVerdict::Pass,
            },
            refused_files: vec![RefusedFile { file_name: "invoice.exe".into(), reason: "not an allowed type".into() }],
        },
        size_bytes: 2048,
        kept_at: Some(format!("inbound/{message_key}")),
    }
}

/// A message makes one report: the same message again, as a report or as a follow-up, changes
/// nothing. Refused messages are recorded once; the newest are listed first; a receipt's id
/// finds its report.
pub async fn each_email_is_taken_in_once_and_replies_find_their_report(store: Arc<dyn IncidentStore>) {
    let first =
        ReportDraft { email: Some(arrival("m1@mail.example.com")), ..draft("Logins from Brazil", at(6, 9), 1, vec![]) };
    let reference = store.insert_report(first).await.unwrap();
    let again = ReportDraft {
        email: Some(arrival("m1@mail.example.com")),
        ..draft("Logins from Brazil", at(6, 9), 2, vec![attachment(1)])
    };
    assert!(matches!(store.insert_report(again).await, Err(StoreError::Conflict(_))));
    let detail = store.report(reference).await.unwrap().unwrap();
    assert_eq!(detail.email, Some(arrival("m1@mail.example.com").intake));
    let recorded = store.inbound("m1@mail.example.com").await.unwrap().expect("recorded with the report");
    assert_eq!((recorded.outcome, recorded.size_bytes), (InboundOutcome::Report { reference }, 2048));

    let reply = |key: &str| FollowUpDraft {
        message: Some("It happened again".into()),
        received_at: at(6, 10),
        attachments: vec![],
        email: Some(arrival(key)),
    };
    store.add_follow_up(reference, reply("m2@mail.example.com")).await.unwrap();
    assert!(matches!(store.add_follow_up(reference, reply("m2@mail.example.com")).await, Err(StoreError::Conflict(_))));
    assert!(matches!(store.add_follow_up(reference, reply("m1@mail.example.com")).await, Err(StoreError::Conflict(_))));
    let detail = store.report(reference).await.unwrap().unwrap();
    assert_eq!(detail.follow_ups.len(), 1, "each message once");
    assert_eq!(detail.follow_ups[0].email.as_ref().map(|e| e.message_key.as_str()), Some("m2@mail.example.com"));

    let refused = InboundMessage {
        message_key: "sha256:00ff".into(),
        received_at: at(6, 11),
        sender: None,
        subject: String::new(),
        size_bytes: 50 * 1024 * 1024,
        kept_at: Some("inbound/big".into()),
        outcome: InboundOutcome::Rejected { reason: "too large".into() },
    };
    assert!(store.record_inbound(refused.clone()).await.unwrap());
    assert!(!store.record_inbound(refused.clone()).await.unwrap(), "recorded once");
    let listed: Vec<String> = store.list_inbound(10).await.unwrap().into_iter().map(|m| m.message_key).collect();
    assert_eq!(listed, ["sha256:00ff", "m2@mail.example.com", "m1@mail.example.com"]);
    assert_eq!(store.list_inbound(1).await.unwrap(), [refused]);

    assert_eq!(store.report_by_receipt_id("0100abc").await.unwrap(), None);
    store.set_receipt_id(reference, "0100abc").await.unwrap();
    assert_eq!(store.report_by_receipt_id("0100abc").await.unwrap(), Some(reference));
    let missing = Reference::new(ReferenceKind::Report, 2026, 999);
    assert!(matches!(store.set_receipt_id(missing, "x").await, Err(StoreError::NotFound)));
}

#[macro_export]
macro_rules! store_conformance_suite {
    ($new_store:expr) => {
        $crate::store_conformance_suite!(@cases $new_store;
            stores_and_reads_back_a_report,
            numbers_references_per_year,
            finds_a_report_by_its_token_hash_only,
            keeps_follow_ups_in_order_with_their_files,
            lists_newest_first_in_pages_with_a_status_filter,
            opens_incidents_from_reports_once,
            links_several_reports_and_dismisses_others,
            keeps_the_audit_chain_and_refuses_stale_writes,
            alert_keys_move_only_from_what_was_read,
            concurrent_writers_neither_collide_nor_lose_anything,
            accounts_are_unique_by_email_and_change_only_from_what_was_read,
            emailed_tokens_work_once_and_never_after_expiry,
            sessions_failure_counts_and_secrets_are_kept,
            each_delivery_is_claimed_once_and_events_merge,
            each_email_is_taken_in_once_and_replies_find_their_report,
        );
        $crate::store_conformance_suite!(@checker $new_store;
            sends_each_reminder_and_escalation_once_in_time,
            ten_concurrent_runs_send_each_step_once,
            a_late_run_escalates_and_skips_stale_reminders,
            missed_runs_send_the_latest_reminder_then_carry_on,
            a_met_obligation_is_no_longer_checked,
            the_yearly_policy_review_reminds_once_and_restarts_when_held,
        );
    };
    (@checker $new_store:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store = $new_store.await;
                $crate::checker::$case(store.store()).await;
            }
        )*
    };
    (@cases $new_store:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store = $new_store.await;
                $crate::conformance::$case(store.store()).await;
            }
        )*
    };
}
