//! Incidents: their records, the reports linked to them, and the alert keys that route a
//! monitoring source's alerts to the incident they opened.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{IncidentSummary, Page, ReportSummary};
use shared::audit::{AuditEntry, ChainHead};
use shared::record::IncidentRecord;
use shared::reference::{Reference, ReferenceKind};

use super::error::StoreError;
use super::notices::CampaignWrite;
use super::obligations::ObligationWrite;
use super::paging::PageRequest;

/// One change to an incident, as the store must write it atomically.
#[derive(Debug, Clone)]
pub struct IncidentCommit {
    pub record: IncidentRecord,
    /// The chain head the change was decided against; `None` when the incident is new.
    pub previous: Option<ChainHead>,
    pub entries: Vec<AuditEntry>,
    pub head: ChainHead,
    /// A report to link to the incident; it must still be waiting for triage.
    pub link_report: Option<Reference>,
    pub alert_key: Option<AlertKeyWrite>,
    /// Obligation rows that changed with the record.
    pub obligations: Vec<ObligationWrite>,
    pub campaign: Option<CampaignWrite>,
}

/// The incident a monitoring source's key last opened or updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertKey {
    pub incident: Reference,
    pub last_seen: DateTime<Utc>,
}

/// Points an alert key at the incident being committed; `previous` is what was read, so two
/// concurrent alerts cannot both open an incident.
#[derive(Debug, Clone)]
pub struct AlertKeyWrite {
    pub source: String,
    pub key: String,
    pub previous: Option<AlertKey>,
    pub last_seen: DateTime<Utc>,
}

/// Incidents and the links to their reports. Every change is one [`IncidentCommit`]: the record,
/// its audit entries, and what changes with it (a report linked, an alert key, obligation rows, a
/// campaign), conditional on the chain head it was decided against.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Takes the next number of the year for a new incident or report reference.
    async fn next_reference(&self, kind: ReferenceKind, year: i32) -> Result<Reference, StoreError>;
    /// An incident's record and its audit chain head (whose `seq` is the record's version).
    async fn incident(&self, reference: Reference) -> Result<Option<(IncidentRecord, ChainHead)>, StoreError>;
    /// The reports linked to an incident, in the order they were received.
    async fn incident_reports(&self, incident: Reference) -> Result<Vec<ReportSummary>, StoreError>;
    /// Newest first.
    async fn list_incidents(&self, page: PageRequest) -> Result<Page<IncidentSummary>, StoreError>;
    /// Writes an incident change in one transaction: the new record, its audit entries and head,
    /// and any report link or alert key. Fails with a conflict, changing nothing, if the chain head
    /// is no longer `previous`, the report is no longer waiting for triage, or the alert key moved.
    async fn commit_incident(&self, commit: IncidentCommit) -> Result<(), StoreError>;
    async fn alert_key(&self, source: &str, key: &str) -> Result<Option<AlertKey>, StoreError>;
}
