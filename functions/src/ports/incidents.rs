//! Incidents: their records, the reports linked to them, and the alert keys that route a
//! monitoring source's alerts to the incident they opened.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{IncidentSummary, Page, ReportSummary};
use shared::audit::ChainHead;
use shared::record::IncidentRecord;
use shared::reference::{Reference, ReferenceKind};

use super::audit::ChainAppend;
use super::error::StoreResult;
use super::notices::CampaignWrite;
use super::obligations::ObligationWrite;
use super::paging::PageRequest;

/// The counter a kind of reference is numbered from, each year afresh: its name in every store.
pub fn sequence_name(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Report => "report",
        ReferenceKind::Incident => "incident",
        ReferenceKind::Policy => "policy",
        ReferenceKind::Security => "security",
    }
}

/// One change to an incident, as the store must write it atomically.
#[derive(Debug, Clone)]
pub struct IncidentCommit {
    pub record: IncidentRecord,
    /// The audit entries, sealed on the head the change was decided against (`None`: a new incident).
    pub chain: ChainAppend,
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
    async fn next_reference(&self, kind: ReferenceKind, year: i32) -> StoreResult<Reference>;
    /// An incident's record and its audit chain head (whose `seq` is the record's version).
    async fn incident(&self, reference: Reference) -> StoreResult<Option<(IncidentRecord, ChainHead)>>;
    /// The reports linked to an incident, in the order they were received.
    async fn incident_reports(&self, incident: Reference) -> StoreResult<Vec<ReportSummary>>;
    /// Newest first.
    async fn list_incidents(&self, page: PageRequest) -> StoreResult<Page<IncidentSummary>>;
    /// Writes an incident change in one transaction: the new record, its audit entries and head,
    /// and any report link or alert key. Fails with a conflict, changing nothing, if the chain head
    /// is no longer `previous`, the report is no longer waiting for triage, or the alert key moved.
    async fn commit_incident(&self, commit: IncidentCommit) -> StoreResult<()>;
    async fn alert_key(&self, source: &str, key: &str) -> StoreResult<Option<AlertKey>>;
}
