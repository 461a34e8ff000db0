//! The DynamoDB store: one table, the key design in `docs/dynamodb.md`. Every read is a `GetItem`
//! or a `Query`; every change that spans items is one `TransactWriteItems`; updates are
//! conditional on a `version` attribute, so a lost race is a conflict, never an overwrite.

mod accounts;
mod notices;

use std::collections::HashMap;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, ReturnValue, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use shared::api::{FollowUp, IncidentSummary, Page, ReportDetail, ReportSummary};
use shared::attachment::AttachmentKind;
use shared::audit::{AuditEntry, ChainHead};
use shared::inbound::{EmailIntake, InboundMessage, InboundOutcome};
use shared::policy::PolicyRegister;
use shared::record::IncidentRecord;
use shared::reference::{Reference, ReferenceKind};
use shared::report::{ReportStatus, ReporterKind, headline};
use uuid::Uuid;

use crate::ports::{
    AlertKey, Deliveries, EmailArrival, FollowUpDraft, IncidentCommit, IncidentStore, ObligationRow, ObligationState,
    ObligationWrite, PageRequest, RegisterCommit, ReportDismissal, ReportDraft, ScheduledObligation, StoreError,
    StoredAttachment, board_key,
};

type Item = HashMap<String, AttributeValue>;

const RECENCY_INDEX: &str = "GSI1";
const STATUS_INDEX: &str = "GSI2";
const INCIDENT_INDEX: &str = "GSI3";
/// Open obligations by their next check time; sparse: only rows with a step pending carry it.
const DUE_INDEX: &str = "GSI4";
/// A transaction's item limit.
const TRANSACTION_MAX: usize = 100;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn report_pk(reference: Reference) -> String {
    format!("REPORT#{reference}")
}

fn incident_pk(reference: Reference) -> String {
    format!("INCIDENT#{reference}")
}

/// Where a subject's obligation rows live: beside the incident, or beside the policy register.
fn subject_pk(subject: Reference) -> String {
    match subject.kind {
        ReferenceKind::Policy => format!("POLICY#{subject}"),
        _ => incident_pk(subject),
    }
}

/// The policy register's one item.
const REGISTER_PK: &str = "POLICY";
const REGISTER_SK: &str = "REGISTER";

