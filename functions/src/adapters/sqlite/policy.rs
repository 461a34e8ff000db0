//! The policy register: one row, its audit chain, and its obligation rows.

use anyhow::Context;
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use shared::audit::ChainHead;
use shared::policy::PolicyRegister;

use super::audit::append_audit;
use super::codec::conversion_error;
use super::obligations::write_obligation;
use super::store::SqliteStore;
use crate::ports::{PolicyStore, RegisterCommit, StoreError, StoreResult};

#[async_trait]
impl PolicyStore for SqliteStore {
    async fn policy_register(&self) -> StoreResult<Option<(PolicyRegister, ChainHead)>> {
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

    async fn commit_policy_register(&self, commit: RegisterCommit) -> StoreResult<()> {
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let reference = commit.register.reference;
            append_audit(&tx, reference, &commit.chain)?;
            let record = serde_json::to_string(&commit.register).context("encoding the policy register")?;
            let written = if commit.chain.previous.is_none() {
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
