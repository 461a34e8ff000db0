//! The client and the table: the table's creation, the reads and transactions every port uses,
//! and how SDK failures become [`StoreError`]s.

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, DeleteRequest, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, PutRequest, ReturnValue, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem,
    WriteRequest,
};
use shared::reference::ReferenceKind;

use super::attributes::{Attributes, Item, n, s};
use super::keys::{DUE_INDEX, INCIDENT_INDEX, RECENCY_INDEX, STATUS_INDEX, checked_cursor, key, sequence_pk};
use crate::ports::{PageRequest, StoreError, StoreResult, sequence_name};

/// A transaction's item limit.
pub(super) const TRANSACTION_MAX: usize = 100;

#[derive(Clone)]
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) table: String,
}

/// Maps SDK failures: a failed condition is a conflict, throttling and outages are "try again".
pub(super) fn store_error<E, R>(error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match error.code() {
        Some("ConditionalCheckFailedException" | "TransactionConflictException") => {
            StoreError::Conflict("the record changed meanwhile; reload and try again".to_owned())
        }
        Some(
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "InternalServerError"
            | "ServiceUnavailable",
        ) => StoreError::Unavailable(error.code().unwrap_or_default().to_owned()),
        _ if matches!(error, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)) => {
            StoreError::Unavailable("DynamoDB did not answer".to_owned())
        }
        _ => StoreError::Unexpected(anyhow::Error::new(error).context("DynamoDB")),
    }
}

/// A cancelled transaction whose cause was one of our conditions is a conflict.
pub(super) fn transaction_error<R>(error: SdkError<TransactWriteItemsError, R>) -> StoreError
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = error.as_service_error() {
        let reasons = cancelled.cancellation_reasons();
        if reasons.iter().any(|r| matches!(r.code(), Some("ConditionalCheckFailed" | "TransactionConflict"))) {
            return StoreError::Conflict("the record changed meanwhile; reload and try again".to_owned());
        }
        if reasons.iter().any(|r| matches!(r.code(), Some("ThrottlingError" | "ProvisionedThroughputExceeded"))) {
            return StoreError::Unavailable("DynamoDB throttled the transaction".to_owned());
        }
    }
    store_error(error)
}

