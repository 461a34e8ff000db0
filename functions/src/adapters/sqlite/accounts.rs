//! The embedded store's accounts, sessions, emailed tokens, sign-in failure counters and secrets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::codec::{parse_time, timestamp};
use super::store::SqliteStore;
use crate::ports::{Account, AccountStore, AccountToken, Session, StoreError, StoreResult};

fn json_error(error: serde_json::Error) -> StoreError {
    StoreError::Unexpected(anyhow::Error::new(error).context("an account row"))
}

fn account_row(record: &str, version: i64) -> StoreResult<(Account, u64)> {
    Ok((serde_json::from_str(record).map_err(json_error)?, version.unsigned_abs()))
}

/// The account with its version that `sql` finds by a unique key (`id` or `email`), if any.
fn account_where(conn: &Connection, sql: &str, key: String) -> StoreResult<Option<(Account, u64)>> {
    let row = conn.query_row(sql, [key], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))).optional()?;
    row.map(|(record, version)| account_row(&record, version)).transpose()
}

fn email_taken(error: rusqlite::Error, email: &str) -> StoreError {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) if failure.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Conflict(format!("{email} has an account already"))
        }
        other => other.into(),
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn insert_account(&self, account: Account) -> StoreResult<()> {
        let record = serde_json::to_string(&account).map_err(json_error)?;
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO accounts (id, email, record, version) VALUES (?1, ?2, ?3, 1)",
                params![account.id, account.email, record],
            )
            .map_err(|e| email_taken(e, &account.email))?;
            Ok(())
        })
        .await
    }

    async fn account(&self, id: &str) -> StoreResult<Option<(Account, u64)>> {
        let id = id.to_owned();
        self.read(move |conn| account_where(conn, "SELECT record, version FROM accounts WHERE id = ?1", id)).await
    }

    async fn account_by_email(&self, email: &str) -> StoreResult<Option<(Account, u64)>> {
        let email = email.to_owned();
        self.read(move |conn| account_where(conn, "SELECT record, version FROM accounts WHERE email = ?1", email)).await
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        self.read(|conn| {
            let mut query = conn.prepare_cached("SELECT record FROM accounts ORDER BY email")?;
            let records = query.query_map([], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            records.iter().map(|record| serde_json::from_str(record).map_err(json_error)).collect()
        })
        .await
    }

    async fn update_account(&self, account: Account, version: u64) -> StoreResult<()> {
        let record = serde_json::to_string(&account).map_err(json_error)?;
        self.write(move |conn| {
            let updated = conn
                .execute(
                    "UPDATE accounts SET email = ?2, record = ?3, version = version + 1 WHERE id = ?1 AND version = ?4",
                    params![account.id, account.email, record, version as i64],
                )
                .map_err(|e| email_taken(e, &account.email))?;
            if updated == 0 {
                return Err(StoreError::Conflict(format!("{} was changed meanwhile; try again", account.email)));
            }
            Ok(())
        })
        .await
    }

    async fn spend_once(&self, key: &str, expires_at: DateTime<Utc>) -> StoreResult<bool> {
        let key = key.to_owned();
        self.write(move |conn| {
            let now = timestamp(Utc::now());
            conn.execute("DELETE FROM spent_once WHERE expires_at < ?1", [now])?;
            let spent = conn.execute(
                "INSERT INTO spent_once (key, expires_at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![key, timestamp(expires_at)],
            )?;
            Ok(spent == 1)
        })
        .await
    }

    async fn insert_token(&self, token: AccountToken) -> StoreResult<()> {
        let purpose = serde_json::to_string(&token.purpose).map_err(json_error)?;
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO account_tokens (hash, purpose, expires_at) VALUES (?1, ?2, ?3)",
                params![token.hash, purpose, timestamp(token.expires_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<AccountToken>> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT purpose, expires_at FROM account_tokens WHERE hash = ?1 AND used_at IS NULL",
                    [&hash],
                    |row| Ok((row.get::<_, String>(0)?, parse_time(&row.get::<_, String>(1)?)?)),
                )
                .optional()?;
            match row {
                Some((purpose, expires_at)) if expires_at > now => Ok(Some(AccountToken {
                    hash,
                    purpose: serde_json::from_str(&purpose).map_err(json_error)?,
                    expires_at,
                })),
                _ => Ok(None),
            }
        })
        .await
    }

    async fn use_token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let hash = hash.to_owned();
        self.write(move |conn| {
            let used = conn.execute(
                "UPDATE account_tokens SET used_at = ?2 WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                params![hash, timestamp(now)],
            )?;
            if used == 0 {
                return Err(StoreError::Conflict("This link was used already or has expired".to_owned()));
            }
            Ok(())
        })
        .await
    }

    async fn insert_session(&self, session: Session) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO sessions (hash, account, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4)",
                params![session.hash, session.account, timestamp(session.created_at), timestamp(session.last_seen_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn session(&self, hash: &str) -> StoreResult<Option<Session>> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            Ok(conn
                .query_row("SELECT account, created_at, last_seen_at FROM sessions WHERE hash = ?1", [&hash], |row| {
                    Ok(Session {
                        hash: hash.clone(),
                        account: row.get(0)?,
                        created_at: parse_time(&row.get::<_, String>(1)?)?,
                        last_seen_at: parse_time(&row.get::<_, String>(2)?)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let hash = hash.to_owned();
        self.write(move |conn| {
            conn.execute("UPDATE sessions SET last_seen_at = ?2 WHERE hash = ?1", params![hash, timestamp(at)])?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, hash: &str) -> StoreResult<()> {
        let hash = hash.to_owned();
        self.write(move |conn| {
            conn.execute("DELETE FROM sessions WHERE hash = ?1", [hash])?;
            Ok(())
        })
        .await
    }

    async fn add_failure(&self, key: &str, window: DateTime<Utc>) -> StoreResult<u32> {
        let key = key.to_owned();
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            // Windows a day old are never read again.
            let stale = timestamp(window - chrono::Duration::days(1));
            tx.execute("DELETE FROM sign_in_failures WHERE key = ?1 AND window < ?2", params![key, stale])?;
            let count: i64 = tx.query_row(
                "INSERT INTO sign_in_failures (key, window, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (key, window) DO UPDATE SET count = count + 1 RETURNING count",
                params![key, timestamp(window)],
                |row| row.get(0),
            )?;
            tx.commit()?;
            Ok(u32::try_from(count).unwrap_or(u32::MAX))
        })
        .await
    }

    async fn failures(&self, key: &str, window: DateTime<Utc>) -> StoreResult<u32> {
        let key = key.to_owned();
        self.read(move |conn| {
            let count: Option<i64> = conn
                .query_row(
                    "SELECT count FROM sign_in_failures WHERE key = ?1 AND window = ?2",
                    params![key, timestamp(window)],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(count.map_or(0, |c| u32::try_from(c).unwrap_or(u32::MAX)))
        })
        .await
    }

    async fn secret(&self, name: &str, candidate: Vec<u8>) -> StoreResult<Vec<u8>> {
        let name = name.to_owned();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO server_secrets (name, secret) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, candidate],
            )?;
            Ok(conn.query_row("SELECT secret FROM server_secrets WHERE name = ?1", [name], |row| row.get(0))?)
        })
        .await
    }
}
