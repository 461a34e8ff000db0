//! Columns to records and back: times, references, enums, page cursors, SQLite's errors, and
//! the report summary that reports and incidents both list.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Row;
use shared::api::{Page, ReportSummary};
use shared::reference::Reference;
use shared::report::{ReportStatus, ReporterKind, headline};

use crate::ports::{StoreError, StoreResult};

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Unexpected(anyhow::Error::new(error).context("SQLite"))
    }
}

pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(super) fn parse_time(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// A nullable text column read through `parse`.
pub(super) fn optional<T>(
    row: &Row<'_>,
    column: &str,
    parse: fn(&str) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    row.get::<_, Option<String>>(column)?.as_deref().map(parse).transpose()
}

pub(super) fn conversion_error(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, message.into())
}

pub(super) fn parse_reference(text: &str) -> rusqlite::Result<Reference> {
    text.parse().map_err(|e: shared::reference::InvalidReference| conversion_error(e.to_string()))
}

pub(super) fn parse_enum<T: std::str::FromStr<Err = String>>(text: &str) -> rusqlite::Result<T> {
    text.parse().map_err(conversion_error)
}

pub(super) const SUMMARY_COLUMNS: &str =
    "r.seq, r.reference, r.status, r.reporter_kind, r.reporter_name, r.description, r.received_at,
     (SELECT COUNT(*) FROM attachments a WHERE a.report_seq = r.seq) AS attachment_count,
     i.reference AS incident_reference";

pub(super) fn report_summary_from_row(row: &Row<'_>) -> rusqlite::Result<ReportSummary> {
    let description: String = row.get("description")?;
    Ok(ReportSummary {
        reference: parse_reference(&row.get::<_, String>("reference")?)?,
        status: parse_enum::<ReportStatus>(&row.get::<_, String>("status")?)?,
        reporter_kind: parse_enum::<ReporterKind>(&row.get::<_, String>("reporter_kind")?)?,
        reporter_name: row.get("reporter_name")?,
        headline: headline(&description),
        received_at: parse_time(&row.get::<_, String>("received_at")?)?,
        attachment_count: row.get("attachment_count")?,
        incident: optional(row, "incident_reference", parse_reference)?,
    })
}

/// Cursors are the `seq` of the last row served, so a page is `seq < cursor`, newest first.
pub(super) fn parse_cursor(cursor: Option<&str>) -> StoreResult<i64> {
    cursor.map_or(Ok(i64::MAX), |c| c.parse::<i64>().map_err(|_| StoreError::InvalidCursor))
}

/// Reads one row more than asked, to know whether another page follows.
pub(super) fn paginate<T>(mut rows: Vec<(i64, T)>, limit: u32) -> Page<T> {
    let next_cursor = (rows.len() > limit as usize).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|(seq, _)| seq.to_string()).unwrap_or_default()
    });
    Page { items: rows.into_iter().map(|(_, item)| item).collect(), next_cursor }
}
