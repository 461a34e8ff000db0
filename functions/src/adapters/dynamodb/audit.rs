//! The audit chains: their entries and heads, and the writes that extend a chain, conditional on
//! the head read (which incident, dismissal and register commits add to their transactions).

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use shared::audit::{AuditEntry, ChainHead};
use shared::reference::Reference;

use super::attributes::{Attributes, n, s};
use super::keys::{audit_pk, entry_sk, key};
use super::store::{DynamoStore, put, store_error};
use crate::ports::{AuditStore, StoreError};

impl DynamoStore {
    /// The entries as new items and the head moved on, conditional on the head read before.
    pub(super) fn audit_writes(
        &self,
        subject: Reference,
        previous: Option<&ChainHead>,
        entries: &[AuditEntry],
        head: &ChainHead,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut writes = Vec::new();
        for entry in entries {
            let mut item = key(audit_pk(subject), &entry_sk(entry.seq));
            item.insert("seq".into(), n(entry.seq));
            item.insert("body".into(), s(&entry.body));
            item.insert("hash".into(), s(&entry.hash));
            writes.push(put(&self.table, item, Some("attribute_not_exists(PK)"))?);
        }
        let mut item = key(audit_pk(subject), "HEAD");
        item.insert("seq".into(), n(head.seq));
        item.insert("hash".into(), s(&head.hash));
        let put = match previous.filter(|p| p.seq > 0) {
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
    async fn audit_head(&self, subject: Reference) -> Result<Option<ChainHead>, StoreError> {
        let Some(item) = self.get(audit_pk(subject), "HEAD").await? else { return Ok(None) };
        Ok(Some(ChainHead { seq: item.number("seq")?, hash: item.text("hash")?.to_owned() }))
    }

    async fn audit_entries(
        &self,
        subject: Reference,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut entries = Vec::new();
        let mut start = None;
        while entries.len() < limit as usize {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(audit_pk(subject)))
                .expression_attribute_values(":from", s(entry_sk(after_seq + 1)))
                .expression_attribute_values(":to", s(entry_sk(u64::from(u32::MAX) * 2)))
                .consistent_read(true)
                .limit((limit as usize - entries.len()) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                entries.push(AuditEntry {
                    seq: item.number("seq")?,
                    body: item.text("body")?.to_owned(),
                    hash: item.text("hash")?.to_owned(),
                });
            }
            match output.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => break,
            }
        }
        Ok(entries)
    }

    async fn append_audit(
        &self,
        subject: Reference,
        previous: Option<ChainHead>,
        entries: Vec<AuditEntry>,
        head: ChainHead,
    ) -> Result<(), StoreError> {
        let writes = self.audit_writes(subject, previous.as_ref(), &entries, &head)?;
        self.transact(writes).await.map_err(|error| match error {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("{subject} was changed by someone else meanwhile; reload and try again"))
            }
            other => other,
        })
    }
}
