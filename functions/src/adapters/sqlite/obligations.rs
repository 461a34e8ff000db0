//! The obligation rows: written with the incident or register change that moves them, read by
//! the deadline checker (through the due-time column) and the board (by state).

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use shared::api::Page;
use shared::reference::Reference;

use super::codec::{conversion_error, optional, parse_time, timestamp};
use super::store::SqliteStore;
use crate::ports::{
    Deliveries, DeliveryUpdate, ObligationRow, ObligationState, ObligationStore, ObligationWrite, PageRequest,
    ScheduledObligation, StoreResult, board_key,
};

/// Rewrites an obligation's row, keeping its delivery log.
pub(super) fn write_obligation(tx: &Connection, write: &ObligationWrite) -> StoreResult<()> {
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
        next_check_at: optional(row, "next_check_at", parse_time)?,
    })
}

#[async_trait]
impl ObligationStore for SqliteStore {
    async fn due_obligations(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<ScheduledObligation>> {
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

    async fn update_delivery(&self, update: DeliveryUpdate<'_>) -> StoreResult<bool> {
        let DeliveryUpdate { subject, obligation, expected_version, deliveries, next_check_at } = update;
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
    ) -> StoreResult<Option<ScheduledObligation>> {
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
    ) -> StoreResult<Page<ScheduledObligation>> {
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
}