/// A conditional write's outcome: `Some` with its output if it was made, `None` if its condition
/// did not hold (which [`store_error`] reports as a conflict).
pub(super) fn if_condition_held<T>(result: StoreResult<T>) -> StoreResult<Option<T>> {
    match result {
        Ok(output) => Ok(Some(output)),
        Err(StoreError::Conflict(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

pub(super) fn put(table: &str, item: Item, condition: Option<&str>) -> StoreResult<TransactWriteItem> {
    let put =
        Put::builder().table_name(table).set_item(Some(item)).set_condition_expression(condition.map(str::to_owned));
    Ok(TransactWriteItem::builder().put(put.build().context("building a Put")?).build())
}

/// BatchWriteItem's item limit.
const BATCH_MAX: usize = 25;

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// Creates the table with its indexes and TTL on `expires` (the deployment does this in AWS;
    /// tests and moto need it).
    pub async fn create_table(&self) -> anyhow::Result<()> {
        let string_attribute = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key_schema = |hash: &str, range: &str| -> anyhow::Result<Vec<KeySchemaElement>> {
            Ok(vec![
                KeySchemaElement::builder().attribute_name(hash).key_type(KeyType::Hash).build()?,
                KeySchemaElement::builder().attribute_name(range).key_type(KeyType::Range).build()?,
            ])
        };
        let mut request = self.client.create_table().table_name(&self.table).billing_mode(BillingMode::PayPerRequest);
        for name in ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK"] {
            request = request.attribute_definitions(string_attribute(name)?);
        }
        request = request.set_key_schema(Some(key_schema("PK", "SK")?));
        for index in [RECENCY_INDEX, STATUS_INDEX, INCIDENT_INDEX, DUE_INDEX] {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index)
                    .set_key_schema(Some(key_schema(&format!("{index}PK"), &format!("{index}SK"))?))
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()?,
            );
        }
        request.send().await.context("creating the DynamoDB table")?;
        let ttl = TimeToLiveSpecification::builder().attribute_name("expires").enabled(true).build()?;
        let enable_ttl = self.client.update_time_to_live().table_name(&self.table).time_to_live_specification(ttl);
        enable_ttl.send().await.context("enabling TTL on the DynamoDB table")?;
        Ok(())
    }

    pub(super) async fn next_number(&self, kind: ReferenceKind, year: i32) -> StoreResult<u32> {
        let output = self
            .update_item(sequence_pk(sequence_name(kind), year), "SEQ")
            .update_expression("ADD #last :one")
            .expression_attribute_names("#last", "last")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(store_error)?;
        output.attributes().cloned().unwrap_or_default().number("last")
    }

    /// An update of the item at `pk`/`sk`, for the caller to give its expressions.
    pub(super) fn update_item(&self, pk: String, sk: &str) -> UpdateItemFluentBuilder {
        self.client.update_item().table_name(&self.table).set_key(Some(key(pk, sk)))
    }

    /// A query of the table, for the caller to give its key condition.
    pub(super) fn query(&self) -> QueryFluentBuilder {
        self.client.query().table_name(&self.table)
    }

    pub(super) async fn get(&self, pk: String, sk: &str) -> StoreResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.item().cloned())
    }

    /// Every item of a partition (or index partition), following pagination to the end.
    pub(super) async fn query_all(&self, index: Option<&str>, pk_name: &str, pk: String) -> StoreResult<Vec<Item>> {
        self.query_up_to(usize::MAX, || {
            self.query()
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_values(":pk", s(pk.clone()))
                .set_consistent_read(index.is_none().then_some(true))
        })
        .await
    }

    /// Up to `want` items of a query, following DynamoDB's pages until there are enough.
    pub(super) async fn query_up_to(
        &self,
        want: usize,
        query: impl Fn() -> QueryFluentBuilder,
    ) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        while items.len() < want {
            // A count too large for a `Limit` (`usize::MAX`: everything) reads without one.
            let output = query()
                .set_limit(i32::try_from(want - items.len()).ok())
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => break,
            }
        }
        Ok(items)
    }

    /// One newest-first page of an index partition, `limit + 1` items read to know if more follow.
    pub(super) async fn recent_page(
        &self,
        index: &str,
        pk: String,
        page: &PageRequest,
    ) -> StoreResult<(Vec<Item>, Option<String>)> {
        let cursor = checked_cursor(page.cursor.as_deref())?;
        let mut items = self
            .query_up_to(page.limit as usize + 1, || {
                let query = self
                    .query()
                    .index_name(index)
                    .expression_attribute_names("#pk", format!("{index}PK"))
                    .expression_attribute_values(":pk", s(pk.clone()))
                    .scan_index_forward(false);
                match &cursor {
                    Some(c) => query
                        .key_condition_expression("#pk = :pk AND #sk < :cursor")
                        .expression_attribute_names("#sk", format!("{index}SK"))
                        .expression_attribute_values(":cursor", s(c.clone())),
                    None => query.key_condition_expression("#pk = :pk"),
                }
            })
            .await?;
        let next = if items.len() > page.limit as usize {
            items.truncate(page.limit as usize);
            items.last().map(|i| i.text(&format!("{index}SK")).map(str::to_owned)).transpose()?
        } else {
            None
        };
        Ok((items, next))
    }

    /// Writes items in batches, sending again what DynamoDB left unprocessed (with a short pause).
    pub(super) async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()> {
        let requests = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item)).build().context("building a PutRequest")?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    async fn batch_write(&self, requests: Vec<WriteRequest>) -> StoreResult<()> {
        for chunk in requests.chunks(BATCH_MAX) {
            let mut requests = chunk.to_vec();
            let mut pause = std::time::Duration::from_millis(50);
            while !requests.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(self.table.clone(), requests)
                    .send()
                    .await
                    .map_err(store_error)?;
                requests = output.unprocessed_items().and_then(|u| u.get(&self.table)).cloned().unwrap_or_default();
                if !requests.is_empty() {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(2));
                }
            }
        }
        Ok(())
    }

    /// Deletes items by key in batches, sending again what DynamoDB left unprocessed.
    pub(super) async fn batch_delete(&self, keys: Vec<Item>) -> StoreResult<()> {
        let requests = keys
            .into_iter()
            .map(|key| {
                let delete = DeleteRequest::builder().set_key(Some(key)).build().context("building a DeleteRequest")?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    pub(super) async fn transact(&self, writes: Vec<TransactWriteItem>) -> StoreResult<()> {
        self.client.transact_write_items().set_transact_items(Some(writes)).send().await.map_err(transaction_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn service_error(code: &str) -> SdkError<GetItemError, HttpResponse> {
        let error = GetItemError::generic(ErrorMetadata::builder().code(code).message("from the test").build());
        SdkError::service_error(error, HttpResponse::new(400.try_into().unwrap(), SdkBody::empty()))
    }

    #[test]
    fn failed_conditions_are_conflicts_and_throttling_is_retryable() {
        assert!(matches!(store_error(service_error("ConditionalCheckFailedException")), StoreError::Conflict(_)));
        for code in ["ThrottlingException", "ProvisionedThroughputExceededException", "ServiceUnavailable"] {
            assert!(matches!(store_error(service_error(code)), StoreError::Unavailable(_)), "{code}");
        }
        assert!(matches!(store_error(service_error("ResourceNotFoundException")), StoreError::Unexpected(_)));
    }
}