fn recency_key(at: DateTime<Utc>, reference: Reference) -> String {
    format!("{}#{reference}", timestamp(at))
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

/// Message ids are chosen by senders (any length): their digest keys the record.
fn inbound_pk(message_key: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("INBOUND#{:x}", Sha256::digest(message_key.as_bytes()))
}

fn inbound_item(message: &InboundMessage) -> Result<Item, StoreError> {
    let mut item = key(inbound_pk(&message.message_key), "INBOUND");
    item.extend([
        ("body".to_owned(), s(serde_json::to_string(message).context("encoding an inbound message")?)),
        ("GSI1PK".to_owned(), s("INBOUND")),
        ("GSI1SK".to_owned(), s(format!("{}#{}", timestamp(message.received_at), inbound_pk(&message.message_key)))),
    ]);
    Ok(item)
}

fn inbound_from_item(item: &Item) -> Result<InboundMessage, StoreError> {
    serde_json::from_str(item.text("body")?).map_err(|_| corrupt("body"))
}

/// The record of the message a report or follow-up came in, written with it: a message recorded
/// already fails the whole transaction.
fn arrival_write(
    table: &str,
    arrival: &EmailArrival,
    received_at: DateTime<Utc>,
    outcome: InboundOutcome,
) -> Result<(TransactWriteItem, AttributeValue), StoreError> {
    let json = serde_json::to_string(&arrival.intake).context("encoding the email intake")?;
    let record = inbound_item(&arrival.record(received_at, outcome))?;
    Ok((put(table, record, Some("attribute_not_exists(PK)"))?, s(json)))
}

fn email_intake(item: &Item) -> Result<Option<EmailIntake>, StoreError> {
    item.optional_text("email_intake")
        .map(|json| serde_json::from_str(&json).map_err(|_| corrupt("email_intake")))
        .transpose()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads typed attributes; a missing or mistyped one is a corrupt item, reported with its name.
trait Attributes {
    fn text(&self, name: &str) -> Result<&str, StoreError>;
    fn optional_text(&self, name: &str) -> Option<String>;
    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, StoreError>;
    fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError>;
}

fn corrupt(name: &str) -> StoreError {
    StoreError::Unexpected(anyhow!("a stored item has a missing or malformed {name:?} attribute"))
}

impl Attributes for Item {
    fn text(&self, name: &str) -> Result<&str, StoreError> {
        self.get(name).and_then(|v| v.as_s().ok()).map(String::as_str).ok_or_else(|| corrupt(name))
    }

    fn optional_text(&self, name: &str) -> Option<String> {
        self.get(name).and_then(|v| v.as_s().ok()).cloned()
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, StoreError> {
        self.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).ok_or_else(|| corrupt(name))
    }

    fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError> {
        DateTime::parse_from_rfc3339(self.text(name)?).map(|t| t.with_timezone(&Utc)).map_err(|_| corrupt(name))
    }
}

fn parse_with<T, E>(item: &Item, name: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<T, StoreError> {
    parse(item.text(name)?).map_err(|_| corrupt(name))
}

/// Maps SDK failures: a failed condition is a conflict, throttling and outages are "try again".
fn store_error<E, R>(error: SdkError<E, R>) -> StoreError
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
fn transaction_error<R>(error: SdkError<TransactWriteItemsError, R>) -> StoreError
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

fn put(table: &str, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
    let put =
        Put::builder().table_name(table).set_item(Some(item)).set_condition_expression(condition.map(str::to_owned));
    Ok(TransactWriteItem::builder().put(put.build().context("building a Put")?).build())
}

fn attachment_items(
    table: &str,
    pk: &str,
    sk_prefix: &str,
    attachments: &[StoredAttachment],
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut writes = Vec::new();
    for (position, a) in attachments.iter().enumerate() {
        let mut item = key(pk.to_owned(), &format!("{sk_prefix}ATT#{position:02}"));
        item.insert("id".into(), s(&a.id));
        item.insert("file_name".into(), s(&a.file_name));
        item.insert("kind".into(), s(a.kind.as_str()));
        item.insert("size_bytes".into(), n(a.size_bytes));
        item.insert("sha256".into(), s(&a.sha256));
        item.insert("storage_key".into(), s(&a.storage_key));
        let mut by_id = item.clone();
        by_id.insert("PK".into(), s(format!("ATTACHMENT#{}", a.id)));
        by_id.insert("SK".into(), s("ATTACHMENT"));
        writes.push(put(table, item, Some("attribute_not_exists(PK)"))?);
        writes.push(put(table, by_id, Some("attribute_not_exists(PK)"))?);
    }
    Ok(writes)
}

fn attachment_from_item(item: &Item) -> Result<StoredAttachment, StoreError> {
    Ok(StoredAttachment {
        id: item.text("id")?.to_owned(),
        file_name: item.text("file_name")?.to_owned(),
        kind: parse_with(item, "kind", |k| AttachmentKind::from_name(k).ok_or(()))?,
        size_bytes: item.number("size_bytes")?,
        sha256: item.text("sha256")?.to_owned(),
        storage_key: item.text("storage_key")?.to_owned(),
    })
}

fn report_summary(item: &Item) -> Result<ReportSummary, StoreError> {
    Ok(ReportSummary {
        reference: parse_with(item, "reference", str::parse::<Reference>)?,
        status: parse_with(item, "status", str::parse::<ReportStatus>)?,
        reporter_kind: parse_with(item, "reporter_kind", str::parse::<ReporterKind>)?,
        reporter_name: item.optional_text("reporter_name"),
        headline: headline(item.text("description")?),
        received_at: item.time("received_at")?,
        attachment_count: item.number("attachment_count")?,
        incident: item.optional_text("incident").map(|r| r.parse()).transpose().map_err(|_| corrupt("incident"))?,
    })
}

/// A cursor is the last item's recency key: `<RFC 3339 time>#<reference>`.
fn checked_cursor(cursor: Option<&str>) -> Result<Option<String>, StoreError> {
    let Some(cursor) = cursor else { return Ok(None) };
    let (time, reference) = cursor.split_once('#').ok_or(StoreError::InvalidCursor)?;
    DateTime::parse_from_rfc3339(time).map_err(|_| StoreError::InvalidCursor)?;
    reference.parse::<Reference>().map_err(|_| StoreError::InvalidCursor)?;
    Ok(Some(cursor.to_owned()))
}

fn obligation_sk(id: &str) -> String {
    format!("OBLIGATION#{id}")
}

fn due_key(at: DateTime<Utc>, subject: Reference, id: &str) -> String {
    format!("{}#{subject}#{id}", timestamp(at))
}

/// The update that writes an obligation row and keeps its delivery log: on the due index while
/// `check_at` is set, off it otherwise.
fn obligation_update(table: &str, write: &ObligationWrite) -> Result<Update, StoreError> {
    let row = &write.row;
    let json = serde_json::to_string(row).context("encoding an obligation row")?;
    let mut set = "SET #state = :state, #row = :row, GSI2PK = :board_pk, GSI2SK = :board_key, \
                   deliveries = if_not_exists(deliveries, :empty)"
        .to_owned();
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(key(subject_pk(row.subject), &obligation_sk(&row.obligation.id))))
        .expression_attribute_names("#state", "state")
        .expression_attribute_names("#row", "row")
        .expression_attribute_values(":state", s(row.state().as_str()))
        .expression_attribute_values(":row", s(json))
        .expression_attribute_values(":board_pk", s(format!("OBLIGATIONS#{}", row.state().as_str())))
        .expression_attribute_values(":board_key", s(board_key(row)))
        .expression_attribute_values(":empty", s("{}"))
        .expression_attribute_values(":one", n(1));
    match write.check_at {
        Some(at) => {
            set.push_str(", next_check_at = :next, GSI4PK = :due_pk, GSI4SK = :due_sk");
            update = update
                .expression_attribute_values(":next", s(timestamp(at)))
                .expression_attribute_values(":due_pk", s("DUE"))
                .expression_attribute_values(":due_sk", s(due_key(at, row.subject, &row.obligation.id)));
            set.push_str(" ADD version :one");
        }
        None => set.push_str(" REMOVE next_check_at, GSI4PK, GSI4SK ADD version :one"),
    }
    Ok(update.update_expression(set).build().context("building an Update")?)
}

fn scheduled_from_item(item: &Item) -> Result<ScheduledObligation, StoreError> {
    let row: ObligationRow = serde_json::from_str(item.text("row")?).map_err(|_| corrupt("row"))?;
    let deliveries: Deliveries = serde_json::from_str(item.text("deliveries")?).map_err(|_| corrupt("deliveries"))?;
    let next_check_at = item.get("next_check_at").map(|_| item.time("next_check_at")).transpose()?;
    Ok(ScheduledObligation { row, deliveries, version: item.number("version")?, next_check_at })
}

fn audit_pk(subject: Reference) -> String {
    format!("AUDIT#{subject}")
}

/// Zero-padded, so sort-key order is chain order.
fn entry_sk(seq: u64) -> String {
    format!("ENTRY#{seq:010}")
}

/// The `record` attribute, or for incidents opened before the workflow existed, a record rebuilt
/// from their title and opening time.
fn incident_record(item: &Item) -> Result<IncidentRecord, StoreError> {
    if let Some(json) = item.optional_text("record") {
        return serde_json::from_str(&json).map_err(|_| corrupt("record"));
    }
    let reference = parse_with(item, "reference", str::parse::<Reference>)?;
    Ok(IncidentRecord::predating_workflow(reference, item.text("title")?.to_owned(), item.time("opened_at")?))
}

impl DynamoStore {
    /// The entries as new items and the head moved on, conditional on the head read before.
    fn audit_writes(
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

    async fn next_number(&self, sequence: &str, year: i32) -> Result<u32, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("SEQ#{sequence}#{year}"), "SEQ")))
            .update_expression("ADD #last :one")
            .expression_attribute_names("#last", "last")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(store_error)?;
        output.attributes().cloned().unwrap_or_default().number("last")
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
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
    async fn query_all(&self, index: Option<&str>, pk_name: &str, pk: String) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_values(":pk", s(pk.clone()))
                .set_consistent_read(index.is_none().then_some(true))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => return Ok(items),
            }
        }
    }

    /// Up to `want` items of a query, following DynamoDB's pages until there are enough.
    async fn query_up_to(&self, want: usize, query: impl Fn() -> QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = query()
                .limit((want - items.len()) as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(last) if items.len() < want => start = Some(last.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// One newest-first page of an index partition, `limit + 1` items read to know if more follow.
    async fn recent_page(
        &self,
        index: &str,
        pk: String,
        page: &PageRequest,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let cursor = checked_cursor(page.cursor.as_deref())?;
        let mut items = self
            .query_up_to(page.limit as usize + 1, || {
                let query = self
                    .client
                    .query()
                    .table_name(&self.table)
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

    async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.client.transact_write_items().set_transact_items(Some(writes)).send().await.map_err(transaction_error)?;
        Ok(())
    }
}

#[async_trait]
impl IncidentStore for DynamoStore {
    async fn insert_report(&self, draft: ReportDraft) -> Result<Reference, StoreError> {
        let year = draft.received_at.year();
        let reference = Reference::new(ReferenceKind::Report, year, self.next_number("report", year).await?);
        let pk = report_pk(reference);
        let r = &draft.report;
        let recency = recency_key(draft.received_at, reference);
        let mut item = key(pk.clone(), "REPORT");
        item.extend([
            ("reference".to_owned(), s(reference.to_string())),
            ("status".to_owned(), s(ReportStatus::Received.as_str())),
            ("reporter_kind".to_owned(), s(r.reporter_kind.as_str())),
            ("description".to_owned(), s(&r.description)),
            ("received_at".to_owned(), s(timestamp(draft.received_at))),
            ("attachment_count".to_owned(), n(draft.attachments.len())),
            ("version".to_owned(), n(1)),
            ("GSI1PK".to_owned(), s("REPORTS")),
            ("GSI1SK".to_owned(), s(&recency)),
            ("GSI2PK".to_owned(), s(format!("REPORTS#{}", ReportStatus::Received.as_str()))),
            ("GSI2SK".to_owned(), s(&recency)),
        ]);
        let optional = [
            ("reporter_name", r.name.clone()),
            ("reporter_email", r.email.clone()),
            ("steps_to_reproduce", r.steps_to_reproduce.clone()),
            ("observed_at", r.observed_at.map(timestamp)),
            ("affected_system", r.affected_system.clone()),
        ];
        item.extend(optional.into_iter().filter_map(|(name, value)| Some((name.to_owned(), s(value?)))));
        let mut token = key(format!("TOKEN#{}", hex(&draft.follow_up_token_hash)), "TOKEN");
        token.insert("reference".into(), s(reference.to_string()));

        let mut writes = vec![put(&self.table, token, Some("attribute_not_exists(PK)"))?];
        if let Some(arrival) = &draft.email {
            let (record, intake) =
                arrival_write(&self.table, arrival, draft.received_at, InboundOutcome::Report { reference })?;
            writes.push(record);
            item.insert("email_intake".into(), intake);
        }
        writes.push(put(&self.table, item, Some("attribute_not_exists(PK)"))?);
        writes.extend(attachment_items(&self.table, &pk, "", &draft.attachments)?);
        self.transact(writes).await?;
        Ok(reference)
    }

    async fn report(&self, reference: Reference) -> Result<Option<ReportDetail>, StoreError> {
        let items = self.query_all(None, "PK", report_pk(reference)).await?;
        let Some(report) = items.iter().find(|i| i.text("SK").is_ok_and(|sk| sk == "REPORT")) else { return Ok(None) };
        let mut detail = ReportDetail {
            reference,
            status: parse_with(report, "status", str::parse::<ReportStatus>)?,
            reporter_kind: parse_with(report, "reporter_kind", str::parse::<ReporterKind>)?,
            reporter_name: report.optional_text("reporter_name"),
            reporter_email: report.optional_text("reporter_email"),
            description: report.text("description")?.to_owned(),
            steps_to_reproduce: report.optional_text("steps_to_reproduce"),
            observed_at: report.optional_text("observed_at").map(|_| report.time("observed_at")).transpose()?,
            affected_system: report.optional_text("affected_system"),
            received_at: report.time("received_at")?,
            attachments: Vec::new(),
            follow_ups: Vec::new(),
            incident: report
                .optional_text("incident")
                .map(|r| r.parse())
                .transpose()
                .map_err(|_| corrupt("incident"))?,
            dismissal_reason: report.optional_text("dismissal_reason"),
            email: email_intake(report)?,
        };
        // Sort keys order the collection: `ATT#…`, then each `FOLLOWUP#…` followed by its `#ATT#…`.
        for item in &items {
            let sk = item.text("SK")?;
            if sk.starts_with("ATT#") {
                detail.attachments.push(attachment_from_item(item)?.into());
            } else if sk.starts_with("FOLLOWUP#") && sk.contains("#ATT#") {
                let follow_up = detail.follow_ups.last_mut().ok_or_else(|| corrupt("SK"))?;
                follow_up.attachments.push(attachment_from_item(item)?.into());
            } else if sk.starts_with("FOLLOWUP#") {
                detail.follow_ups.push(FollowUp {
                    message: item.optional_text("message"),
                    received_at: item.time("received_at")?,
                    attachments: Vec::new(),
                    email: email_intake(item)?,
                });
            }
        }
        Ok(Some(detail))
    }

    async fn report_reference_by_token(&self, token_hash: [u8; 32]) -> Result<Option<Reference>, StoreError> {
        let item = self.get(format!("TOKEN#{}", hex(&token_hash)), "TOKEN").await?;
        item.map(|i| parse_with(&i, "reference", str::parse::<Reference>)).transpose()
    }

    async fn add_follow_up(&self, report: Reference, follow_up: FollowUpDraft) -> Result<(), StoreError> {
        let pk = report_pk(report);
        let sk = format!("FOLLOWUP#{}#{}", timestamp(follow_up.received_at), Uuid::now_v7());
        let mut item = key(pk.clone(), &sk);
        item.insert("received_at".into(), s(timestamp(follow_up.received_at)));
        if let Some(message) = &follow_up.message {
            item.insert("message".into(), s(message));
        }
        let touch_report = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk.clone(), "REPORT")))
            .update_expression("ADD attachment_count :files, version :one")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":files", n(follow_up.attachments.len()))
            .expression_attribute_values(":one", n(1))
            .build()
            .context("building an Update")?;
        let mut writes = vec![TransactWriteItem::builder().update(touch_report).build()];
        if let Some(arrival) = &follow_up.email {
            let outcome = InboundOutcome::FollowUp { reference: report };
            let (record, intake) = arrival_write(&self.table, arrival, follow_up.received_at, outcome)?;
            writes.push(record);
            item.insert("email_intake".into(), intake);
        }
        writes.push(put(&self.table, item, Some("attribute_not_exists(PK)"))?);
        writes.extend(attachment_items(&self.table, &pk, &format!("{sk}#"), &follow_up.attachments)?);
        match self.transact(writes).await {
            // A missing report, or a message taken in already.
            Err(StoreError::Conflict(_)) if self.get(pk, "REPORT").await?.is_none() => Err(StoreError::NotFound),
            other => other,
        }
    }

    async fn record_inbound(&self, message: InboundMessage) -> Result<bool, StoreError> {
        let record = put(&self.table, inbound_item(&message)?, Some("attribute_not_exists(PK)"))?;
        match self.transact(vec![record]).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn inbound(&self, message_key: &str) -> Result<Option<InboundMessage>, StoreError> {
        let item = self.get(inbound_pk(message_key), "INBOUND").await?;
        item.as_ref().map(inbound_from_item).transpose()
    }

    async fn list_inbound(&self, limit: u32) -> Result<Vec<InboundMessage>, StoreError> {
        let page = PageRequest { cursor: None, limit };
        let (items, _) = self.recent_page(RECENCY_INDEX, "INBOUND".to_owned(), &page).await?;
        items.iter().map(inbound_from_item).collect()
    }

    async fn set_receipt_id(&self, report: Reference, message_id: &str) -> Result<(), StoreError> {
        if self.get(report_pk(report), "REPORT").await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut item = key(format!("RECEIPT#{message_id}"), "RECEIPT");
        item.insert("reference".into(), s(report.to_string()));
        self.transact(vec![put(&self.table, item, None)?]).await
    }

    async fn report_by_receipt_id(&self, message_id: &str) -> Result<Option<Reference>, StoreError> {
        let item = self.get(format!("RECEIPT#{message_id}"), "RECEIPT").await?;
        item.map(|i| parse_with(&i, "reference", str::parse::<Reference>)).transpose()
    }

    async fn list_reports(
        &self,
        status: Option<ReportStatus>,
        page: PageRequest,
    ) -> Result<Page<ReportSummary>, StoreError> {
        let (index, pk) = match status {
            Some(status) => (STATUS_INDEX, format!("REPORTS#{}", status.as_str())),
            None => (RECENCY_INDEX, "REPORTS".to_owned()),
        };
        let (items, next_cursor) = self.recent_page(index, pk, &page).await?;
        Ok(Page { items: items.iter().map(report_summary).collect::<Result<_, _>>()?, next_cursor })
    }

    async fn next_reference(&self, kind: ReferenceKind, year: i32) -> Result<Reference, StoreError> {
        let sequence = match kind {
            ReferenceKind::Report => "report",
            ReferenceKind::Incident => "incident",
            ReferenceKind::Policy => "policy",
            ReferenceKind::Security => "security",
        };
        Ok(Reference::new(kind, year, self.next_number(sequence, year).await?))
    }

    async fn incident(&self, reference: Reference) -> Result<Option<(IncidentRecord, ChainHead)>, StoreError> {
        let Some(item) = self.get(incident_pk(reference), "INCIDENT").await? else { return Ok(None) };
        let head = self.audit_head(reference).await?.unwrap_or_else(ChainHead::genesis);
        Ok(Some((incident_record(&item)?, head)))
    }

    async fn incident_reports(&self, incident: Reference) -> Result<Vec<ReportSummary>, StoreError> {
        let linked = self.query_all(Some(INCIDENT_INDEX), "GSI3PK", incident_pk(incident)).await?;
        linked.iter().map(report_summary).collect()
    }

    async fn list_incidents(&self, page: PageRequest) -> Result<Page<IncidentSummary>, StoreError> {
        let (items, next_cursor) = self.recent_page(RECENCY_INDEX, "INCIDENTS".to_owned(), &page).await?;
        let items = items
            .iter()
            .map(|item| Ok(IncidentSummary::of(&incident_record(item)?, item.number("report_count")?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Page { items, next_cursor })
    }

    async fn commit_incident(&self, commit: IncidentCommit) -> Result<(), StoreError> {
        let reference = commit.record.reference;
        let mut writes = self.audit_writes(reference, commit.previous.as_ref(), &commit.entries, &commit.head)?;
        let record = serde_json::to_string(&commit.record).context("encoding the incident record")?;
        let linked = u32::from(commit.link_report.is_some());
        if commit.previous.is_none() {
            let mut item = key(incident_pk(reference), "INCIDENT");
            item.extend([
                ("reference".to_owned(), s(reference.to_string())),
                ("title".to_owned(), s(&commit.record.title)),
                ("opened_at".to_owned(), s(timestamp(commit.record.opened_at))),
                ("record".to_owned(), s(record)),
                ("report_count".to_owned(), n(linked)),
                ("version".to_owned(), n(commit.head.seq)),
                ("GSI1PK".to_owned(), s("INCIDENTS")),
                ("GSI1SK".to_owned(), s(recency_key(commit.record.opened_at, reference))),
            ]);
            writes.push(put(&self.table, item, Some("attribute_not_exists(PK)"))?);
        } else {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(incident_pk(reference), "INCIDENT")))
                .update_expression("SET title = :title, #record = :record, version = :version ADD report_count :linked")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_names("#record", "record")
                .expression_attribute_values(":title", s(&commit.record.title))
                .expression_attribute_values(":record", s(record))
                .expression_attribute_values(":version", n(commit.head.seq))
                .expression_attribute_values(":linked", n(linked))
                .build()
                .context("building an Update")?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        if let Some(report) = commit.link_report {
            let item = self.get(report_pk(report), "REPORT").await?.ok_or(StoreError::NotFound)?;
            let link = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(report_pk(report), "REPORT")))
                .update_expression(
                    "SET incident = :incident, #status = :triaged, GSI2PK = :status_pk, GSI3PK = :incident_pk, \
                     GSI3SK = :recency ADD version :one",
                )
                .condition_expression("#status = :received AND attribute_not_exists(incident)")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":incident", s(reference.to_string()))
                .expression_attribute_values(":triaged", s(ReportStatus::Triaged.as_str()))
                .expression_attribute_values(":received", s(ReportStatus::Received.as_str()))
                .expression_attribute_values(":status_pk", s(format!("REPORTS#{}", ReportStatus::Triaged.as_str())))
                .expression_attribute_values(":incident_pk", s(incident_pk(reference)))
                .expression_attribute_values(":recency", s(recency_key(item.time("received_at")?, report)))
                .expression_attribute_values(":one", n(1))
                .build()
                .context("building an Update")?;
            writes.push(TransactWriteItem::builder().update(link).build());
        }
        if let Some(alert) = commit.alert_key {
            let mut item = key(format!("ALERT#{}", alert.source), &format!("KEY#{}", alert.key));
            item.insert("incident".into(), s(reference.to_string()));
            item.insert("last_seen".into(), s(timestamp(alert.last_seen)));
            let write = match &alert.previous {
                None => put(&self.table, item, Some("attribute_not_exists(PK)"))?,
                Some(previous) => {
                    let put = Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("incident = :seen_incident AND last_seen = :seen_at")
                        .expression_attribute_values(":seen_incident", s(previous.incident.to_string()))
                        .expression_attribute_values(":seen_at", s(timestamp(previous.last_seen)))
                        .build()
                        .context("building a Put")?;
                    TransactWriteItem::builder().put(put).build()
                }
            };
            writes.push(write);
        }
        if let Some(campaign) = &commit.campaign {
            writes.push(notices::campaign_write(&self.table, campaign)?);
        }
        let mut rows = commit.obligations.iter();
        for write in rows.by_ref().take(TRANSACTION_MAX.saturating_sub(writes.len())) {
            writes.push(TransactWriteItem::builder().update(obligation_update(&self.table, write)?).build());
        }
        self.transact(writes).await.map_err(|error| match (error, commit.link_report) {
            (StoreError::Conflict(_), Some(report)) => {
                StoreError::Conflict(format!("{reference} or {report} was changed by someone else meanwhile"))
            }
            (other, _) => other,
        })?;
        // Rows beyond one transaction's limit (a breach touching dozens of jurisdictions at once)
        // follow in further transactions. They are projections of the record just committed, and
        // the next change to the incident rewrites any that a crash left behind.
        let rest: Vec<&ObligationWrite> = rows.collect();
        for chunk in rest.chunks(TRANSACTION_MAX) {
            let writes = chunk
                .iter()
                .map(|w| Ok(TransactWriteItem::builder().update(obligation_update(&self.table, w)?).build()))
                .collect::<Result<Vec<_>, StoreError>>()?;
            self.transact(writes).await?;
        }
        Ok(())
    }

    async fn commit_dismissal(&self, dismissal: ReportDismissal) -> Result<(), StoreError> {
        let report = dismissal.report;
        let mut writes = self.audit_writes(report, dismissal.previous.as_ref(), &dismissal.entries, &dismissal.head)?;
        let dismiss = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(report_pk(report), "REPORT")))
            .update_expression(
                "SET #status = :dismissed, dismissal_reason = :reason, GSI2PK = :status_pk ADD version :one",
            )
            .condition_expression("#status = :received AND attribute_not_exists(incident)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":dismissed", s(ReportStatus::Dismissed.as_str()))
            .expression_attribute_values(":received", s(ReportStatus::Received.as_str()))
            .expression_attribute_values(":reason", s(dismissal.reason))
            .expression_attribute_values(":status_pk", s(format!("REPORTS#{}", ReportStatus::Dismissed.as_str())))
            .expression_attribute_values(":one", n(1))
            .build()
            .context("building an Update")?;
        writes.push(TransactWriteItem::builder().update(dismiss).build());
        self.transact(writes).await.map_err(|error| match error {
            StoreError::Conflict(_) => StoreError::Conflict(format!("{report} was triaged by someone else meanwhile")),
            other => other,
        })
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

    async fn alert_key(&self, source: &str, key_name: &str) -> Result<Option<AlertKey>, StoreError> {
        let Some(item) = self.get(format!("ALERT#{source}"), &format!("KEY#{key_name}")).await? else {
            return Ok(None);
        };
        Ok(Some(AlertKey {
            incident: parse_with(&item, "incident", str::parse::<Reference>)?,
            last_seen: item.time("last_seen")?,
        }))
    }

    async fn attachment(&self, id: &str) -> Result<Option<StoredAttachment>, StoreError> {
        self.get(format!("ATTACHMENT#{id}"), "ATTACHMENT").await?.as_ref().map(attachment_from_item).transpose()
    }

    async fn due_obligations(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ScheduledObligation>, StoreError> {
        // Everything due by `now`: keys are `<time>#...`, and `~` sorts after every `#`.
        let until = format!("{}~", timestamp(now));
        let items = self
            .query_up_to(limit as usize, || {
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name(DUE_INDEX)
                    .key_condition_expression("GSI4PK = :due AND GSI4SK <= :until")
                    .expression_attribute_values(":due", s("DUE"))
                    .expression_attribute_values(":until", s(until.clone()))
            })
            .await?;
        items.iter().map(scheduled_from_item).collect()
    }

    async fn update_delivery(
        &self,
        subject: Reference,
        obligation: &str,
        expected_version: u64,
        deliveries: &Deliveries,
        next_check_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let deliveries = serde_json::to_string(deliveries).context("encoding deliveries")?;
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(subject_pk(subject), &obligation_sk(obligation))))
            .condition_expression("version = :seen")
            .expression_attribute_values(":seen", n(expected_version))
            .expression_attribute_values(":deliveries", s(deliveries))
            .expression_attribute_values(":one", n(1));
        request = match next_check_at {
            Some(at) => request
                .update_expression(
                    "SET deliveries = :deliveries, next_check_at = :next, GSI4PK = :due_pk, GSI4SK = :due_sk \
                     ADD version :one",
                )
                .expression_attribute_values(":next", s(timestamp(at)))
                .expression_attribute_values(":due_pk", s("DUE"))
                .expression_attribute_values(":due_sk", s(due_key(at, subject, obligation))),
            None => request.update_expression(
                "SET deliveries = :deliveries REMOVE next_check_at, GSI4PK, GSI4SK ADD version :one",
            ),
        };
        match request.send().await.map_err(store_error) {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    async fn scheduled_obligation(
        &self,
        subject: Reference,
        obligation: &str,
    ) -> Result<Option<ScheduledObligation>, StoreError> {
        self.get(subject_pk(subject), &obligation_sk(obligation)).await?.as_ref().map(scheduled_from_item).transpose()
    }

    async fn obligations_by_state(
        &self,
        state: ObligationState,
        page: PageRequest,
    ) -> Result<Page<ScheduledObligation>, StoreError> {
        let ascending = state == ObligationState::Open;
        let items = self
            .query_up_to(page.limit as usize + 1, || {
                let query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(STATUS_INDEX)
                    .expression_attribute_values(":pk", s(format!("OBLIGATIONS#{}", state.as_str())))
                    .scan_index_forward(ascending);
                match (&page.cursor, ascending) {
                    (Some(c), true) => query
                        .key_condition_expression("GSI2PK = :pk AND GSI2SK > :cursor")
                        .expression_attribute_values(":cursor", s(c.clone())),
                    (Some(c), false) => query
                        .key_condition_expression("GSI2PK = :pk AND GSI2SK < :cursor")
                        .expression_attribute_values(":cursor", s(c.clone())),
                    (None, _) => query.key_condition_expression("GSI2PK = :pk"),
                }
            })
            .await?;
        let mut items = items.iter().map(scheduled_from_item).collect::<Result<Vec<_>, _>>()?;
        let next_cursor = (items.len() > page.limit as usize).then(|| {
            items.truncate(page.limit as usize);
            items.last().map(|i| board_key(&i.row)).unwrap_or_default()
        });
        Ok(Page { items, next_cursor })
    }

    async fn policy_register(&self) -> Result<Option<(PolicyRegister, ChainHead)>, StoreError> {
        let Some(item) = self.get(REGISTER_PK.to_owned(), REGISTER_SK).await? else { return Ok(None) };
        let register: PolicyRegister = serde_json::from_str(item.text("record")?).map_err(|_| corrupt("record"))?;
        let head = self.audit_head(register.reference).await?.unwrap_or_else(ChainHead::genesis);
        Ok(Some((register, head)))
    }

    async fn commit_policy_register(&self, commit: RegisterCommit) -> Result<(), StoreError> {
        let reference = commit.register.reference;
        let mut writes = self.audit_writes(reference, commit.previous.as_ref(), &commit.entries, &commit.head)?;
        let mut item = key(REGISTER_PK.to_owned(), REGISTER_SK);
        item.insert("reference".into(), s(reference.to_string()));
        item.insert(
            "record".into(),
            s(serde_json::to_string(&commit.register).context("encoding the policy register")?),
        );
        // The head's condition guards an update; a first write must also find no register at all.
        let condition = match commit.previous {
            None => "attribute_not_exists(PK)",
            Some(_) => "#reference = :reference",
        };
        let mut register = Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        if commit.previous.is_some() {
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

    #[test]
    fn cursors_must_be_a_time_and_a_reference() {
        assert!(checked_cursor(Some("2026-11-23T10:00:00.000000Z#TOC-2026-000001")).is_ok());
        for bad in ["", "abc", "2026-11-23#TOC-2026-000001", "2026-11-23T10:00:00Z#nope"] {
            assert!(matches!(checked_cursor(Some(bad)), Err(StoreError::InvalidCursor)), "{bad}");
        }
    }
}
