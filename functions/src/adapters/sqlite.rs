//! The embedded store: SQLite in WAL mode, one writer connection and one reader, migrations at open.
//!
//! rusqlite is blocking. Writes run in turn on one thread that owns the writer connection and
//! commits those that wait together as one transaction ([`writer`]; SQLite allows one writer
//! anyway, so there are no SQLITE_BUSY retries). Each write makes its changes in a savepoint.
//! Reads run on tokio's blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

mod accounts;
mod notices;
mod writer;

use writer::Writer;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use rusqlite_migration::{M, Migrations};
use shared::api::{AttachmentSummary, FollowUp, IncidentSummary, Page, ReportDetail, ReportSummary};
use shared::attachment::AttachmentKind;
use shared::audit::{AuditEntry, ChainHead};
use shared::inbound::{EmailIntake, InboundMessage, InboundOutcome};
use shared::policy::PolicyRegister;
use shared::record::IncidentRecord;
use shared::reference::{Reference, ReferenceKind};
use shared::report::{ReportStatus, ReporterKind, headline};

use crate::ports::{
    AlertKey, Deliveries, EmailArrival, FollowUpDraft, IncidentCommit, IncidentStore, ObligationRow, ObligationState,
    ObligationWrite, PageRequest, RegisterCommit, ReportDismissal, ReportDraft, ScheduledObligation, StoreError,
    StoredAttachment, board_key,
};

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_intake.sql")),
    M::up(include_str!("../../migrations/0002_workflow.sql")),
    M::up(include_str!("../../migrations/0003_deadlines.sql")),
    M::up(include_str!("../../migrations/0004_policy_register.sql")),
    M::up(include_str!("../../migrations/0005_accounts.sql")),
    M::up(include_str!("../../migrations/0006_notices.sql")),
    M::up(include_str!("../../migrations/0007_email_intake.sql")),
];

#[derive(Clone)]
pub struct SqliteStore {
    writer: Writer,
    reader: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let mut writer =
            Connection::open(path).with_context(|| format!("opening SQLite database {}", path.display()))?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        configure(&writer)?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut writer).context("migrating the SQLite schema")?;
        let reader =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        configure(&reader)?;
        let writer = Writer::start(path, writer)?;
        Ok(Self { writer, reader: Arc::new(Mutex::new(reader)) })
    }

    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.writer.run(work).await
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || work(&reader.lock().unwrap_or_else(PoisonError::into_inner)))
            .await
            .context("the SQLite task panicked")?
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Unexpected(anyhow::Error::new(error).context("SQLite"))
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn conversion_error(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, message.into())
}

/// Records the message a report or follow-up came in, in the write that stores it; a message
/// recorded already makes the whole write fail, changing nothing.
fn record_arrival(
    tx: &Connection,
    arrival: &EmailArrival,
    received_at: DateTime<Utc>,
    outcome: InboundOutcome,
) -> Result<String, StoreError> {
    let intake = &arrival.intake;
    if !insert_inbound(tx, &arrival.record(received_at, outcome))? {
        return Err(StoreError::Conflict(format!("message {} was taken in already", intake.message_key)));
    }
    Ok(serde_json::to_string(intake).context("encoding the email intake")?)
}

