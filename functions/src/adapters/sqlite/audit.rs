//! The audit chains: reading them, and appending sealed entries on the head they were sealed on
//! (which incident, dismissal and register commits do in their own transactions).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use shared::audit::{AuditEntry, ChainHead};
use shared::reference::Reference;

use super::codec::parse_reference;
use super::store::SqliteStore;
use crate::ports::{AuditStore, ChainAppend, StoreError, StoreResult};

pub(super) fn read_head(conn: &Connection, subject: Reference) -> rusqlite::Result<Option<ChainHead>> {
    conn.query_row("SELECT seq, hash FROM audit_heads WHERE subject = ?1", [subject.to_string()], |row| {
        Ok(ChainHead { seq: row.get::<_, i64>(0)?.unsigned_abs(), hash: row.get(1)? })
    })
    .optional()
}

/// Appends sealed entries if the chain head is still the one they were sealed on.
pub(super) fn append_audit(tx: &Connection, subject: Reference, chain: &ChainAppend) -> StoreResult<()> {
    let genesis = ChainHead::genesis();
    let current = read_head(tx, subject)?;
    if current.as_ref().unwrap_or(&genesis) != chain.previous.as_ref().unwrap_or(&genesis) {
        return Err(StoreError::Conflict(format!(
            "{subject} was changed by someone else meanwhile; reload and try again"
        )));
    }
    let mut insert =
        tx.prepare_cached("INSERT INTO audit_entries (subject, seq, body, hash) VALUES (?1, ?2, ?3, ?4)")?;
    for entry in &chain.entries {
        insert.execute(params![subject.to_string(), entry.seq as i64, entry.body, entry.hash])?;
    }
    tx.execute(
        "INSERT INTO audit_heads (subject, seq, hash) VALUES (?1, ?2, ?3)
         ON CONFLICT (subject) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![subject.to_string(), chain.head.seq as i64, chain.head.hash],
    )?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit_head(&self, subject: Reference) -> StoreResult<Option<ChainHead>> {
        self.read(move |conn| Ok(read_head(conn, subject)?)).await
    }

    async fn audit_entries(&self, subject: Reference, after_seq: u64, limit: u32) -> StoreResult<Vec<AuditEntry>> {
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

    async fn audit_subjects(&self) -> StoreResult<Vec<Reference>> {
        self.read(|conn| {
            let mut query = conn.prepare(
                "SELECT subject FROM audit_heads UNION SELECT DISTINCT subject FROM audit_entries ORDER BY 1",
            )?;
            let mut references = query
                .query_map([], |row| parse_reference(&row.get::<_, String>(0)?))?
                .collect::<rusqlite::Result<Vec<Reference>>>()?;
            references.sort();
            Ok(references)
        })
        .await
    }

    async fn append_audit(&self, subject: Reference, chain: ChainAppend) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            append_audit(&tx, subject, &chain)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
