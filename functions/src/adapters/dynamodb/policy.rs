//! The policy register: one item, its audit chain, and its obligation rows.

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use shared::audit::ChainHead;
use shared::policy::PolicyRegister;

use super::attributes::{Attributes, corrupt, s};
use super::keys::{REGISTER_PK, REGISTER_SK, key};
use super::obligations::obligation_update;
use super::store::DynamoStore;
use crate::ports::{AuditStore, PolicyStore, RegisterCommit, StoreError, StoreResult};

#[async_trait]
impl PolicyStore for DynamoStore {
    async fn policy_register(&self) -> StoreResult<Option<(PolicyRegister, ChainHead)>> {
        let Some(item) = self.get(REGISTER_PK.to_owned(), REGISTER_SK).await? else { return Ok(None) };
        let register: PolicyRegister = serde_json::from_str(item.text("record")?).map_err(|_| corrupt("record"))?;
        let head = self.audit_head(register.reference).await?.unwrap_or_else(ChainHead::genesis);
        Ok(Some((register, head)))
    }

    async fn commit_policy_register(&self, commit: RegisterCommit) -> StoreResult<()> {
        let reference = commit.register.reference;
        let mut writes = self.audit_writes(reference, &commit.chain)?;
        let mut item = key(REGISTER_PK.to_owned(), REGISTER_SK);
        item.insert("reference".into(), s(reference.to_string()));
        item.insert(
            "record".into(),
            s(serde_json::to_string(&commit.register).context("encoding the policy register")?),
        );
        // The head's condition guards an update; a first write must also find no register at all.
        let condition = match commit.chain.previous {
            None => "attribute_not_exists(PK)",
            Some(_) => "#reference = :reference",
        };
        let mut register = Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        if commit.chain.previous.is_some() {
            register = register
                .expression_attribute_names("#reference", "reference")
                .expression_attribute_values(":reference", s(reference.to_string()));
        }
        writes.push(TransactWriteItem::builder().put(register.build().context("building a Put")?).build());
        // A register holds one open cycle per standing duty, so its rows fit one transaction.
        for write in &commit.obligations {
            writes.push(TransactWriteItem::builder().update(obligation_update(&self.table, write)?).build());
        }
        self.transact(writes).await.map_err(|error| match error {
            StoreError::Conflict(_) => {
                StoreError::Conflict("the policy register was changed by someone else meanwhile".to_owned())
            }
            other => other,
        })
    }
}