fn insert_inbound(conn: &Connection, message: &InboundMessage) -> Result<bool, StoreError> {
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

fn parse_reference(text: &str) -> rusqlite::Result<Reference> {
    text.parse().map_err(|e: shared::reference::InvalidReference| conversion_error(e.to_string()))
}

fn parse_enum<T: std::str::FromStr<Err = String>>(text: &str) -> rusqlite::Result<T> {
    text.parse().map_err(conversion_error)
}

/// Rewrites an obligation's row, keeping its delivery log.
fn write_obligation(tx: &Connection, write: &ObligationWrite) -> Result<(), StoreError> {
    let row = &write.row;
    let json = serde_json::to_string(row).context("encoding an obligation row")?;
    tx.execute(
        "INSERT INTO obligations (subject, id, state, board_key, next_check_at, row) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (subject, id) DO UPDATE SET state = excluded.state, board_key = excluded.board_key,
           next_check_at = excluded.next_check_at, row = excluded.row, version = version + 1",
        params![
            row.subject.to_string(),
            row.obligation.id,
            row.state().as_str(),
            board_key(row),
            write.check_at.map(timestamp),
            json
        ],
    )?;
    Ok(())
}

const SCHEDULED_COLUMNS: &str = "row, deliveries, version, next_check_at, board_key";

fn scheduled_from_row(row: &Row<'_>) -> rusqlite::Result<ScheduledObligation> {
    let obligation: ObligationRow = serde_json::from_str(&row.get::<_, String>("row")?)
        .map_err(|e| conversion_error(format!("obligation row: {e}")))?;
    let deliveries: Deliveries = serde_json::from_str(&row.get::<_, String>("deliveries")?)
        .map_err(|e| conversion_error(format!("obligation deliveries: {e}")))?;
    Ok(ScheduledObligation {
        row: obligation,
        deliveries,
        version: row.get::<_, i64>("version")?.unsigned_abs(),
        next_check_at: row.get::<_, Option<String>>("next_check_at")?.as_deref().map(parse_time).transpose()?,
    })
}

/// The next number of this year's sequence, inside the caller's transaction.
fn next_number(tx: &Connection, name: &str, year: i32) -> rusqlite::Result<u32> {
    tx.prepare_cached(
        "INSERT INTO sequences (name, year, last) VALUES (?1, ?2, 1)
         ON CONFLICT (name, year) DO UPDATE SET last = last + 1 RETURNING last",
    )?
    .query_row(params![name, year], |row| row.get(0))
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

const SUMMARY_COLUMNS: &str =
    "r.seq, r.reference, r.status, r.reporter_kind, r.reporter_name, r.description, r.received_at,
     (SELECT COUNT(*) FROM attachments a WHERE a.report_seq = r.seq) AS attachment_count,
     i.reference AS incident_reference";

fn report_summary_from_row(row: &Row<'_>) -> rusqlite::Result<ReportSummary> {
    let description: String = row.get("description")?;
    Ok(ReportSummary {
        reference: parse_reference(&row.get::<_, String>("reference")?)?,
        status: parse_enum::<ReportStatus>(&row.get::<_, String>("status")?)?,
        reporter_kind: parse_enum::<ReporterKind>(&row.get::<_, String>("reporter_kind")?)?,
        reporter_name: row.get("reporter_name")?,
        headline: headline(&description),
        received_at: parse_time(&row.get::<_, String>("received_at")?)?,
        attachment_count: row.get("attachment_count")?,
        incident: row.get::<_, Option<String>>("incident_reference")?.as_deref().map(parse_reference).transpose()?,
    })
}

/// Cursors are the `seq` of the last row served, so a page is `seq < cursor`, newest first.
fn parse_cursor(cursor: Option<&str>) -> Result<i64, StoreError> {
    cursor.map_or(Ok(i64::MAX), |c| c.parse::<i64>().map_err(|_| StoreError::InvalidCursor))
}

/// Reads one row more than asked, to know whether another page follows.
fn paginate<T>(mut rows: Vec<(i64, T)>, limit: u32) -> Page<T> {
    let next_cursor = (rows.len() > limit as usize).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|(seq, _)| seq.to_string()).unwrap_or_default()
    });
    Page { items: rows.into_iter().map(|(_, item)| item).collect(), next_cursor }
}

