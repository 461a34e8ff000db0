//! The tamper-evident audit trail: one hash chain per subject (an incident, a report, the policy register or
//! a year's security log).
//!
//! Each entry's body is canonical JSON (serde_json of [`AuditBody`]: fields in declaration order,
//! no whitespace, no maps, no floats), and its hash is the SHA-256 of those bytes. The body holds
//! the previous entry's hash, so changing, removing, inserting or reordering any entry breaks every
//! link after it. The store keeps the chain's head (sequence and hash) next to the subject and
//! writes it in the same transaction, which is what exposes a truncated tail.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::record::IncidentEvent;
use crate::reference::{Reference, ReferenceKind};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened to a report outside any incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReportEvent {
    Dismissed {
        reason: String,
    },
    /// The reporter was emailed the report's new status.
    ReporterNotified {
        status: crate::report::ReportStatus,
        message_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum AuditEvent {
    Incident(IncidentEvent),
    Report(ReportEvent),
    Policy(crate::policy::PolicyEvent),
    Security(crate::access::SecurityEvent),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditBody {
    pub seq: u64,
    pub subject: Reference,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub event: AuditEvent,
    pub prev_hash: String,
}

/// One entry as stored: the canonical body and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub body: String,
    pub hash: String,
}

/// The last entry of a chain, as the store keeps it with the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: u64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> Self {
        Self { seq: 0, hash: GENESIS.to_owned() }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Chains `events` onto `head`: each entry hashes its body, and the body names the hash before it.
pub fn seal(
    head: &ChainHead,
    subject: Reference,
    at: DateTime<Utc>,
    actor: &str,
    events: impl IntoIterator<Item = AuditEvent>,
) -> (Vec<AuditEntry>, ChainHead) {
    let mut head = head.clone();
    let mut entries = Vec::new();
    for event in events {
        let body =
            AuditBody { seq: head.seq + 1, subject, at, actor: actor.to_owned(), event, prev_hash: head.hash.clone() };
        let body = serde_json::to_string(&body).expect("audit bodies have no maps or floats, so they serialise");
        let hash = sha256_hex(body.as_bytes());
        head = ChainHead { seq: head.seq + 1, hash: hash.clone() };
        entries.push(AuditEntry { seq: head.seq, body, hash });
    }
    (entries, head)
}

/// The first place a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenLink {
    /// The sequence number where the chain breaks (the entry found there, or the one missing).
    pub seq: u64,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub subject: Reference,
    pub entries_checked: u64,
    pub head: Option<ChainHead>,
    pub broken: Option<BrokenLink>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// A full check's last line: how many chains of each kind were checked and how many are broken.
pub fn check_summary(verifications: &[Verification]) -> String {
    let count = |kind: ReferenceKind| verifications.iter().filter(|v| v.subject.kind == kind).count();
    let broken = verifications.iter().filter(|v| !v.is_intact()).count();
    format!(
        "{} chain(s) checked: {} incident(s), {} report(s), {} policy register, {} security log(s); {broken} broken",
        verifications.len(),
        count(ReferenceKind::Incident),
        count(ReferenceKind::Report),
        count(ReferenceKind::Policy),
        count(ReferenceKind::Security),
    )
}

/// Walks the chain in stored order and reports the first broken link, checking the end against
/// the head the store keeps (`None` when the subject has no head: then the chain must be empty).
pub fn verify(subject: Reference, entries: &[AuditEntry], head: Option<&ChainHead>) -> Verification {
    let mut previous = ChainHead::genesis();
    let broken = |seq: u64, problem: String| Some(BrokenLink { seq, problem });
    let outcome = |checked: u64, broken: Option<BrokenLink>| Verification {
        subject,
        entries_checked: checked,
        head: head.cloned(),
        broken,
    };
    for (index, entry) in entries.iter().enumerate() {
        let expected = previous.seq + 1;
        let checked = index as u64;
        if entry.seq != expected {
            return outcome(checked, broken(expected, format!("expected entry {expected}, found entry {}", entry.seq)));
        }
        let body: AuditBody = match serde_json::from_str(&entry.body) {
            Ok(body) => body,
            Err(e) => return outcome(checked, broken(expected, format!("the entry cannot be read: {e}"))),
        };
        if serde_json::to_string(&body).ok().as_deref() != Some(entry.body.as_str()) {
            return outcome(checked, broken(expected, "the entry is not in canonical form: it was edited".into()));
        }
        if body.seq != entry.seq || body.subject != subject {
            return outcome(checked, broken(expected, "the entry belongs elsewhere in this or another chain".into()));
        }
        if body.prev_hash != previous.hash {
            return outcome(checked, broken(expected, "the entry does not follow the one before it".into()));
        }
        let hash = sha256_hex(entry.body.as_bytes());
        if hash != entry.hash {
            return outcome(checked, broken(expected, "the entry's content does not match its hash".into()));
        }
        previous = ChainHead { seq: entry.seq, hash };
    }
    let checked = entries.len() as u64;
    let end = match head {
        Some(head) if *head != previous => broken(
            previous.seq + 1,
            format!("the chain ends at entry {} but its head records entry {}", previous.seq, head.seq),
        ),
        None if previous.seq > 0 => broken(previous.seq, "entries exist but no chain head was recorded".into()),
        _ => None,
    };
    outcome(checked, end)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::reference::ReferenceKind;

    fn chain(length: u64) -> (Reference, Vec<AuditEntry>, ChainHead) {
        chain_of(Reference::new(ReferenceKind::Incident, 2026, 7), length)
    }

    fn chain_of(subject: Reference, length: u64) -> (Reference, Vec<AuditEntry>, ChainHead) {
        let start = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let mut head = ChainHead::genesis();
        let mut all = Vec::new();
        for i in 0..length {
            let event = AuditEvent::Incident(IncidentEvent::NoteAdded { markdown: format!("note {i} with **bold**") });
            let (entries, next) = seal(&head, subject, start + Duration::seconds(i as i64), "ann", [event]);
            all.extend(entries);
            head = next;
        }
        (subject, all, head)
    }

    const LENGTH: u64 = 3_000;

    #[test]
    fn an_untouched_chain_verifies() {
        let (subject, entries, head) = chain(LENGTH);
        let verification = verify(subject, &entries, Some(&head));
        assert!(verification.is_intact(), "{verification:?}");
        assert_eq!(verification.entries_checked, LENGTH);
        assert!(verify(subject, &[], None).is_intact());
    }

    fn assert_broken_at(entries: &[AuditEntry], head: &ChainHead, subject: Reference, seq: u64, what: &str) {
        let verification = verify(subject, entries, Some(head));
        let broken = verification.broken.unwrap_or_else(|| panic!("{what} was not detected"));
        assert_eq!(broken.seq, seq, "{what}: {}", broken.problem);
    }

    #[test]
    fn every_edit_is_detected_at_its_entry() {
        let (subject, entries, head) = chain(LENGTH);
        for position in [0, 1, 1_499, 2_998, 2_999] {
            let mut edited = entries.clone();
            edited[position].body = edited[position].body.replace("**bold**", "**BOLD**");
            assert_broken_at(&edited, &head, subject, position as u64 + 1, "an edited body");

            // Rewriting the body and its own hash still breaks the next link (or the head).
            let mut rehashed = edited.clone();
            rehashed[position].hash = sha256_hex(rehashed[position].body.as_bytes());
            assert_broken_at(&rehashed, &head, subject, position as u64 + 2, "an edit with a fresh hash");

            let mut reformatted = entries.clone();
            reformatted[position].body = reformatted[position].body.replacen(':', ": ", 1);
            assert_broken_at(&reformatted, &head, subject, position as u64 + 1, "a re-formatted body");
        }
    }

    #[test]
    fn deletion_insertion_reordering_and_truncation_are_detected() {
        let (subject, entries, head) = chain(LENGTH);
        for position in [0usize, 700, 2_998] {
            let mut deleted = entries.clone();
            deleted.remove(position);
            assert_broken_at(&deleted, &head, subject, position as u64 + 1, "a deleted entry");

            let mut inserted = entries.clone();
            let copy = inserted[position].clone();
            inserted.insert(position, copy);
            assert_broken_at(&inserted, &head, subject, position as u64 + 2, "a duplicated entry");

            let mut reordered = entries.clone();
            reordered.swap(position, position + 1);
            assert_broken_at(&reordered, &head, subject, position as u64 + 1, "swapped entries");
        }
        for keep in [0usize, 1, 2_000, 2_999] {
            assert_broken_at(&entries[..keep], &head, subject, keep as u64 + 1, "a truncated tail");
        }
        // Another incident's entry, with a head that matches it, still does not belong here.
        let (_, foreign, _) = chain_of(Reference::new(ReferenceKind::Incident, 2026, 8), 3);
        let mut spliced = entries[..2].to_vec();
        spliced.push(foreign[2].clone());
        let spliced_head = ChainHead { seq: 3, hash: foreign[2].hash.clone() };
        assert_broken_at(&spliced, &spliced_head, subject, 3, "an entry from another chain");
    }

    #[test]
    fn a_forged_middle_entry_with_renumbered_tail_is_still_detected() {
        let (subject, entries, head) = chain(50);
        // An attacker re-seals everything from entry 10 on, but cannot change the stored head.
        let mut forged = entries[..9].to_vec();
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
        let prefix_head = ChainHead { seq: 9, hash: entries[8].hash.clone() };
        let events =
            (0..41).map(|i| AuditEvent::Incident(IncidentEvent::NoteAdded { markdown: format!("forged {i}") }));
        let (tail, forged_head) = seal(&prefix_head, subject, at, "mallory", events);
        forged.extend(tail);
        assert!(verify(subject, &forged, Some(&forged_head)).is_intact(), "a full re-seal matches its own head");
        assert_broken_at(&forged, &head, subject, 51, "a re-sealed tail against the kept head");
    }
}
