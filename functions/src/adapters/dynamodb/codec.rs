//! Items to records: the decoders of what the port files read, and the inbound message's item.

use anyhow::Context;
use shared::api::ReportSummary;
use shared::attachment::AttachmentKind;
use shared::inbound::{EmailIntake, InboundMessage};
use shared::record::IncidentRecord;
use shared::reference::Reference;
use shared::report::{ReportStatus, ReporterKind, headline};

use super::attributes::{Attributes, Item, corrupt, parse_with, s, timestamp};
use super::keys::{inbound_pk, key};
use crate::ports::{Deliveries, ObligationRow, ScheduledObligation, StoreResult, StoredAttachment};

pub(super) fn inbound_item(message: &InboundMessage) -> StoreResult<Item> {
    let mut item = key(inbound_pk(&message.message_key), "INBOUND");
    item.extend([
        ("body".to_owned(), s(serde_json::to_string(message).context("encoding an inbound message")?)),
        ("GSI1PK".to_owned(), s("INBOUND")),
        ("GSI1SK".to_owned(), s(format!("{}#{}", timestamp(message.received_at), inbound_pk(&message.message_key)))),
    ]);
    Ok(item)
}

pub(super) fn inbound_from_item(item: &Item) -> StoreResult<InboundMessage> {
    serde_json::from_str(item.text("body")?).map_err(|_| corrupt("body"))
}

pub(super) fn email_intake(item: &Item) -> StoreResult<Option<EmailIntake>> {
    item.optional_text("email_intake")
        .map(|json| serde_json::from_str(&json).map_err(|_| corrupt("email_intake")))
        .transpose()
}

pub(super) fn attachment_from_item(item: &Item) -> StoreResult<StoredAttachment> {
    Ok(StoredAttachment {
        id: item.text("id")?.to_owned(),
        file_name: item.text("file_name")?.to_owned(),
        kind: parse_with(item, "kind", |k| AttachmentKind::from_name(k).ok_or(()))?,
        size_bytes: item.number("size_bytes")?,
        sha256: item.text("sha256")?.to_owned(),
        storage_key: item.text("storage_key")?.to_owned(),
    })
}

pub(super) fn report_summary(item: &Item) -> StoreResult<ReportSummary> {
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

pub(super) fn scheduled_from_item(item: &Item) -> StoreResult<ScheduledObligation> {
    let row: ObligationRow = serde_json::from_str(item.text("row")?).map_err(|_| corrupt("row"))?;
    let deliveries: Deliveries = serde_json::from_str(item.text("deliveries")?).map_err(|_| corrupt("deliveries"))?;
    let next_check_at = item.get("next_check_at").map(|_| item.time("next_check_at")).transpose()?;
    Ok(ScheduledObligation { row, deliveries, version: item.number("version")?, next_check_at })
}

/// The `record` attribute, or for incidents opened before the workflow existed, a record rebuilt
/// from their title and opening time.
pub(super) fn incident_record(item: &Item) -> StoreResult<IncidentRecord> {
    if let Some(json) = item.optional_text("record") {
        return serde_json::from_str(&json).map_err(|_| corrupt("record"));
    }
    let reference = parse_with(item, "reference", str::parse::<Reference>)?;
    Ok(IncidentRecord::predating_workflow(reference, item.text("title")?.to_owned(), item.time("opened_at")?))
}