/// The record column, or for incidents opened before the workflow existed, a record rebuilt from
/// their title and opening time.
fn record_from_row(row: &Row<'_>) -> rusqlite::Result<IncidentRecord> {
    if let Some(json) = row.get::<_, Option<String>>("record")? {
        return serde_json::from_str(&json).map_err(|e| conversion_error(format!("incident record: {e}")));
    }
    let reference = parse_reference(&row.get::<_, String>("reference")?)?;
    let opened_at = parse_time(&row.get::<_, String>("opened_at")?)?;
    Ok(IncidentRecord::predating_workflow(reference, row.get("title")?, opened_at))
}

fn read_head(conn: &Connection, subject: Reference) -> rusqlite::Result<Option<ChainHead>> {
    conn.query_row("SELECT seq, hash FROM audit_heads WHERE subject = ?1", [subject.to_string()], |row| {
        Ok(ChainHead { seq: row.get::<_, i64>(0)?.unsigned_abs(), hash: row.get(1)? })
    })
    .optional()
}

fn read_alert_key(conn: &Connection, source: &str, key: &str) -> rusqlite::Result<Option<AlertKey>> {
    conn.query_row("SELECT incident, last_seen FROM alert_keys WHERE source = ?1 AND key = ?2", [source, key], |row| {
        Ok(AlertKey {
            incident: parse_reference(&row.get::<_, String>(0)?)?,
            last_seen: parse_time(&row.get::<_, String>(1)?)?,
        })
    })
    .optional()
}

