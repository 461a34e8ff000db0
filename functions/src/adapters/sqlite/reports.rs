//! Reports, their follow-ups and attachments' metadata, the inbound mail log and receipts, and
//! dismissal at triage.

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use shared::api::{AttachmentSummary, FollowUp, Page, ReportDetail, ReportSummary};
use shared::attachment::AttachmentKind;
use shared::inbound::{EmailIntake, InboundMessage, InboundOutcome};
use shared::reference::{Reference, ReferenceKind};
use shared::report::ReportStatus;

use super::audit::append_audit;
use super::codec::{
    SUMMARY_COLUMNS, conversion_error, optional, paginate, parse_cursor, parse_enum, parse_reference, parse_time,
    report_summary_from_row, timestamp,
};
use super::store::{SqliteStore, next_number};
use crate::ports::{
    EmailArrival, FollowUpDraft, PageRequest, ReportDismissal, ReportDraft, ReportStore, StoreError, StoreResult,
    StoredAttachment,
};

/// Records the message a report or follow-up came in, in the write that stores it; a message
/// recorded already makes the whole write fail, changing nothing.
fn record_arrival(
    tx: &Connection,
    arrival: &EmailArrival,
    received_at: DateTime<Utc>,
    outcome: InboundOutcome,
) -> StoreResult<String> {
    let intake = &arrival.intake;
    if !insert_inbound(tx, &arrival.record(received_at, outcome))? {
        return Err(StoreError::Conflict(format!("message {} was taken in already", intake.message_key)));
    }
    Ok(serde_json::to_string(intake).context("encoding the email intake")?)
}

fn insert_inbound(conn: &Connection, message: &InboundMessage) -> StoreResult<bool> {
    let body = serde_json::to_string(message).context("encoding an inbound message")?;
    let inserted = conn.execute(
        "INSERT INTO inbound_messages (message_key, body) VALUES (?1, ?2) ON CONFLICT (message_key) DO NOTHING",
        params![message.message_key, body],
    )?;
    Ok(inserted == 1)
}

fn email_intake(row: &Row<'_>) -> rusqlite::Result<Option<EmailIntake>> {
    row.get::<_, Option<String>>("email_intake")?
        .map(|json| serde_json::from_str(&json).map_err(|e| conversion_error(format!("email intake: {e}"))))
        .transpose()
}

