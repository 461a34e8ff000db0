//! [`ReportStore`]: reports, follow-ups and files, listing, the inbound mail log and receipts.
//! Triage through [`IncidentStore`] where a case needs a report that is no longer waiting.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use functions::ports::{FollowUpDraft, IncidentStore, ReportDraft, ReportStore, StoreError};
use shared::inbound::{InboundMessage, InboundOutcome};
use shared::reference::{Reference, ReferenceKind};
use shared::report::ReportStatus;

use super::fixtures::{arrival, at, attachment, draft, open_incident, page};

pub async fn stores_and_reads_back_a_report(reports: Arc<dyn ReportStore>) {
    let reference = reports
        .insert_report(draft(
            "IDOR on /api/invoices lets me read others",
            at(2, 9),
            1,
            vec![attachment(1), attachment(2)],
        ))
        .await
        .unwrap();
    assert_eq!(reference, Reference::new(ReferenceKind::Report, 2026, 1));
    let detail = reports.report(reference).await.unwrap().expect("stored");
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
    assert_eq!(reports.attachment(&attachment(2).id).await.unwrap(), Some((Some(reference), attachment(2))));
    assert_eq!(reports.attachment("no-such-id").await.unwrap(), None);
    assert_eq!(reports.report(Reference::new(ReferenceKind::Report, 2026, 99)).await.unwrap(), None);
}

pub async fn numbers_references_per_year(reports: Arc<dyn ReportStore>) {
    let late_2025 = Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 59).unwrap();
    let a = reports.insert_report(draft("A report from last year", late_2025, 1, vec![])).await.unwrap();
    let b = reports.insert_report(draft("The first report of this year", at(1, 0), 2, vec![])).await.unwrap();
    let c = reports.insert_report(draft("The second report of this year", at(1, 1), 3, vec![])).await.unwrap();
    assert_eq!([a, b, c].map(|r| r.to_string()), ["TOC-2025-000001", "TOC-2026-000001", "TOC-2026-000002"]);
}

pub async fn finds_a_report_by_its_token_hash_only(reports: Arc<dyn ReportStore>) {
    let first = reports.insert_report(draft("A report reached by its token", at(3, 9), 7, vec![])).await.unwrap();
    reports.insert_report(draft("Another report entirely", at(3, 10), 8, vec![])).await.unwrap();
    assert_eq!(reports.report_reference_by_token([7; 32]).await.unwrap(), Some(first));
    assert_eq!(reports.report_reference_by_token([9; 32]).await.unwrap(), None);
}

pub async fn keeps_follow_ups_in_order_with_their_files(reports: Arc<dyn ReportStore>) {
    let reference =
        reports.insert_report(draft("A report that gets follow-ups", at(4, 9), 1, vec![attachment(1)])).await.unwrap();
    let first =
        FollowUpDraft { message: Some("More detail".into()), received_at: at(4, 10), attachments: vec![], email: None };
    let second = FollowUpDraft { message: None, received_at: at(4, 11), attachments: vec![attachment(2)], email: None };
    reports.add_follow_up(reference, first).await.unwrap();
    reports.add_follow_up(reference, second).await.unwrap();
    let detail = reports.report(reference).await.unwrap().unwrap();
    assert_eq!(detail.attachments.len(), 1, "follow-up files are not the report's own");
    assert_eq!(detail.follow_ups.len(), 2);
    assert_eq!(detail.follow_ups[0].message.as_deref(), Some("More detail"));
    assert_eq!(detail.follow_ups[1].received_at, at(4, 11));
    assert_eq!(detail.follow_ups[1].attachments[0].id, attachment(2).id);
    let follow_up_file = reports.attachment(&attachment(2).id).await.unwrap();
    assert_eq!(follow_up_file, Some((Some(reference), attachment(2))), "a follow-up's file names its report");

    let missing = Reference::new(ReferenceKind::Report, 2026, 42);
    let orphan =
        FollowUpDraft { message: Some("lost?".into()), received_at: at(4, 12), attachments: vec![], email: None };
    assert!(matches!(reports.add_follow_up(missing, orphan).await, Err(StoreError::NotFound)));
}