/// Appends sealed entries if the chain head is still the one they were sealed on.
fn append_audit(
    tx: &Connection,
    subject: Reference,
    previous: Option<&ChainHead>,
    entries: &[AuditEntry],
    head: &ChainHead,
) -> Result<(), StoreError> {
    let genesis = ChainHead::genesis();
    let current = read_head(tx, subject)?;
    if current.as_ref().unwrap_or(&genesis) != previous.unwrap_or(&genesis) {
        return Err(StoreError::Conflict(format!(
            "{subject} was changed by someone else meanwhile; reload and try again"
        )));
    }
    let mut insert =
        tx.prepare_cached("INSERT INTO audit_entries (subject, seq, body, hash) VALUES (?1, ?2, ?3, ?4)")?;
    for entry in entries {
        insert.execute(params![subject.to_string(), entry.seq as i64, entry.body, entry.hash])?;
    }
    tx.execute(
        "INSERT INTO audit_heads (subject, seq, hash) VALUES (?1, ?2, ?3)
         ON CONFLICT (subject) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![subject.to_string(), head.seq as i64, head.hash],
    )?;
    Ok(())
}

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn insert_report(&self, draft: ReportDraft) -> Result<Reference, StoreError> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let year = draft.received_at.year();
            let reference = Reference::new(ReferenceKind::Report, year, next_number(&tx, "report", year)?);
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

    async fn report(&self, reference: Reference) -> Result<Option<ReportDetail>, StoreError> {
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
                                observed_at: row
                                    .get::<_, Option<String>>("observed_at")?
                                    .as_deref()
                                    .map(parse_time)
                                    .transpose()?,
                                affected_system: row.get("affected_system")?,
                                received_at: parse_time(&row.get::<_, String>("received_at")?)?,
                                attachments: Vec::new(),
                                follow_ups: Vec::new(),
                                incident: row
                                    .get::<_, Option<String>>("incident_reference")?
                                    .as_deref()
                                    .map(parse_reference)
                                    .transpose()?,
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

    async fn report_reference_by_token(&self, token_hash: [u8; 32]) -> Result<Option<Reference>, StoreError> {
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

    async fn add_follow_up(&self, report: Reference, follow_up: FollowUpDraft) -> Result<(), StoreError> {
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

    async fn record_inbound(&self, message: InboundMessage) -> Result<bool, StoreError> {
        self.write(move |conn| insert_inbound(conn, &message)).await
    }

    async fn inbound(&self, message_key: &str) -> Result<Option<InboundMessage>, StoreError> {
        let message_key = message_key.to_owned();
        self.read(move |conn| {
            let body: Option<String> = conn
                .query_row("SELECT body FROM inbound_messages WHERE message_key = ?1", [message_key], |row| row.get(0))
                .optional()?;
            Ok(body.map(|json| serde_json::from_str(&json).context("reading an inbound message")).transpose()?)
        })
        .await
    }

    async fn list_inbound(&self, limit: u32) -> Result<Vec<InboundMessage>, StoreError> {
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

    async fn set_receipt_id(&self, report: Reference, message_id: &str) -> Result<(), StoreError> {
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

    async fn report_by_receipt_id(&self, message_id: &str) -> Result<Option<Reference>, StoreError> {
        let message_id = message_id.to_owned();
        self.read(move |conn| {
            let found: Option<String> = conn
                .query_row("SELECT reference FROM reports WHERE receipt_id = ?1", [message_id], |row| row.get(0))
                .optional()?;
            Ok(found.as_deref().map(parse_reference).transpose()?)
        })
        .await
    }

    async fn list_reports(
        &self,
        status: Option<ReportStatus>,
        page: PageRequest,
    ) -> Result<Page<ReportSummary>, StoreError> {
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

    async fn next_reference(&self, kind: ReferenceKind, year: i32) -> Result<Reference, StoreError> {
        let sequence = match kind {
            ReferenceKind::Report => "report",
            ReferenceKind::Incident => "incident",
            ReferenceKind::Policy => "policy",
            ReferenceKind::Security => "security",
        };
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let number = next_number(&tx, sequence, year)?;
            tx.commit()?;
            Ok(Reference::new(kind, year, number))
        })
        .await
    }

    async fn incident(&self, reference: Reference) -> Result<Option<(IncidentRecord, ChainHead)>, StoreError> {
        self.read(move |conn| {
            let found = conn
                .query_row(
                    "SELECT i.reference, i.title, i.opened_at, i.record, h.seq, h.hash FROM incidents i
                     LEFT JOIN audit_heads h ON h.subject = i.reference WHERE i.reference = ?1",
                    [reference.to_string()],
                    |row| {
                        let head = match row.get::<_, Option<i64>>("seq")? {
                            Some(seq) => ChainHead { seq: seq.unsigned_abs(), hash: row.get("hash")? },
                            None => ChainHead::genesis(),
                        };
                        Ok((record_from_row(row)?, head))
                    },
                )
                .optional()?;
            Ok(found)
        })
        .await
    }

    async fn incident_reports(&self, incident: Reference) -> Result<Vec<ReportSummary>, StoreError> {
        self.read(move |conn| {
            let mut query = conn.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM reports r JOIN incidents i ON i.seq = r.incident_seq
                 WHERE i.reference = ?1 ORDER BY r.received_at, r.seq"
            ))?;
            Ok(query.query_map([incident.to_string()], report_summary_from_row)?.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn list_incidents(&self, page: PageRequest) -> Result<Page<IncidentSummary>, StoreError> {
        let before = parse_cursor(page.cursor.as_deref())?;
        self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT seq, reference, title, opened_at, record,
                    (SELECT COUNT(*) FROM reports r WHERE r.incident_seq = incidents.seq) AS report_count
                 FROM incidents WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
            )?;
            let rows = query
                .query_map(params![before, page.limit + 1], |row| {
                    Ok((
                        row.get::<_, i64>("seq")?,
                        IncidentSummary::of(&record_from_row(row)?, row.get("report_count")?),
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(paginate(rows, page.limit))
        })
        .await
    }

    async fn commit_incident(&self, commit: IncidentCommit) -> Result<(), StoreError> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let reference = commit.record.reference;
            append_audit(&tx, reference, commit.previous.as_ref(), &commit.entries, &commit.head)?;
            let record = serde_json::to_string(&commit.record).context("encoding the incident record")?;
            if commit.previous.is_none() {
                tx.execute(
                    "INSERT INTO incidents (reference, title, opened_at, record) VALUES (?1, ?2, ?3, ?4)",
                    params![reference.to_string(), commit.record.title, timestamp(commit.record.opened_at), record],
                )?;
            } else if tx.execute(
                "UPDATE incidents SET title = ?2, record = ?3 WHERE reference = ?1",
                params![reference.to_string(), commit.record.title, record],
            )? == 0
            {
                return Err(StoreError::NotFound);
            }
            if let Some(report) = commit.link_report {
                let linked = tx.execute(
                    "UPDATE reports SET status = ?3, incident_seq = (SELECT seq FROM incidents WHERE reference = ?2)
                     WHERE reference = ?1 AND status = ?4 AND incident_seq IS NULL",
                    params![
                        report.to_string(),
                        reference.to_string(),
                        ReportStatus::Triaged.as_str(),
                        ReportStatus::Received.as_str()
                    ],
                )?;
                if linked == 0 {
                    return Err(StoreError::Conflict(format!("{report} was triaged by someone else meanwhile")));
                }
            }
            for write in &commit.obligations {
                write_obligation(&tx, write)?;
            }
            if let Some(campaign) = &commit.campaign {
                notices::write_campaign(&tx, campaign)?;
            }
            if let Some(alert) = commit.alert_key {
                let current = read_alert_key(&tx, &alert.source, &alert.key)?;
                if current != alert.previous {
                    return Err(StoreError::Conflict("another alert with this key arrived meanwhile".to_owned()));
                }
                tx.execute(
                    "INSERT INTO alert_keys (source, key, incident, last_seen) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (source, key) DO UPDATE SET incident = excluded.incident, last_seen = excluded.last_seen",
                    params![alert.source, alert.key, reference.to_string(), timestamp(alert.last_seen)],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn commit_dismissal(&self, dismissal: ReportDismissal) -> Result<(), StoreError> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let report = dismissal.report;
            append_audit(&tx, report, dismissal.previous.as_ref(), &dismissal.entries, &dismissal.head)?;
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

    async fn append_audit(
        &self,
        subject: Reference,
        previous: Option<ChainHead>,
        entries: Vec<AuditEntry>,
        head: ChainHead,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            append_audit(&tx, subject, previous.as_ref(), &entries, &head)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn audit_head(&self, subject: Reference) -> Result<Option<ChainHead>, StoreError> {
        self.read(move |conn| Ok(read_head(conn, subject)?)).await
    }

    async fn audit_entries(
        &self,
        subject: Reference,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT seq, body, hash FROM audit_entries WHERE subject = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let entries = query
                .query_map(params![subject.to_string(), after_seq as i64, limit], |row| {
                    Ok(AuditEntry { seq: row.get::<_, i64>(0)?.unsigned_abs(), body: row.get(1)?, hash: row.get(2)? })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(entries)
        })
        .await
    }

    async fn alert_key(&self, source: &str, key: &str) -> Result<Option<AlertKey>, StoreError> {
        let (source, key) = (source.to_owned(), key.to_owned());
        self.read(move |conn| Ok(read_alert_key(conn, &source, &key)?)).await
    }

    async fn attachment(&self, id: &str) -> Result<Option<StoredAttachment>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            Ok(conn.query_row("SELECT * FROM attachments WHERE id = ?1", [id], attachment_from_row).optional()?)
        })
        .await
    }

    async fn due_obligations(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ScheduledObligation>, StoreError> {
        self.read(move |conn| {
            let mut query = conn.prepare_cached(&format!(
                "SELECT {SCHEDULED_COLUMNS} FROM obligations
                 WHERE next_check_at IS NOT NULL AND next_check_at <= ?1 ORDER BY next_check_at LIMIT ?2"
            ))?;
            let rows = query.query_map(params![timestamp(now), limit], scheduled_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn update_delivery(
        &self,
        subject: Reference,
        obligation: &str,
        expected_version: u64,
        deliveries: &Deliveries,
        next_check_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let obligation = obligation.to_owned();
        let deliveries = serde_json::to_string(deliveries).context("encoding deliveries")?;
        self.write(move |conn| {
            let changed = conn.execute(
                "UPDATE obligations SET deliveries = ?4, next_check_at = ?5, version = version + 1
                 WHERE subject = ?1 AND id = ?2 AND version = ?3",
                params![
                    subject.to_string(),
                    obligation,
                    expected_version as i64,
                    deliveries,
                    next_check_at.map(timestamp)
                ],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn scheduled_obligation(
        &self,
        subject: Reference,
        obligation: &str,
    ) -> Result<Option<ScheduledObligation>, StoreError> {
        let obligation = obligation.to_owned();
        self.read(move |conn| {
            let mut query = conn.prepare_cached(&format!(
                "SELECT {SCHEDULED_COLUMNS} FROM obligations WHERE subject = ?1 AND id = ?2"
            ))?;
            Ok(query.query_row(params![subject.to_string(), obligation], scheduled_from_row).optional()?)
        })
        .await
    }

    async fn obligations_by_state(
        &self,
        state: ObligationState,
        page: PageRequest,
    ) -> Result<Page<ScheduledObligation>, StoreError> {
        self.read(move |conn| {
            let (comparison, order, start) =
                if state == ObligationState::Open { (">", "ASC", "") } else { ("<", "DESC", "\u{10FFFF}") };
            let after = page.cursor.clone().unwrap_or_else(|| start.to_owned());
            let mut query = conn.prepare_cached(&format!(
                "SELECT {SCHEDULED_COLUMNS} FROM obligations WHERE state = ?1 AND board_key {comparison} ?2
                 ORDER BY board_key {order} LIMIT ?3"
            ))?;
            let mut items = query
                .query_map(params![state.as_str(), after, page.limit + 1], scheduled_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let next_cursor = (items.len() > page.limit as usize).then(|| {
                items.truncate(page.limit as usize);
                items.last().map(|i| board_key(&i.row)).unwrap_or_default()
            });
            Ok(Page { items, next_cursor })
        })
        .await
    }

    async fn policy_register(&self) -> Result<Option<(PolicyRegister, ChainHead)>, StoreError> {
        self.read(move |conn| {
            let found = conn
                .query_row(
                    "SELECT p.record, h.seq, h.hash FROM policy_register p
                     LEFT JOIN audit_heads h ON h.subject = p.reference WHERE p.singleton = 1",
                    [],
                    |row| {
                        let register: PolicyRegister = serde_json::from_str(&row.get::<_, String>("record")?)
                            .map_err(|e| conversion_error(format!("policy register: {e}")))?;
                        let head = match row.get::<_, Option<i64>>("seq")? {
                            Some(seq) => ChainHead { seq: seq.unsigned_abs(), hash: row.get("hash")? },
                            None => ChainHead::genesis(),
                        };
                        Ok((register, head))
                    },
                )
                .optional()?;
            Ok(found)
        })
        .await
    }

    async fn commit_policy_register(&self, commit: RegisterCommit) -> Result<(), StoreError> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let reference = commit.register.reference;
            append_audit(&tx, reference, commit.previous.as_ref(), &commit.entries, &commit.head)?;
            let record = serde_json::to_string(&commit.register).context("encoding the policy register")?;
            let written = if commit.previous.is_none() {
                tx.execute(
                    "INSERT INTO policy_register (singleton, reference, record) VALUES (1, ?1, ?2)
                     ON CONFLICT (singleton) DO NOTHING",
                    params![reference.to_string(), record],
                )?
            } else {
                tx.execute(
                    "UPDATE policy_register SET record = ?2 WHERE singleton = 1 AND reference = ?1",
                    params![reference.to_string(), record],
                )?
            };
            if written == 0 {
                return Err(StoreError::Conflict("the policy register was changed by someone else meanwhile".into()));
            }
            for write in &commit.obligations {
                write_obligation(&tx, write)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
