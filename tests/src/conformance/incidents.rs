//! [`IncidentStore`]: incidents opened once, reports linked (and dismissed through
//! [`ReportStore`]), alert keys that move only from what was read.

use std::sync::Arc;

use functions::ports::{
    AlertKey, AlertKeyWrite, AuditStore, ChainAppend, IncidentStore, ReportDismissal, ReportStore, StoreError,
};
use shared::audit::{AuditEvent, ChainHead, ReportEvent, verify};
use shared::record::{IncidentEvent, IncidentRecord, Origin};
use shared::reference::{Reference, ReferenceKind};
use shared::report::ReportStatus;

use super::fixtures::{at, attachment, commit, draft, open_incident, page};

pub async fn opens_incidents_from_reports_once(incidents: Arc<dyn IncidentStore>, reports: Arc<dyn ReportStore>) {
    let report = reports
        .insert_report(draft("Credential stuffing against login", at(7, 9), 1, vec![attachment(1)]))
        .await
        .unwrap();
    let incident = open_incident(&incidents, "Credential stuffing", at(7, 10), Some(report)).await.unwrap();
    assert_eq!(incident.to_string(), "INC-2026-000001");
    let (record, head) = incidents.incident(incident).await.unwrap().unwrap();
    assert_eq!((record.title.as_str(), record.opened_at), ("Credential stuffing", at(7, 10)));
    assert_eq!(head.seq, 2, "opened and linked");
    let linked = incidents.incident_reports(incident).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!((linked[0].attachment_count, linked[0].incident), (1, Some(incident)));
    let report_detail = reports.report(report).await.unwrap().unwrap();
    assert_eq!((report_detail.status, report_detail.incident), (ReportStatus::Triaged, Some(incident)));

    let again = open_incident(&incidents, "Again", at(7, 11), Some(report)).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let listed = incidents.list_incidents(page(None, 10)).await.unwrap();
    assert_eq!(listed.items.len(), 1, "a refused open leaves no incident behind");
    assert_eq!(listed.items[0].report_count, 1);
    assert_eq!(listed.items[0].title, "Credential stuffing");
    assert_eq!(incidents.incident(Reference::new(ReferenceKind::Incident, 2026, 99)).await.unwrap(), None);
}

pub async fn links_several_reports_and_dismisses_others(
    incidents: Arc<dyn IncidentStore>,
    reports: Arc<dyn ReportStore>,
    audit: Arc<dyn AuditStore>,
) {
    let first = reports.insert_report(draft("Login attempts from many IPs", at(10, 8), 1, vec![])).await.unwrap();
    let second = reports.insert_report(draft("Customer locked out of account", at(10, 7), 2, vec![])).await.unwrap();
    let noise = reports.insert_report(draft("The site looks slow today", at(10, 9), 3, vec![])).await.unwrap();
    let incident = open_incident(&incidents, "Credential stuffing", at(10, 10), Some(first)).await.unwrap();
    let (record, head) = incidents.incident(incident).await.unwrap().unwrap();
    let linked = vec![IncidentEvent::ReportLinked { report: second, received_at: None, observed_at: None }];
    commit(&incidents, record, Some(head), linked, at(10, 11), Some(second), None).await.unwrap();
    let linked = incidents.incident_reports(incident).await.unwrap();
    assert_eq!(linked.iter().map(|r| r.reference).collect::<Vec<_>>(), [second, first], "in received order");
    assert_eq!(incidents.list_incidents(page(None, 10)).await.unwrap().items[0].report_count, 2);

    let reason = "A known slowdown during the deploy, not a security matter";
    let event = AuditEvent::Report(ReportEvent::Dismissed { reason: reason.to_owned() });
    let chain = ChainAppend::seal(None, noise, at(10, 12), "tester", [event]);
    let dismissal = ReportDismissal { report: noise, reason: reason.to_owned(), chain };
    reports.commit_dismissal(dismissal.clone()).await.unwrap();
    let detail = reports.report(noise).await.unwrap().unwrap();
    assert_eq!((detail.status, detail.dismissal_reason.as_deref()), (ReportStatus::Dismissed, Some(reason)));
    let dismissed = reports.list_reports(Some(ReportStatus::Dismissed), page(None, 10)).await.unwrap();
    assert_eq!(dismissed.items.iter().map(|r| r.reference).collect::<Vec<_>>(), [noise]);
    assert!(matches!(reports.commit_dismissal(dismissal).await, Err(StoreError::Conflict(_))), "dismissed once");
    assert!(
        matches!(open_incident(&incidents, "Late", at(10, 13), Some(noise)).await, Err(StoreError::Conflict(_))),
        "a dismissed report cannot be linked"
    );
    let verification = verify(
        noise,
        &audit.audit_entries(noise, 0, 10).await.unwrap(),
        audit.audit_head(noise).await.unwrap().as_ref(),
    );
    assert!(verification.is_intact() && verification.entries_checked == 1, "{verification:?}");
}

pub async fn alert_keys_move_only_from_what_was_read(incidents: Arc<dyn IncidentStore>) {
    assert_eq!(incidents.alert_key("grafana", "login-spike").await.unwrap(), None);
    let write = |previous: Option<AlertKey>, when| AlertKeyWrite {
        source: "grafana".into(),
        key: "login-spike".into(),
        previous,
        last_seen: when,
    };
    let reference = incidents.next_reference(ReferenceKind::Incident, 2026).await.unwrap();
    let opened = IncidentEvent::Opened {
        title: "Login spike".into(),
        origin: Origin::Alert { source: "grafana".into() },
        detected_at: None,
        by_account: None,
    };
    let record = IncidentRecord::open(reference, &opened, at(12, 9), "tester").unwrap();
    let head = commit(&incidents, record.clone(), None, vec![opened], at(12, 9), None, Some(write(None, at(12, 9))))
        .await
        .unwrap();
    let seen = incidents.alert_key("grafana", "login-spike").await.unwrap().unwrap();
    assert_eq!(seen, AlertKey { incident: reference, last_seen: at(12, 9) });

    // A second alert that also read "no key" loses: it would otherwise open a duplicate incident.
    let duplicate = open_with_alert(&incidents, write(None, at(12, 10))).await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))), "{duplicate:?}");
    let sighting = vec![IncidentEvent::AlertReceived {
        source: "grafana".into(),
        key: "login-spike".into(),
        summary: "again".into(),
        observed_at: None,
    }];
    commit(&incidents, record, Some(head), sighting, at(12, 11), None, Some(write(Some(seen), at(12, 11))))
        .await
        .unwrap();
    assert_eq!(incidents.alert_key("grafana", "login-spike").await.unwrap().unwrap().last_seen, at(12, 11));
    assert_eq!(incidents.list_incidents(page(None, 10)).await.unwrap().items.len(), 1);
}

async fn open_with_alert(incidents: &Arc<dyn IncidentStore>, alert: AlertKeyWrite) -> Result<ChainHead, StoreError> {
    let reference = incidents.next_reference(ReferenceKind::Incident, 2026).await?;
    let opened = IncidentEvent::Opened {
        title: "Duplicate".into(),
        origin: Origin::Alert { source: "grafana".into() },
        detected_at: None,
        by_account: None,
    };
    let record = IncidentRecord::open(reference, &opened, at(12, 10), "tester").unwrap();
    commit(incidents, record, None, vec![opened], at(12, 10), None, Some(alert)).await
}
