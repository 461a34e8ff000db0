//! Incidents, the reports linked to them, and alert keys. An incident's commit also writes its
//! audit entries, the report it links, its obligation rows and any campaign, in one transaction.

use anyhow::Context;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use shared::api::{IncidentSummary, Page, ReportSummary};
use shared::audit::ChainHead;
use shared::record::IncidentRecord;
use shared::reference::{Reference, ReferenceKind};
use shared::report::ReportStatus;

use super::audit::append_audit;
use super::codec::{
    SUMMARY_COLUMNS, conversion_error, paginate, parse_cursor, parse_reference, parse_time, report_summary_from_row,
    timestamp,
};
use super::notices::write_campaign;
use super::obligations::write_obligation;
use super::store::{SqliteStore, next_number};
use crate::ports::{AlertKey, IncidentCommit, IncidentStore, PageRequest, StoreError, StoreResult};

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

fn read_alert_key(conn: &Connection, source: &str, key: &str) -> rusqlite::Result<Option<AlertKey>> {
    conn.query_row("SELECT incident, last_seen FROM alert_keys WHERE source = ?1 AND key = ?2", [source, key], |row| {
        Ok(AlertKey {
            incident: parse_reference(&row.get::<_, String>(0)?)?,
            last_seen: parse_time(&row.get::<_, String>(1)?)?,
        })
    })
    .optional()
}

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn next_reference(&self, kind: ReferenceKind, year: i32) -> StoreResult<Reference> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let number = next_number(&tx, kind, year)?;
            tx.commit()?;
            Ok(Reference::new(kind, year, number))
        })
        .await
    }

    async fn incident(&self, reference: Reference) -> StoreResult<Option<(IncidentRecord, ChainHead)>> {
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

    async fn incident_reports(&self, incident: Reference) -> StoreResult<Vec<ReportSummary>> {
        self.read(move |conn| {
            let mut query = conn.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM reports r JOIN incidents i ON i.seq = r.incident_seq
                 WHERE i.reference = ?1 ORDER BY r.received_at, r.seq"
            ))?;
            Ok(query.query_map([incident.to_string()], report_summary_from_row)?.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn list_incidents(&self, page: PageRequest) -> StoreResult<Page<IncidentSummary>> {
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

    async fn commit_incident(&self, commit: IncidentCommit) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let reference = commit.record.reference;
            append_audit(&tx, reference, &commit.chain)?;
            let record = serde_json::to_string(&commit.record).context("encoding the incident record")?;
            if commit.chain.previous.is_none() {
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
                write_campaign(&tx, campaign)?;
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

    async fn alert_key(&self, source: &str, key: &str) -> StoreResult<Option<AlertKey>> {
        let (source, key) = (source.to_owned(), key.to_owned());
        self.read(move |conn| Ok(read_alert_key(conn, &source, &key)?)).await
    }
}
