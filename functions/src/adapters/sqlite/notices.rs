//! The embedded store's notice campaigns, deliveries and suppression list.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use shared::notices::{DeliveryCounts, DeliveryKind, DeliveryState, MailEvent, MailOutcome, Recipient};

use super::codec::{parse_reference, parse_time, timestamp};
use super::store::SqliteStore;
use crate::ports::{Campaign, CampaignWrite, DeliveryPage, DeliveryRow, NoticeStore, StoreError, StoreResult};

fn json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Unexpected(anyhow::Error::new(e).context("a delivery")))
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Unexpected(anyhow::Error::new(e).context("a delivery row")))
}

fn delivery(seq: i64, recipient: &str, state: &str, outcome: &str) -> StoreResult<DeliveryRow> {
    Ok(DeliveryRow {
        seq: u32::try_from(seq).map_err(|e| StoreError::Unexpected(e.into()))?,
        recipient: parse(recipient)?,
        state: parse(state)?,
        outcome: parse(outcome)?,
    })
}

/// Starts or finishes a campaign inside an incident's transaction.
pub(super) fn write_campaign(tx: &Connection, write: &CampaignWrite) -> StoreResult<()> {
    match write {
        CampaignWrite::Start(campaign) => {
            tx.execute(
                "INSERT INTO campaigns (list, incident, notice_id, started_at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    campaign.list,
                    campaign.incident.to_string(),
                    campaign.notice_id,
                    timestamp(campaign.started_at)
                ],
            )?;
        }
        CampaignWrite::Finish { list } => {
            tx.execute("UPDATE campaigns SET finished = 1 WHERE list = ?1", [list])?;
        }
    }
    Ok(())
}

#[async_trait]
impl NoticeStore for SqliteStore {
    async fn insert_recipients(&self, list: &str, first_seq: u32, recipients: &[Recipient]) -> StoreResult<()> {
        let list = list.to_owned();
        let rows = recipients.iter().map(json).collect::<Result<Vec<_>, _>>()?;
        let pending = json(&DeliveryState::Pending)?;
        let outcome = json(&MailOutcome::default())?;
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO deliveries (list, seq, recipient, kind, state, outcome)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for (index, recipient) in rows.iter().enumerate() {
                    let seq = i64::from(first_seq) + index as i64;
                    insert.execute(params![list, seq, recipient, DeliveryKind::Pending.as_str(), pending, outcome])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn active_campaigns(&self) -> StoreResult<Vec<Campaign>> {
        self.read(|conn| {
            let mut query = conn.prepare_cached(
                "SELECT list, incident, notice_id, started_at FROM campaigns WHERE finished = 0 ORDER BY started_at",
            )?;
            let rows = query.query_map([], |row| {
                Ok(Campaign {
                    list: row.get(0)?,
                    incident: parse_reference(&row.get::<_, String>(1)?)?,
                    notice_id: row.get(2)?,
                    started_at: parse_time(&row.get::<_, String>(3)?)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn deliveries(&self, list: &str, page: DeliveryPage) -> StoreResult<Vec<DeliveryRow>> {
        let DeliveryPage { kind, after_seq, limit } = page;
        let list = list.to_owned();
        self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT seq, recipient, state, outcome FROM deliveries
                 WHERE list = ?1 AND (?2 IS NULL OR kind = ?2) AND seq > ?3 ORDER BY seq LIMIT ?4",
            )?;
            let rows = query.query_map(params![list, kind.map(DeliveryKind::as_str), after_seq, limit], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })?;
            let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.iter().map(|(seq, recipient, state, outcome)| delivery(*seq, recipient, state, outcome)).collect()
        })
        .await
    }

    async fn move_delivery(&self, list: &str, seq: u32, from: &DeliveryState, to: &DeliveryState) -> StoreResult<bool> {
        let (list, from, kind, to) = (list.to_owned(), json(from)?, to.kind().as_str(), json(to)?);
        self.write(move |conn| {
            let moved = conn.execute(
                "UPDATE deliveries SET state = ?4, kind = ?5 WHERE list = ?1 AND seq = ?2 AND state = ?3",
                params![list, seq, from, to, kind],
            )?;
            Ok(moved == 1)
        })
        .await
    }

    async fn merge_mail_event(&self, list: &str, seq: u32, event: MailEvent) -> StoreResult<Option<DeliveryRow>> {
        let list = list.to_owned();
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let row = tx
                .query_row(
                    "SELECT recipient, state, outcome FROM deliveries WHERE list = ?1 AND seq = ?2",
                    params![list, seq],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)),
                )
                .optional()?;
            let Some((recipient, state, outcome)) = row else { return Ok(None) };
            let merged = parse::<MailOutcome>(&outcome)?.merge(event);
            tx.execute(
                "UPDATE deliveries SET outcome = ?3 WHERE list = ?1 AND seq = ?2",
                params![list, seq, json(&merged)?],
            )?;
            tx.commit()?;
            delivery(i64::from(seq), &recipient, &state, &json(&merged)?).map(Some)
        })
        .await
    }

    async fn delivery_counts(&self, list: &str) -> StoreResult<DeliveryCounts> {
        let list = list.to_owned();
        self.read(move |conn| {
            let mut query = conn.prepare_cached("SELECT state, outcome FROM deliveries WHERE list = ?1")?;
            let rows = query.query_map([list], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
            let mut counts = DeliveryCounts::default();
            for row in rows {
                let (state, outcome) = row?;
                counts.add(&parse(&state)?, parse(&outcome)?);
            }
            Ok(counts)
        })
        .await
    }

    async fn suppression(&self, email: &str) -> StoreResult<Option<String>> {
        let email = email.to_owned();
        self.read(move |conn| {
            Ok(conn
                .query_row("SELECT reason FROM suppressions WHERE email = ?1", [email], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    async fn suppress(&self, email: &str, reason: &str) -> StoreResult<()> {
        let (email, reason) = (email.to_owned(), reason.to_owned());
        self.write(move |conn| {
            conn.execute("INSERT OR IGNORE INTO suppressions (email, reason) VALUES (?1, ?2)", [email, reason])?;
            Ok(())
        })
        .await
    }
}
