//! The key design (`docs/dynamodb.md`): each item's `PK` and `SK`, the indexes and their keys.
//! Every key is made here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use shared::reference::{Reference, ReferenceKind};

use super::attributes::{Item, s, timestamp};
use crate::ports::{StoreError, StoreResult};

pub(super) const RECENCY_INDEX: &str = "GSI1";
pub(super) const STATUS_INDEX: &str = "GSI2";
pub(super) const INCIDENT_INDEX: &str = "GSI3";
/// Open obligations by their next check time; sparse: only rows with a step pending carry it.
pub(super) const DUE_INDEX: &str = "GSI4";

pub(super) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

/// A year's sequence of reference numbers.
pub(super) fn sequence_pk(sequence: &str, year: i32) -> String {
    format!("SEQ#{sequence}#{year}")
}

pub(super) fn report_pk(reference: Reference) -> String {
    format!("REPORT#{reference}")
}

/// The report a [`report_pk`] names.
pub(super) fn report_of_pk(pk: &str) -> Option<Reference> {
    pk.strip_prefix("REPORT#")?.parse().ok()
}

pub(super) fn incident_pk(reference: Reference) -> String {
    format!("INCIDENT#{reference}")
}

/// Where a subject's obligation rows live: beside the incident, or beside the policy register.
pub(super) fn subject_pk(subject: Reference) -> String {
    match subject.kind {
        ReferenceKind::Policy => format!("POLICY#{subject}"),
        _ => incident_pk(subject),
    }
}

/// The policy register's one item.
pub(super) const REGISTER_PK: &str = "POLICY";
pub(super) const REGISTER_SK: &str = "REGISTER";

pub(super) fn recency_key(at: DateTime<Utc>, reference: Reference) -> String {
    format!("{}#{reference}", timestamp(at))
}

/// A cursor is the last item's recency key: `<RFC 3339 time>#<reference>`.
pub(super) fn checked_cursor(cursor: Option<&str>) -> StoreResult<Option<String>> {
    let Some(cursor) = cursor else { return Ok(None) };
    let (time, reference) = cursor.split_once('#').ok_or(StoreError::InvalidCursor)?;
    DateTime::parse_from_rfc3339(time).map_err(|_| StoreError::InvalidCursor)?;
    reference.parse::<Reference>().map_err(|_| StoreError::InvalidCursor)?;
    Ok(Some(cursor.to_owned()))
}

/// Message ids are chosen by senders (any length): their digest keys the record.
pub(super) fn inbound_pk(message_key: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("INBOUND#{:x}", Sha256::digest(message_key.as_bytes()))
}

/// A report's follow-up token, by its SHA-256.
pub(super) fn follow_up_token_pk(hash: &[u8; 32]) -> String {
    format!("TOKEN#{}", hex(hash))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The receipt sent for a report, by its message id, so replies find the report.
pub(super) fn receipt_pk(message_id: &str) -> String {
    format!("RECEIPT#{message_id}")
}

/// An attachment's metadata by its id, beside the copy in its report's partition.
pub(super) fn attachment_pk(id: &str) -> String {
    format!("ATTACHMENT#{id}")
}

/// A monitoring source's alert keys share its partition.
pub(super) fn alert_pk(source: &str) -> String {
    format!("ALERT#{source}")
}

pub(super) fn alert_sk(key_name: &str) -> String {
    format!("KEY#{key_name}")
}

pub(super) fn obligation_sk(id: &str) -> String {
    format!("OBLIGATION#{id}")
}

pub(super) fn due_key(at: DateTime<Utc>, subject: Reference, id: &str) -> String {
    format!("{}#{subject}#{id}", timestamp(at))
}

pub(super) const AUDIT_PREFIX: &str = "AUDIT#";

pub(super) fn audit_pk(subject: Reference) -> String {
    format!("{AUDIT_PREFIX}{subject}")
}

/// Zero-padded, so sort-key order is chain order.
pub(super) fn entry_sk(seq: u64) -> String {
    format!("ENTRY#{seq:010}")
}

pub(super) const ACCOUNTS_PK: &str = "ACCOUNTS";

pub(super) fn account_sk(id: &str) -> String {
    format!("ACCOUNT#{id}")
}

pub(super) fn email_pk(email: &str) -> String {
    format!("EMAIL#{email}")
}

pub(super) fn token_pk(hash: &str) -> String {
    format!("ACCOUNT_TOKEN#{hash}")
}

pub(super) fn session_pk(hash: &str) -> String {
    format!("SESSION#{hash}")
}

pub(super) fn spent_pk(key_name: &str) -> String {
    format!("SPENT#{key_name}")
}

pub(super) fn failures_pk(key_name: &str) -> String {
    format!("FAILURES#{key_name}")
}

pub(super) fn window_sk(window: DateTime<Utc>) -> String {
    format!("WINDOW#{}", timestamp(window))
}

pub(super) fn secret_pk(name: &str) -> String {
    format!("SECRET#{name}")
}

/// Active campaigns sit in the recency index under this key until they finish.
pub(super) const ACTIVE_CAMPAIGNS: &str = "CAMPAIGNS";

pub(super) fn campaign_pk(list: &str) -> String {
    format!("CAMPAIGN#{list}")
}

pub(super) fn delivery_sk(seq: u32) -> String {
    format!("DELIVERY#{seq:010}")
}

pub(super) fn suppression_pk(email: &str) -> String {
    format!("SUPPRESSED#{email}")
}

/// An incident's affected people: a `PERSON#<id>` item each and the `GROUPS` item of counts.
pub(super) fn people_pk(incident: Reference) -> String {
    format!("PEOPLE#{incident}")
}

pub(super) fn person_sk(id: &str) -> String {
    format!("PERSON#{id}")
}

/// Who was told for which duty: `TOLD#<incident>` / [`told_sk`].
pub(super) fn told_pk(incident: Reference) -> String {
    format!("TOLD#{incident}")
}

/// A person's length first, so one person's items share a prefix no other id has.
pub(super) fn told_person_prefix(person: &str) -> String {
    format!("{}:{person}|", person.len())
}

pub(super) fn told_sk(person: &str, duty: &str) -> String {
    format!("{}{duty}", told_person_prefix(person))
}

/// What an import staged, until it commits (or its items expire).
pub(super) fn staged_pk(incident: Reference, import: &str) -> String {
    format!("STAGED#{incident}#{import}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_must_be_a_time_and_a_reference() {
        assert!(checked_cursor(Some("2026-11-23T10:00:00.000000Z#TOC-2026-000001")).is_ok());
        for bad in ["", "abc", "2026-11-23#TOC-2026-000001", "2026-11-23T10:00:00Z#nope"] {
            assert!(matches!(checked_cursor(Some(bad)), Err(StoreError::InvalidCursor)), "{bad}");
        }
    }
}
