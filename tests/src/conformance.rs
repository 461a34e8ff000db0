//! One behaviour suite for every `IncidentStore` adapter: each case takes a fresh, empty store.
//! The SQLite run is in `tests/store/`; other adapters call the same cases.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use functions::ports::{FollowUpDraft, IncidentStore, PageRequest, ReportDraft, StoreError, StoredAttachment};
use shared::api::ReportForm;
use shared::attachment::AttachmentKind;
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
        uploads: vec![],
    };
    ReportDraft {
        report: NewReport::parse(&form, at(30, 23)).expect("a valid report"),
        received_at,
        follow_up_token_hash: [token; 32],
        attachments,
    }
}

fn page(cursor: Option<String>, limit: u32) -> PageRequest {
    PageRequest { cursor, limit }
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
    let first = FollowUpDraft { message: Some("More detail".into()), received_at: at(4, 10), attachments: vec![] };
    let second = FollowUpDraft { message: None, received_at: at(4, 11), attachments: vec![attachment(2)] };
    store.add_follow_up(reference, first).await.unwrap();
    store.add_follow_up(reference, second).await.unwrap();
    let detail = store.report(reference).await.unwrap().unwrap();
    assert_eq!(detail.attachments.len(), 1, "follow-up files are not the report's own");
    assert_eq!(detail.follow_ups.len(), 2);
    assert_eq!(detail.follow_ups[0].message.as_deref(), Some("More detail"));
    assert_eq!(detail.follow_ups[1].received_at, at(4, 11));
    assert_eq!(detail.follow_ups[1].attachments[0].id, attachment(2).id);

    let missing = Reference::new(ReferenceKind::Report, 2026, 42);
    let orphan = FollowUpDraft { message: Some("lost?".into()), received_at: at(4, 12), attachments: vec![] };
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

    store.open_incident_from_report(inserted[2], "Triaged one".into(), at(6, 0)).await.unwrap();
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
    let incident = store.open_incident_from_report(report, "Credential stuffing".into(), at(7, 10)).await.unwrap();
    assert_eq!(incident.to_string(), "INC-2026-000001");
    let detail = store.incident(incident).await.unwrap().unwrap();
    assert_eq!(detail.title, "Credential stuffing");
    assert_eq!(detail.opened_at, at(7, 10));
    assert_eq!(detail.detected_at, at(7, 9), "detection is the earliest linked report");
    assert_eq!(detail.reports.len(), 1);
    assert_eq!(detail.reports[0].attachment_count, 1);
    assert_eq!(detail.reports[0].incident, Some(incident));
    let report_detail = store.report(report).await.unwrap().unwrap();
    assert_eq!((report_detail.status, report_detail.incident), (ReportStatus::Triaged, Some(incident)));

    let again = store.open_incident_from_report(report, "Again".into(), at(7, 11)).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    let missing = Reference::new(ReferenceKind::Report, 2026, 77);
    assert!(matches!(store.open_incident_from_report(missing, "x".into(), at(7, 11)).await, Err(StoreError::NotFound)));

    let listed = store.list_incidents(page(None, 10)).await.unwrap();
    assert_eq!(listed.items.len(), 1, "a refused open leaves no incident behind");
    assert_eq!(listed.items[0].report_count, 1);
    assert_eq!(store.incident(Reference::new(ReferenceKind::Incident, 2026, 2)).await.unwrap(), None);
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
        store.open_incident_from_report(contested, "From member A".into(), at(9, 0)),
        store.open_incident_from_report(contested, "From member B".into(), at(9, 0)),
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "exactly one wins");
    assert!(matches!(if a.is_ok() { b } else { a }, Err(StoreError::Conflict(_))));
    assert_eq!(store.list_incidents(page(None, 10)).await.unwrap().items.len(), 1);
}

/// Runs every case, each on a fresh store from `new_store`.
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
            concurrent_writers_neither_collide_nor_lose_anything,
        );
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