fn insert_attachments(
    tx: &Connection,
    report_seq: i64,
    follow_up_seq: Option<i64>,
    attachments: &[StoredAttachment],
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO attachments (id, report_seq, follow_up_seq, file_name, kind, size_bytes, sha256, storage_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for a in attachments {
        insert.execute(params![
            a.id,
            report_seq,
            follow_up_seq,
            a.file_name,
            a.kind.as_str(),
            a.size_bytes as i64,
            a.sha256,
            a.storage_key
        ])?;
    }
    Ok(())
}

fn attachment_from_row(row: &Row<'_>) -> rusqlite::Result<StoredAttachment> {
    let kind: String = row.get("kind")?;
    Ok(StoredAttachment {
        id: row.get("id")?,
        file_name: row.get("file_name")?,
        kind: AttachmentKind::from_name(&kind)
            .ok_or_else(|| conversion_error(format!("unknown attachment kind {kind}")))?,
        size_bytes: row.get::<_, i64>("size_bytes")?.unsigned_abs(),
        sha256: row.get("sha256")?,
        storage_key: row.get("storage_key")?,
    })
}

fn attachments_of(
    conn: &Connection,
    report_seq: i64,
    follow_up_seq: Option<i64>,
) -> rusqlite::Result<Vec<AttachmentSummary>> {
    let mut query =
        conn.prepare_cached("SELECT * FROM attachments WHERE report_seq = ?1 AND follow_up_seq IS ?2 ORDER BY rowid")?;
    query
        .query_map(params![report_seq, follow_up_seq], |row| attachment_from_row(row).map(AttachmentSummary::from))?
        .collect()
}

#[async_trait]
impl ReportStore for SqliteStore {
    async fn insert_report(&self, draft: ReportDraft) -> StoreResult<Reference> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let year = draft.received_at.year();
            let reference = Reference::new(ReferenceKind::Report, year, next_number(&tx, ReferenceKind::Report, year)?);
            let r = &draft.report;
            let email = draft
                .email
                .as_ref()
                .map(|arrival| record_arrival(&tx, arrival, draft.received_at, InboundOutcome::Report { reference }))
                .transpose()?;
            // Cached: preparing the statement cost as much as running it.
            tx.prepare_cached(
                "INSERT INTO reports (reference, status, reporter_kind, reporter_name, reporter_email, description,
                    steps_to_reproduce, observed_at, affected_system, received_at, follow_up_token_hash, email_intake)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                reference.to_string(),
                ReportStatus::Received.as_str(),
                r.reporter_kind.as_str(),
                r.name,
                r.email,
                r.description,
                r.steps_to_reproduce,
                r.observed_at.map(timestamp),
                r.affected_system,
                timestamp(draft.received_at),
                draft.follow_up_token_hash.as_slice(),
                email,
            ])?;
            insert_attachments(&tx, tx.last_insert_rowid(), None, &draft.attachments)?;
            tx.commit()?;
            Ok(reference)
        })
        .await
    }

    async fn report(&self, reference: Reference) -> StoreResult<Option<ReportDetail>> {
        self.read(move |conn| {
            let found = conn
                .query_row(
                    "SELECT r.*, i.reference AS incident_reference FROM reports r
                     LEFT JOIN incidents i ON i.seq = r.incident_seq WHERE r.reference = ?1",
                    [reference.to_string()],
                    |row| {
                        Ok((
                            row.get::<_, i64>("seq")?,
                            ReportDetail {
                                reference,
                                status: parse_enum(&row.get::<_, String>("status")?)?,
                                reporter_kind: parse_enum(&row.get::<_, String>("reporter_kind")?)?,
                                reporter_name: row.get("reporter_name")?,
                                reporter_email: row.get("reporter_email")?,
                                description: row.get("description")?,
                                steps_to_reproduce: row.get("steps_to_reproduce")?,
                                observed_at: optional(row, "observed_at", parse_time)?,
                                affected_system: row.get("affected_system")?,
                                received_at: parse_time(&row.get::<_, String>("received_at")?)?,
                                attachments: Vec::new(),
                                follow_ups: Vec::new(),
                                incident: optional(row, "incident_reference", parse_reference)?,
                                dismissal_reason: row.get("dismissal_reason")?,
                                email: email_intake(row)?,
                            },
                        ))
                    },
                )
                .optional()?;
            let Some((seq, mut detail)) = found else { return Ok(None) };
            detail.attachments = attachments_of(conn, seq, None)?;
            let mut follow_ups = conn.prepare_cached(
                "SELECT seq, message, received_at, email_intake FROM follow_ups WHERE report_seq = ?1 ORDER BY seq",
            )?;
            let rows = follow_ups
                .query_map([seq], |row| {
                    Ok((
                        row.get::<_, i64>("seq")?,
                        row.get::<_, Option<String>>("message")?,
                        parse_time(&row.get::<_, String>("received_at")?)?,
                        email_intake(row)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (follow_up_seq, message, received_at, email) in rows {
                let attachments = attachments_of(conn, seq, Some(follow_up_seq))?;
                detail.follow_ups.push(FollowUp { message, received_at, attachments, email });
            }
            Ok(Some(detail))
        })
        .await
    }

    async fn report_reference_by_token(&self, token_hash: [u8; 32]) -> StoreResult<Option<Reference>> {
        self.read(move |conn| {
            let found: Option<String> = conn
                .query_row(
                    "SELECT reference FROM reports WHERE follow_up_token_hash = ?1",
                    [token_hash.as_slice()],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(found.as_deref().map(parse_reference).transpose()?)
        })
        .await
    }

    async fn add_follow_up(&self, report: Reference, follow_up: FollowUpDraft) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let report_seq: i64 = tx
                .query_row("SELECT seq FROM reports WHERE reference = ?1", [report.to_string()], |row| row.get(0))
                .optional()?
                .ok_or(StoreError::NotFound)?;
            let email = follow_up
                .email
                .as_ref()
                .map(|arrival| {
                    record_arrival(&tx, arrival, follow_up.received_at, InboundOutcome::FollowUp { reference: report })
                })
                .transpose()?;
            tx.execute(
                "INSERT INTO follow_ups (report_seq, message, received_at, email_intake) VALUES (?1, ?2, ?3, ?4)",
                params![report_seq, follow_up.message, timestamp(follow_up.received_at), email],
            )?;
            insert_attachments(&tx, report_seq, Some(tx.last_insert_rowid()), &follow_up.attachments)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn list_reports(&self, status: Option<ReportStatus>, page: PageRequest) -> StoreResult<Page<ReportSummary>> {
        let before = parse_cursor(page.cursor.as_deref())?;
        self.read(move |conn| {
            let status_filter = if status.is_some() { "r.status = ?3 AND" } else { "?3 IS NULL AND" };
            let mut query = conn.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM reports r LEFT JOIN incidents i ON i.seq = r.incident_seq
                 WHERE {status_filter} r.seq < ?1 ORDER BY r.seq DESC LIMIT ?2"
            ))?;
            let rows = query
                .query_map(params![before, page.limit + 1, status.map(ReportStatus::as_str)], |row| {
                    Ok((row.get::<_, i64>("seq")?, report_summary_from_row(row)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(paginate(rows, page.limit))
        })
        .await
    }

    async fn commit_dismissal(&self, dismissal: ReportDismissal) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let report = dismissal.report;
            append_audit(&tx, report, &dismissal.chain)?;
            let dismissed = tx.execute(
                "UPDATE reports SET status = ?2, dismissal_reason = ?3
                 WHERE reference = ?1 AND status = ?4 AND incident_seq IS NULL",
                params![
                    report.to_string(),
                    ReportStatus::Dismissed.as_str(),
                    dismissal.reason,
                    ReportStatus::Received.as_str()
                ],
            )?;
            if dismissed == 0 {
                return Err(StoreError::Conflict(format!("{report} was triaged by someone else meanwhile")));
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn attachment(&self, id: &str) -> StoreResult<Option<(Option<Reference>, StoredAttachment)>> {
        let id = id.to_owned();
        self.read(move |conn| {
            let found = conn
                .query_row(
                    "SELECT a.*, r.reference AS report_reference
                     FROM attachments a JOIN reports r ON r.seq = a.report_seq WHERE a.id = ?1",
                    [id],
                    |row| {
                        Ok((
                            Some(parse_reference(&row.get::<_, String>("report_reference")?)?),
                            attachment_from_row(row)?,
                        ))
                    },
                )
                .optional()?;
            Ok(found)
        })
        .await
    }

    async fn record_inbound(&self, message: InboundMessage) -> StoreResult<bool> {
        self.write(move |conn| insert_inbound(conn, &message)).await
    }

    async fn inbound(&self, message_key: &str) -> StoreResult<Option<InboundMessage>> {
        let message_key = message_key.to_owned();
        self.read(move |conn| {
            let body: Option<String> = conn
                .query_row("SELECT body FROM inbound_messages WHERE message_key = ?1", [message_key], |row| row.get(0))
                .optional()?;
            Ok(body.map(|json| serde_json::from_str(&json).context("reading an inbound message")).transpose()?)
        })
        .await
    }

    async fn list_inbound(&self, limit: u32) -> StoreResult<Vec<InboundMessage>> {
        self.read(move |conn| {
            let mut query = conn.prepare_cached("SELECT body FROM inbound_messages ORDER BY seq DESC LIMIT ?1")?;
            let bodies =
                query.query_map([limit], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(bodies
                .iter()
                .map(|json| serde_json::from_str(json).context("reading an inbound message"))
                .collect::<anyhow::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn set_receipt_id(&self, report: Reference, message_id: &str) -> StoreResult<()> {
        let message_id = message_id.to_owned();
        self.write(move |conn| {
            let updated = conn.execute(
                "UPDATE reports SET receipt_id = ?2 WHERE reference = ?1",
                params![report.to_string(), message_id],
            )?;
            if updated == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn report_by_receipt_id(&self, message_id: &str) -> StoreResult<Option<Reference>> {
        let message_id = message_id.to_owned();
        self.read(move |conn| {
            let found: Option<String> = conn
                .query_row("SELECT reference FROM reports WHERE receipt_id = ?1", [message_id], |row| row.get(0))
                .optional()?;
            Ok(found.as_deref().map(parse_reference).transpose()?)
        })
        .await
    }
}
