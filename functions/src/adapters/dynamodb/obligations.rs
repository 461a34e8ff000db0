//! The obligation rows: written with the incident or register change that moves them (on the due
//! index while a step is pending), read by the deadline checker and the board (by state).

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::Update;
use chrono::{DateTime, Utc};
use shared::api::Page;
use shared::reference::Reference;

use super::attributes::{n, s, timestamp};
use super::codec::scheduled_from_item;
use super::keys::{DUE_INDEX, STATUS_INDEX, due_key, key, obligation_sk, subject_pk};
use super::store::{DynamoStore, if_condition_held, store_error};
use crate::ports::{
    DeliveryUpdate, ObligationState, ObligationStore, ObligationWrite, PageRequest, ScheduledObligation, StoreResult,
    board_key,
};

/// The update that writes an obligation row and keeps its delivery log: on the due index while
/// `check_at` is set, off it otherwise.
pub(super) fn obligation_update(table: &str, write: &ObligationWrite) -> StoreResult<Update> {
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

#[async_trait]
impl ObligationStore for DynamoStore {
    async fn due_obligations(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<ScheduledObligation>> {
        // Everything due by `now`: keys are `<time>#...`, and `~` sorts after every `#`.
        let until = format!("{}~", timestamp(now));
        let items = self
            .query_up_to(limit as usize, || {
                self.query()
                    .index_name(DUE_INDEX)
                    .key_condition_expression("GSI4PK = :due AND GSI4SK <= :until")
                    .expression_attribute_values(":due", s("DUE"))
                    .expression_attribute_values(":until", s(until.clone()))
            })
            .await?;
        items.iter().map(scheduled_from_item).collect()
    }

    async fn update_delivery(&self, update: DeliveryUpdate<'_>) -> StoreResult<bool> {
        let DeliveryUpdate { subject, obligation, expected_version, deliveries, next_check_at } = update;
        let deliveries = serde_json::to_string(deliveries).context("encoding deliveries")?;
        let mut request = self
            .update_item(subject_pk(subject), &obligation_sk(obligation))
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
        Ok(if_condition_held(request.send().await.map_err(store_error))?.is_some())
    }

    async fn scheduled_obligation(
        &self,
        subject: Reference,
        obligation: &str,
    ) -> StoreResult<Option<ScheduledObligation>> {
        self.get(subject_pk(subject), &obligation_sk(obligation)).await?.as_ref().map(scheduled_from_item).transpose()
    }

    async fn obligations_by_state(
        &self,
        state: ObligationState,
        page: PageRequest,
    ) -> StoreResult<Page<ScheduledObligation>> {
        let ascending = state == ObligationState::Open;
        let items = self
            .query_up_to(page.limit as usize + 1, || {
                let query = self
                    .query()
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
}