pub async fn lists_newest_first_in_pages_with_a_status_filter(
    reports: Arc<dyn ReportStore>,
    incidents: Arc<dyn IncidentStore>,
) {
    let mut inserted = Vec::new();
    for n in 0..7u8 {
        let text = format!("Report number {n} in the list");
        inserted.push(reports.insert_report(draft(&text, at(5, u32::from(n)), n, vec![])).await.unwrap());
    }
    let mut listed = Vec::new();
    let mut cursor = None;
    loop {
        let result = reports.list_reports(None, page(cursor, 3)).await.unwrap();
        assert!(result.items.len() <= 3);
        listed.extend(result.items.into_iter().map(|r| r.reference));
        match result.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    inserted.reverse();
    assert_eq!(listed, inserted);

    open_incident(&incidents, "Triaged one", at(6, 0), Some(inserted[2])).await.unwrap();
    let received = reports.list_reports(Some(ReportStatus::Received), page(None, 10)).await.unwrap();
    assert_eq!(received.items.len(), 6);
    assert!(received.next_cursor.is_none());
    let triaged = reports.list_reports(Some(ReportStatus::Triaged), page(None, 10)).await.unwrap();
    assert_eq!(triaged.items.iter().map(|r| r.reference).collect::<Vec<_>>(), [inserted[2]]);
    let exact = reports.list_reports(None, page(None, 7)).await.unwrap();
    assert_eq!((exact.items.len(), exact.next_cursor), (7, None), "a full last page has no next page");
    assert!(matches!(
        reports.list_reports(None, page(Some("garbage".into()), 3)).await,
        Err(StoreError::InvalidCursor)
    ));
}

pub async fn concurrent_writers_neither_collide_nor_lose_anything(
    reports: Arc<dyn ReportStore>,
    incidents: Arc<dyn IncidentStore>,
) {
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50u8 {
        let reports = reports.clone();
        tasks.spawn(async move {
            let text = format!("Concurrent report {n} arriving at once");
            reports.insert_report(draft(&text, at(8, 9) + Duration::seconds(i64::from(n)), n, vec![])).await.unwrap()
        });
    }
    let references: HashSet<_> = tasks.join_all().await.into_iter().collect();
    assert_eq!(references.len(), 50);
    assert_eq!(reports.list_reports(None, page(None, 100)).await.unwrap().items.len(), 50);

    // Two team members open an incident from the same report at the same moment: one wins.
    let contested = *references.iter().next().unwrap();
    let (a, b) = tokio::join!(
        open_incident(&incidents, "From member A", at(9, 0), Some(contested)),
        open_incident(&incidents, "From member B", at(9, 0), Some(contested)),
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "exactly one wins");
    assert!(matches!(if a.is_ok() { b } else { a }, Err(StoreError::Conflict(_))));
    assert_eq!(incidents.list_incidents(page(None, 10)).await.unwrap().items.len(), 1);
}

/// A message makes one report: the same message again, as a report or as a follow-up, changes
/// nothing. Refused messages are recorded once; the newest are listed first; a receipt's id
/// finds its report.
pub async fn each_email_is_taken_in_once_and_replies_find_their_report(reports: Arc<dyn ReportStore>) {
    let first =
        ReportDraft { email: Some(arrival("m1@mail.example.com")), ..draft("Logins from Brazil", at(6, 9), 1, vec![]) };
    let reference = reports.insert_report(first).await.unwrap();
    let again = ReportDraft {
        email: Some(arrival("m1@mail.example.com")),
        ..draft("Logins from Brazil", at(6, 9), 2, vec![attachment(1)])
    };
    assert!(matches!(reports.insert_report(again).await, Err(StoreError::Conflict(_))));
    let detail = reports.report(reference).await.unwrap().unwrap();
    assert_eq!(detail.email, Some(arrival("m1@mail.example.com").intake));
    let recorded = reports.inbound("m1@mail.example.com").await.unwrap().expect("recorded with the report");
    assert_eq!((recorded.outcome, recorded.size_bytes), (InboundOutcome::Report { reference }, 2048));

    let reply = |key: &str| FollowUpDraft {
        message: Some("It happened again".into()),
        received_at: at(6, 10),
        attachments: vec![],
        email: Some(arrival(key)),
    };
    reports.add_follow_up(reference, reply("m2@mail.example.com")).await.unwrap();
    assert!(matches!(
        reports.add_follow_up(reference, reply("m2@mail.example.com")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        reports.add_follow_up(reference, reply("m1@mail.example.com")).await,
        Err(StoreError::Conflict(_))
    ));
    let detail = reports.report(reference).await.unwrap().unwrap();
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
    assert!(reports.record_inbound(refused.clone()).await.unwrap());
    assert!(!reports.record_inbound(refused.clone()).await.unwrap(), "recorded once");
    let listed: Vec<String> = reports.list_inbound(10).await.unwrap().into_iter().map(|m| m.message_key).collect();
    assert_eq!(listed, ["sha256:00ff", "m2@mail.example.com", "m1@mail.example.com"]);
    assert_eq!(reports.list_inbound(1).await.unwrap(), [refused]);

    assert_eq!(reports.report_by_receipt_id("0100abc").await.unwrap(), None);
    reports.set_receipt_id(reference, "0100abc").await.unwrap();
    assert_eq!(reports.report_by_receipt_id("0100abc").await.unwrap(), Some(reference));
    let missing = Reference::new(ReferenceKind::Report, 2026, 999);
    assert!(matches!(reports.set_receipt_id(missing, "x").await, Err(StoreError::NotFound)));
}
