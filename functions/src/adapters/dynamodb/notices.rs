//! The AWS store's notice campaigns, deliveries and suppression list (keys in `docs/dynamodb.md`).
//! A campaign's deliveries share its partition, so the sender and the progress counts are queries.

use std::collections::HashMap;

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};
use shared::notices::{DeliveryCounts, DeliveryKind, DeliveryState, MailEvent, MailOutcome, Recipient};

use super::attributes::{Attributes, Item, corrupt, n, s, timestamp};
use super::keys::{ACTIVE_CAMPAIGNS, RECENCY_INDEX, campaign_pk, delivery_sk, key, suppression_pk};
use super::store::{DynamoStore, if_condition_held, put, store_error};
use crate::ports::{Campaign, CampaignWrite, DeliveryPage, DeliveryRow, NoticeStore, StoreError, StoreResult};

/// The outcome flags, one attribute each, so merging an event is a `SET` that repeats harmlessly.
const OUTCOME_FLAGS: [(&str, MailEvent); 4] = [
    ("delivered", MailEvent::Delivered),
    ("soft_bounced", MailEvent::SoftBounce),
    ("hard_bounced", MailEvent::HardBounce),
    ("complained", MailEvent::Complaint),
];

fn json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).context("encoding a delivery").map_err(StoreError::Unexpected)
}

fn delivery_from_item(item: &Item) -> StoreResult<DeliveryRow> {
    let seq = item.text("SK")?.trim_start_matches("DELIVERY#").parse().map_err(|_| corrupt("SK"))?;
    let recipient = serde_json::from_str(item.text("recipient")?).map_err(|_| corrupt("recipient"))?;
    let state = serde_json::from_str(item.text("state")?).map_err(|_| corrupt("state"))?;
    let flag = |name: &str| item.get(name).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false);
    let outcome = OUTCOME_FLAGS
        .iter()
        .filter(|(name, _)| flag(name))
        .fold(MailOutcome::default(), |outcome, (_, event)| outcome.merge(*event));
    Ok(DeliveryRow { seq, recipient, state, outcome })
}

/// Starts or finishes a campaign inside an incident's transaction.
pub(super) fn campaign_write(table: &str, write: &CampaignWrite) -> StoreResult<TransactWriteItem> {
    match write {
        CampaignWrite::Start(campaign) => {
            let mut item = key(campaign_pk(&campaign.list), "CAMPAIGN");
            item.extend([
                ("incident".to_owned(), s(campaign.incident.to_string())),
                ("notice_id".to_owned(), n(campaign.notice_id)),
                ("started_at".to_owned(), s(timestamp(campaign.started_at))),
                ("GSI1PK".to_owned(), s(ACTIVE_CAMPAIGNS)),
                ("GSI1SK".to_owned(), s(format!("{}#{}", timestamp(campaign.started_at), campaign.list))),
            ]);
            put(table, item, Some("attribute_not_exists(PK)"))
        }
        CampaignWrite::Finish { list } => {
            let update = Update::builder()
                .table_name(table)
                .set_key(Some(key(campaign_pk(list), "CAMPAIGN")))
                .update_expression("SET finished = :true REMOVE GSI1PK, GSI1SK")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .build()
                .context("building an Update")?;
            Ok(TransactWriteItem::builder().update(update).build())
        }
    }
}

