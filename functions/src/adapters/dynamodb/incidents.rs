//! Incidents, the reports linked to them, and alert keys. An incident's commit also writes its
//! audit entries, the report it links, its obligation rows and any campaign, in one transaction
//! (obligation rows beyond a transaction's limit follow in more).

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use shared::api::{IncidentSummary, Page, ReportSummary};
use shared::audit::ChainHead;
use shared::record::IncidentRecord;
use shared::reference::{Reference, ReferenceKind};
use shared::report::ReportStatus;

use super::attributes::{Attributes, n, parse_with, s, timestamp};
use super::codec::{incident_record, report_summary};
use super::keys::{INCIDENT_INDEX, RECENCY_INDEX, alert_pk, alert_sk, incident_pk, key, recency_key, report_pk};
use super::notices::campaign_write;
use super::obligations::obligation_update;
use super::store::{DynamoStore, TRANSACTION_MAX, put};
use crate::ports::{
    AlertKey, AuditStore, IncidentCommit, IncidentStore, ObligationWrite, PageRequest, StoreError, StoreResult,
};

#[async_trait]
impl IncidentStore for DynamoStore {
    async fn next_reference(&self, kind: ReferenceKind, year: i32) -> StoreResult<Reference> {
        Ok(Reference::new(kind, year, self.next_number(kind, year).await?))
    }

    async fn incident(&self, reference: Reference) -> StoreResult<Option<(IncidentRecord, ChainHead)>> {
        let Some(item) = self.get(incident_pk(reference), "INCIDENT").await? else { return Ok(None) };
        let head = self.audit_head(reference).await?.unwrap_or_else(ChainHead::genesis);
        Ok(Some((incident_record(&item)?, head)))
    }

    async fn incident_reports(&self, incident: Reference) -> StoreResult<Vec<ReportSummary>> {
        let linked = self.query_all(Some(INCIDENT_INDEX), "GSI3PK", incident_pk(incident)).await?;
        linked.iter().map(report_summary).collect()
    }

    async fn list_incidents(&self, page: PageRequest) -> StoreResult<Page<IncidentSummary>> {
        let (items, next_cursor) = self.recent_page(RECENCY_INDEX, "INCIDENTS".to_owned(), &page).await?;
        let items = items
            .iter()
            .map(|item| Ok(IncidentSummary::of(&incident_record(item)?, item.number("report_count")?)))
            .collect::<StoreResult<_>>()?;
        Ok(Page { items, next_cursor })
    }

    async fn commit_incident(&self, commit: IncidentCommit) -> StoreResult<()> {
        let reference = commit.record.reference;
        let mut writes = self.audit_writes(reference, &commit.chain)?;
        let record = serde_json::to_string(&commit.record).context("encoding the incident record")?;
        let linked = u32::from(commit.link_report.is_some());
        if commit.chain.previous.is_none() {
            let mut item = key(incident_pk(reference), "INCIDENT");
            item.extend([
                ("reference".to_owned(), s(reference.to_string())),
                ("title".to_owned(), s(&commit.record.title)),
                ("opened_at".to_owned(), s(timestamp(commit.record.opened_at))),
                ("record".to_owned(), s(record)),
                ("report_count".to_owned(), n(linked)),
                ("version".to_owned(), n(commit.chain.head.seq)),
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
                .expression_attribute_values(":version", n(commit.chain.head.seq))
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
            let mut item = key(alert_pk(&alert.source), &alert_sk(&alert.key));
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
            writes.push(campaign_write(&self.table, campaign)?);
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
                .collect::<StoreResult<Vec<_>>>()?;
            self.transact(writes).await?;
        }
        Ok(())
    }

    async fn alert_key(&self, source: &str, key_name: &str) -> StoreResult<Option<AlertKey>> {
        let Some(item) = self.get(alert_pk(source), &alert_sk(key_name)).await? else {
            return Ok(None);
        };
        Ok(Some(AlertKey {
            incident: parse_with(&item, "incident", str::parse::<Reference>)?,
            last_seen: item.time("last_seen")?,
        }))
    }
}
