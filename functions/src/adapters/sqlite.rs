//! The embedded store: SQLite in WAL mode, one writer connection and one reader, migrations at open.
//!
//! rusqlite is blocking, so every call runs on tokio's blocking pool. A single writer behind a
//! mutex serialises writes (SQLite allows one writer anyway) without SQLITE_BUSY retries.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, params};
use rusqlite_migration::{M, Migrations};
use shared::api::{AttachmentSummary, FollowUp, IncidentDetail, IncidentSummary, Page, ReportDetail, ReportSummary};
use shared::attachment::AttachmentKind;
use shared::reference::{Reference, ReferenceKind};
use shared::report::{ReportStatus, ReporterKind, headline};

use crate::ports::{FollowUpDraft, IncidentStore, PageRequest, ReportDraft, StoreError, StoredAttachment};

const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("../../migrations/0001_intake.sql"))];

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Connections>,
}

struct Connections {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
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
        Ok(Self { inner: Arc::new(Connections { writer: Mutex::new(writer), reader: Mutex::new(reader) }) })
    }

    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        run_blocking(move || work(&mut inner.writer.lock().unwrap_or_else(PoisonError::into_inner))).await
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        run_blocking(move || work(&inner.reader.lock().unwrap_or_else(PoisonError::into_inner))).await
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.context("the SQLite task panicked")?
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

fn parse_reference(text: &str) -> rusqlite::Result<Reference> {
    text.parse().map_err(|e: shared::reference::InvalidReference| conversion_error(e.to_string()))
}

fn parse_enum<T: std::str::FromStr<Err = String>>(text: &str) -> rusqlite::Result<T> {
    text.parse().map_err(conversion_error)
}

/// The next number of this year's sequence, inside the caller's transaction.
fn next_number(tx: &Transaction<'_>, name: &str, year: i32) -> rusqlite::Result<u32> {
    tx.query_row(
        "INSERT INTO sequences (name, year, last) VALUES (?1, ?2, 1)
         ON CONFLICT (name, year) DO UPDATE SET last = last + 1 RETURNING last",
        params![name, year],
        |row| row.get(0),
    )
}

fn insert_attachments(
    tx: &Transaction<'_>,
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

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn insert_report(&self, draft: ReportDraft) -> Result<Reference, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let year = draft.received_at.year();
            let reference = Reference::new(ReferenceKind::Report, year, next_number(&tx, "report", year)?);
            let r = &draft.report;
            tx.execute(
                "INSERT INTO reports (reference, status, reporter_kind, reporter_name, reporter_email, description,
                    steps_to_reproduce, observed_at, affected_system, received_at, follow_up_token_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
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
                ],
            )?;
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
                            },
                        ))
                    },
                )
                .optional()?;
            let Some((seq, mut detail)) = found else { return Ok(None) };
            detail.attachments = attachments_of(conn, seq, None)?;
            let mut follow_ups = conn.prepare_cached(
                "SELECT seq, message, received_at FROM follow_ups WHERE report_seq = ?1 ORDER BY seq",
            )?;
            let rows = follow_ups
                .query_map([seq], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        parse_time(&row.get::<_, String>(2)?)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (follow_up_seq, message, received_at) in rows {
                let attachments = attachments_of(conn, seq, Some(follow_up_seq))?;
                detail.follow_ups.push(FollowUp { message, received_at, attachments });
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
            let tx = conn.transaction()?;
            let report_seq: i64 = tx
                .query_row("SELECT seq FROM reports WHERE reference = ?1", [report.to_string()], |row| row.get(0))
                .optional()?
                .ok_or(StoreError::NotFound)?;
            tx.execute(
                "INSERT INTO follow_ups (report_seq, message, received_at) VALUES (?1, ?2, ?3)",
                params![report_seq, follow_up.message, timestamp(follow_up.received_at)],
            )?;
            insert_attachments(&tx, report_seq, Some(tx.last_insert_rowid()), &follow_up.attachments)?;
            tx.commit()?;
            Ok(())
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

    async fn open_incident_from_report(
        &self,
        report: Reference,
        title: String,
        opened_at: DateTime<Utc>,
    ) -> Result<Reference, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let (report_seq, linked): (i64, Option<String>) = tx
                .query_row(
                    "SELECT r.seq, i.reference FROM reports r LEFT JOIN incidents i ON i.seq = r.incident_seq
                     WHERE r.reference = ?1",
                    [report.to_string()],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?
                .ok_or(StoreError::NotFound)?;
            if let Some(incident) = linked {
                return Err(StoreError::Conflict(format!("{report} is already linked to incident {incident}")));
            }
            let year = opened_at.year();
            let incident = Reference::new(ReferenceKind::Incident, year, next_number(&tx, "incident", year)?);
            tx.execute(
                "INSERT INTO incidents (reference, title, opened_at) VALUES (?1, ?2, ?3)",
                params![incident.to_string(), title, timestamp(opened_at)],
            )?;
            tx.execute(
                "UPDATE reports SET incident_seq = ?1, status = ?2 WHERE seq = ?3",
                params![tx.last_insert_rowid(), ReportStatus::Triaged.as_str(), report_seq],
            )?;
            tx.commit()?;
            Ok(incident)
        })
        .await
    }

    async fn incident(&self, reference: Reference) -> Result<Option<IncidentDetail>, StoreError> {
        self.read(move |conn| {
            let found = conn
                .query_row(
                    "SELECT seq, title, opened_at FROM incidents WHERE reference = ?1",
                    [reference.to_string()],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, parse_time(&row.get::<_, String>(2)?)?)),
                )
                .optional()?;
            let Some((seq, title, opened_at)) = found else { return Ok(None) };
            let mut query = conn.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM reports r JOIN incidents i ON i.seq = r.incident_seq
                 WHERE r.incident_seq = ?1 ORDER BY r.seq"
            ))?;
            let reports = query.query_map([seq], report_summary_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            let detected_at = shared::incident::detected_at(opened_at, reports.iter().map(|r| r.received_at));
            Ok(Some(IncidentDetail { reference, title, opened_at, detected_at, reports }))
        })
        .await
    }

    async fn list_incidents(&self, page: PageRequest) -> Result<Page<IncidentSummary>, StoreError> {
        let before = parse_cursor(page.cursor.as_deref())?;
        self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT seq, reference, title, opened_at,
                    (SELECT COUNT(*) FROM reports r WHERE r.incident_seq = incidents.seq) AS report_count
                 FROM incidents WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
            )?;
            let rows = query
                .query_map(params![before, page.limit + 1], |row| {
                    Ok((
                        row.get::<_, i64>("seq")?,
                        IncidentSummary {
                            reference: parse_reference(&row.get::<_, String>("reference")?)?,
                            title: row.get("title")?,
                            opened_at: parse_time(&row.get::<_, String>("opened_at")?)?,
                            report_count: row.get("report_count")?,
                        },
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(paginate(rows, page.limit))
        })
        .await
    }

    async fn attachment(&self, id: &str) -> Result<Option<StoredAttachment>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            Ok(conn.query_row("SELECT * FROM attachments WHERE id = ?1", [id], attachment_from_row).optional()?)
        })
        .await
    }
}