#[async_trait]
impl NoticeStore for DynamoStore {
    async fn insert_recipients(&self, list: &str, first_seq: u32, recipients: &[Recipient]) -> StoreResult<()> {
        let pending = json(&DeliveryState::Pending)?;
        let items = recipients
            .iter()
            .enumerate()
            .map(|(index, recipient)| {
                let mut item = key(campaign_pk(list), &delivery_sk(first_seq + index as u32));
                item.extend([
                    ("recipient".to_owned(), s(json(recipient)?)),
                    ("state".to_owned(), s(pending.clone())),
                    ("kind".to_owned(), s(DeliveryKind::Pending.as_str())),
                ]);
                Ok(item)
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // A list id is new for every choice of recipients, so no item here exists yet.
        self.batch_put(items).await
    }

    async fn active_campaigns(&self) -> StoreResult<Vec<Campaign>> {
        let items = self.query_all(Some(RECENCY_INDEX), "GSI1PK", ACTIVE_CAMPAIGNS.to_owned()).await?;
        let mut campaigns = items
            .iter()
            .map(|item| {
                Ok(Campaign {
                    list: item.text("PK")?.trim_start_matches("CAMPAIGN#").to_owned(),
                    incident: item.text("incident")?.parse().map_err(|_| corrupt("incident"))?,
                    notice_id: item.number("notice_id")?,
                    started_at: item.time("started_at")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        campaigns.sort_by(|a, b| (a.started_at, &a.list).cmp(&(b.started_at, &b.list)));
        Ok(campaigns)
    }

    async fn deliveries(&self, list: &str, page: DeliveryPage) -> StoreResult<Vec<DeliveryRow>> {
        let DeliveryPage { kind, after_seq, limit } = page;
        let items = self
            .query_up_to(limit as usize, || {
                let query = self
                    .query()
                    .consistent_read(true)
                    .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                    .expression_attribute_values(":pk", s(campaign_pk(list)))
                    .expression_attribute_values(":from", s(delivery_sk(after_seq.saturating_add(1))))
                    .expression_attribute_values(":to", s(delivery_sk(u32::MAX)));
                match kind {
                    Some(kind) => query
                        .filter_expression("#kind = :kind")
                        .expression_attribute_names("#kind", "kind")
                        .expression_attribute_values(":kind", s(kind.as_str())),
                    None => query,
                }
            })
            .await?;
        items.iter().map(delivery_from_item).collect()
    }

    async fn move_delivery(&self, list: &str, seq: u32, from: &DeliveryState, to: &DeliveryState) -> StoreResult<bool> {
        let result = self
            .update_item(campaign_pk(list), &delivery_sk(seq))
            .update_expression("SET #state = :to, #kind = :kind")
            .condition_expression("#state = :from")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_values(":to", s(json(to)?))
            .expression_attribute_values(":kind", s(to.kind().as_str()))
            .expression_attribute_values(":from", s(json(from)?))
            .send()
            .await
            .map_err(store_error);
        Ok(if_condition_held(result)?.is_some())
    }

    async fn merge_mail_event(&self, list: &str, seq: u32, event: MailEvent) -> StoreResult<Option<DeliveryRow>> {
        let Some((flag, _)) = OUTCOME_FLAGS.iter().find(|(_, e)| *e == event) else {
            // An event with no flag of its own changes nothing: the delivery as it is.
            let item = self.get(campaign_pk(list), &delivery_sk(seq)).await?;
            return item.as_ref().map(delivery_from_item).transpose();
        };
        let result = self
            .update_item(campaign_pk(list), &delivery_sk(seq))
            .update_expression("SET #flag = :true")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#flag", *flag)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(store_error);
        if_condition_held(result)?
            .map(|output| delivery_from_item(&output.attributes().cloned().unwrap_or_default()))
            .transpose()
    }

    async fn delivery_counts(&self, list: &str) -> StoreResult<DeliveryCounts> {
        let mut counts = DeliveryCounts::default();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let output = self
                .query()
                .consistent_read(true)
                .key_condition_expression("PK = :pk AND begins_with(SK, :deliveries)")
                .expression_attribute_values(":pk", s(campaign_pk(list)))
                .expression_attribute_values(":deliveries", s("DELIVERY#"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                let row = delivery_from_item(item)?;
                counts.add(&row.state, row.outcome);
            }
            match output.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => return Ok(counts),
            }
        }
    }

    async fn suppression(&self, email: &str) -> StoreResult<Option<String>> {
        let item = self.get(suppression_pk(email), "SUPPRESSED").await?;
        item.map(|i| i.text("reason").map(str::to_owned)).transpose()
    }

    async fn suppress(&self, email: &str, reason: &str) -> StoreResult<()> {
        let mut item = key(suppression_pk(email), "SUPPRESSED");
        item.insert("reason".into(), s(reason));
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)");
        if_condition_held(request.send().await.map_err(store_error))?;
        Ok(())
    }
}
