//! The audit chains: their entries and heads, and the writes that extend a chain, conditional on
//! the head read (which incident, dismissal and register commits add to their transactions).

use std::collections::BTreeSet;

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use shared::audit::{AuditEntry, ChainHead};
use shared::reference::Reference;

use super::attributes::{Attributes, n, s};
use super::keys::{AUDIT_PREFIX, audit_pk, entry_sk, key};
use super::store::{DynamoStore, put, store_error};
use crate::ports::{AuditStore, ChainAppend, StoreError, StoreResult};

impl DynamoStore {
    /// The entries as new items and the head moved on, conditional on the head read before.
    pub(super) fn audit_writes(&self, subject: Reference, chain: &ChainAppend) -> StoreResult<Vec<TransactWriteItem>> {
        let mut writes = Vec::new();
        for entry in &chain.entries {
            let mut item = key(audit_pk(subject), &entry_sk(entry.seq));
            item.insert("seq".into(), n(entry.seq));
            item.insert("body".into(), s(&entry.body));
            item.insert("hash".into(), s(&entry.hash));
            writes.push(put(&self.table, item, Some("attribute_not_exists(PK)"))?);
        }
        let mut item = key(audit_pk(subject), "HEAD");
        item.insert("seq".into(), n(chain.head.seq));
        item.insert("hash".into(), s(&chain.head.hash));
        let put = match chain.previous.as_ref().filter(|p| p.seq > 0) {
            None => Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)"),
            Some(previous) => Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("seq = :seen_seq AND #hash = :seen_hash")
                .expression_attribute_names("#hash", "hash")
                .expression_attribute_values(":seen_seq", n(previous.seq))
                .expression_attribute_values(":seen_hash", s(&previous.hash)),
        };
        writes.push(TransactWriteItem::builder().put(put.build().context("building a Put")?).build());
        Ok(writes)
    }
}

#[async_trait]
impl AuditStore for DynamoStore {
    async fn audit_head(&self, subject: Reference) -> StoreResult<Option<ChainHead>> {
        let Some(item) = self.get(audit_pk(subject), "HEAD").await? else { return Ok(None) };
        Ok(Some(ChainHead { seq: item.number("seq")?, hash: item.text("hash")?.to_owned() }))
    }

    async fn audit_entries(&self, subject: Reference, after_seq: u64, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let items = self
            .query_up_to(limit as usize, || {
                self.query()
                    .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                    .expression_attribute_values(":pk", s(audit_pk(subject)))
                    .expression_attribute_values(":from", s(entry_sk(after_seq + 1)))
                    .expression_attribute_values(":to", s(entry_sk(u64::from(u32::MAX) * 2)))
                    .consistent_read(true)
            })
            .await?;
        items
            .iter()
            .map(|item| {
                Ok(AuditEntry {
                    seq: item.number("seq")?,
                    body: item.text("body")?.to_owned(),
                    hash: item.text("hash")?.to_owned(),
                })
            })
            .collect()
    }

    /// A scan of the whole table (keys only): the full check is an occasional operator's run.
    async fn audit_subjects(&self) -> StoreResult<Vec<Reference>> {
        let mut subjects = BTreeSet::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(PK, :audit)")
                .expression_attribute_values(":audit", s(AUDIT_PREFIX))
                .projection_expression("PK")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                let pk = item.text("PK")?;
                let subject = pk.strip_prefix(AUDIT_PREFIX).unwrap_or(pk);
                subjects.insert(
                    subject
                        .parse::<Reference>()
                        .map_err(|e| StoreError::Unexpected(anyhow::anyhow!("an audit chain is filed under {e}")))?,
                );
            }
            match output.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => return Ok(subjects.into_iter().collect()),
            }
        }
    }

    async fn append_audit(&self, subject: Reference, chain: ChainAppend) -> StoreResult<()> {
        let writes = self.audit_writes(subject, &chain)?;
        self.transact(writes).await.map_err(|error| match error {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("{subject} was changed by someone else meanwhile; reload and try again"))
            }
            other => other,
        })
    }
}
