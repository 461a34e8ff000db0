//! What the cases share: fixed times, report drafts and files, and incidents committed the way
//! the service commits them.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use functions::ports::{
    AlertKeyWrite, ChainAppend, EmailArrival, IncidentCommit, IncidentStore, PageRequest, ReportDraft, StoreError,
    StoredAttachment,
};
use shared::api::ReportForm;
use shared::attachment::AttachmentKind;
use shared::audit::{AuditEvent, ChainHead};
use shared::inbound::{AuthVerdict, EmailAuthentication, EmailIntake, RefusedFile};
use shared::record::{IncidentEvent, IncidentRecord, Origin};
use shared::reference::{Reference, ReferenceKind};
use shared::report::NewReport;

pub fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

pub fn attachment(n: u32) -> StoredAttachment {
    StoredAttachment {
        id: format!("00000000-0000-7000-8000-{n:012}"),
        file_name: format!("evidence-{n}.png"),
        kind: AttachmentKind::Png,
        size_bytes: 1000 + u64::from(n),
        sha256: format!("{n:064x}"),
        storage_key: format!("key-{n}"),
    }
}

pub fn draft(
    description: &str,
    received_at: DateTime<Utc>,
    token: u8,
    attachments: Vec<StoredAttachment>,
) -> ReportDraft {
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

pub fn page(cursor: Option<String>, limit: u32) -> PageRequest {
    PageRequest { cursor, limit }
}

/// Commits `events` onto the incident as the service does: sealed on `previous`, applied to `record`.
pub async fn commit(
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
    let chain =
        ChainAppend::seal(previous, record.reference, when, "tester", events.into_iter().map(AuditEvent::Incident));
    let head = chain.head.clone();
    store
        .commit_incident(IncidentCommit {
            record,
            chain,
            link_report,
            alert_key,
            obligations: Vec::new(),
            campaign: None,
        })
        .await?;
    Ok(head)
}

/// A new incident with its opening entry, linked to `report` if given.
pub async fn open_incident(
    store: &Arc<dyn IncidentStore>,
    title: &str,
    when: DateTime<Utc>,
    report: Option<Reference>,
) -> Result<Reference, StoreError> {
    let reference = store.next_reference(ReferenceKind::Incident, 2026).await?;
    let origin = report.map_or(Origin::Declared, |report| Origin::Report { report });
    let opened = IncidentEvent::Opened { title: title.to_owned(), origin, detected_at: None, by_account: None };
    let record = IncidentRecord::open(reference, &opened, when, "tester").unwrap();
    let mut events = vec![opened];
    events.extend(report.map(|report| IncidentEvent::ReportLinked { report, received_at: None, observed_at: None }));
    commit(store, record, None, events, when, report, None).await?;
    Ok(reference)
}

pub fn note(text: &str) -> IncidentEvent {
    IncidentEvent::NoteAdded { markdown: text.to_owned() }
}

pub fn arrival(message_key: &str) -> EmailArrival {
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
