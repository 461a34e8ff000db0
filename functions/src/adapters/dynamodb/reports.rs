//! Reports, their follow-ups and attachments' metadata, the inbound mail log and receipts, and
//! dismissal at triage. A report's items share its partition: the report, its files (`ATT#…`),
//! and each follow-up followed by its files.

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, Datelike, Utc};
use shared::api::{FollowUp, Page, ReportDetail, ReportSummary};
use shared::inbound::{InboundMessage, InboundOutcome};
use shared::reference::{Reference, ReferenceKind};
use shared::report::{ReportStatus, ReporterKind};
use uuid::Uuid;

use super::attributes::{Attributes, corrupt, n, parse_with, s, timestamp};
use super::codec::{attachment_from_item, email_intake, inbound_from_item, inbound_item, report_summary};
use super::keys::{
    RECENCY_INDEX, STATUS_INDEX, attachment_pk, follow_up_token_pk, inbound_pk, key, receipt_pk, recency_key,
    report_of_pk, report_pk,
};
use super::store::{DynamoStore, if_condition_held, put};
use crate::ports::{
    EmailArrival, FollowUpDraft, PageRequest, ReportDismissal, ReportDraft, ReportStore, StoreError, StoreResult,
    StoredAttachment,
};

/// The record of the message a report or follow-up came in, written with it: a message recorded
/// already fails the whole transaction.
fn arrival_write(
    table: &str,
    arrival: &EmailArrival,
    received_at: DateTime<Utc>,
    outcome: InboundOutcome,
) -> StoreResult<(TransactWriteItem, AttributeValue)> {
    let json = serde_json::to_string(&arrival.intake).context("encoding the email intake")?;
    let record = inbound_item(&arrival.record(received_at, outcome))?;
    Ok((put(table, record, Some("attribute_not_exists(PK)"))?, s(json)))
}

fn attachment_items(
    table: &str,
    pk: &str,
    sk_prefix: &str,
    attachments: &[StoredAttachment],
) -> StoreResult<Vec<TransactWriteItem>> {
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
        // The report the file came with, for deciding who may download it by id alone.
        by_id.insert("report_pk".into(), s(pk));
        by_id.insert("PK".into(), s(attachment_pk(&a.id)));
        by_id.insert("SK".into(), s("ATTACHMENT"));
        writes.push(put(table, item, Some("attribute_not_exists(PK)"))?);
        writes.push(put(table, by_id, Some("attribute_not_exists(PK)"))?);
    }
    Ok(writes)
}

#[async_trait]
impl ReportStore for DynamoStore {
    async fn insert_report(&self, draft: ReportDraft) -> StoreResult<Reference> {
        let year = draft.received_at.year();
        let reference =
            Reference::new(ReferenceKind::Report, year, self.next_number(ReferenceKind::Report, year).await?);
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
        let mut token = key(follow_up_token_pk(&draft.follow_up_token_hash), "TOKEN");
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

    async fn report(&self, reference: Reference) -> StoreResult<Option<ReportDetail>> {
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

    async fn report_reference_by_token(&self, token_hash: [u8; 32]) -> StoreResult<Option<Reference>> {
        let item = self.get(follow_up_token_pk(&token_hash), "TOKEN").await?;
        item.map(|i| parse_with(&i, "reference", str::parse::<Reference>)).transpose()
    }

    async fn add_follow_up(&self, report: Reference, follow_up: FollowUpDraft) -> StoreResult<()> {
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

    async fn list_reports(&self, status: Option<ReportStatus>, page: PageRequest) -> StoreResult<Page<ReportSummary>> {
        let (index, pk) = match status {
            Some(status) => (STATUS_INDEX, format!("REPORTS#{}", status.as_str())),
            None => (RECENCY_INDEX, "REPORTS".to_owned()),
        };
        let (items, next_cursor) = self.recent_page(index, pk, &page).await?;
        Ok(Page { items: items.iter().map(report_summary).collect::<Result<_, _>>()?, next_cursor })
    }

    async fn commit_dismissal(&self, dismissal: ReportDismissal) -> StoreResult<()> {
        let report = dismissal.report;
        let mut writes = self.audit_writes(report, &dismissal.chain)?;
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

    async fn attachment(&self, id: &str) -> StoreResult<Option<(Option<Reference>, StoredAttachment)>> {
        let Some(item) = self.get(attachment_pk(id), "ATTACHMENT").await? else { return Ok(None) };
        let report = item.optional_text("report_pk").and_then(|pk| report_of_pk(&pk));
        Ok(Some((report, attachment_from_item(&item)?)))
    }

    async fn record_inbound(&self, message: InboundMessage) -> StoreResult<bool> {
        let record = put(&self.table, inbound_item(&message)?, Some("attribute_not_exists(PK)"))?;
        Ok(if_condition_held(self.transact(vec![record]).await)?.is_some())
    }

    async fn inbound(&self, message_key: &str) -> StoreResult<Option<InboundMessage>> {
        let item = self.get(inbound_pk(message_key), "INBOUND").await?;
        item.as_ref().map(inbound_from_item).transpose()
    }

    async fn list_inbound(&self, limit: u32) -> StoreResult<Vec<InboundMessage>> {
        let page = PageRequest { cursor: None, limit };
        let (items, _) = self.recent_page(RECENCY_INDEX, "INBOUND".to_owned(), &page).await?;
        items.iter().map(inbound_from_item).collect()
    }

    async fn set_receipt_id(&self, report: Reference, message_id: &str) -> StoreResult<()> {
        if self.get(report_pk(report), "REPORT").await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut item = key(receipt_pk(message_id), "RECEIPT");
        item.insert("reference".into(), s(report.to_string()));
        self.transact(vec![put(&self.table, item, None)?]).await
    }

    async fn report_by_receipt_id(&self, message_id: &str) -> StoreResult<Option<Reference>> {
        let item = self.get(receipt_pk(message_id), "RECEIPT").await?;
        item.map(|i| parse_with(&i, "reference", str::parse::<Reference>)).transpose()
    }
}
