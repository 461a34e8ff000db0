//! The database: its connections, its schema, and how reads and writes reach them.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use rusqlite::{Connection, OpenFlags, params};
use rusqlite_migration::{M, Migrations};
use shared::reference::ReferenceKind;

use super::writer::Writer;
use crate::ports::{StoreResult, sequence_name};

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../../migrations/0001_intake.sql")),
    M::up(include_str!("../../../migrations/0002_workflow.sql")),
    M::up(include_str!("../../../migrations/0003_deadlines.sql")),
    M::up(include_str!("../../../migrations/0004_policy_register.sql")),
    M::up(include_str!("../../../migrations/0005_accounts.sql")),
    M::up(include_str!("../../../migrations/0006_notices.sql")),
    M::up(include_str!("../../../migrations/0007_email_intake.sql")),
    M::up(include_str!("../../../migrations/0008_spent_once.sql")),
    M::up(include_str!("../../../migrations/0009_people.sql")),
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

    pub(super) async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.writer.run(work).await
    }

    pub(super) async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
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

/// The next number of this year's sequence, inside the caller's transaction.
pub(super) fn next_number(tx: &Connection, kind: ReferenceKind, year: i32) -> rusqlite::Result<u32> {
    tx.prepare_cached(
        "INSERT INTO sequences (name, year, last) VALUES (?1, ?2, 1)
         ON CONFLICT (name, year) DO UPDATE SET last = last + 1 RETURNING last",
    )?
    .query_row(params![sequence_name(kind), year], |row| row.get(0))
}
