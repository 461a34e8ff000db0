//! The response team's reads: report and incident lists, reports, attachments.

use shared::access::{SecurityEvent, TeamRole};
use shared::api::{DEFAULT_PAGE_SIZE, IncidentSummary, MAX_PAGE_SIZE, Page, ReportDetail, ReportSummary};
use shared::inbound::{InboundMessage, InboundOutcome};
use shared::reference::Reference;
use shared::report::ReportStatus;

use super::access::Caller;
use super::error::ServiceError;
use super::services::Services;
use crate::ports::{PageRequest, StoredAttachment};

/// A page request from query parameters: the size defaults and is capped.
pub fn page_request(cursor: Option<String>, limit: Option<u32>) -> PageRequest {
    PageRequest { cursor, limit: limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE) }
}

impl Services {
    /// Reports, less those linked to an incident the caller may not see; a page may come back
    /// shorter than asked, and its cursor still leads on.
    pub async fn list_reports(
        &self,
        caller: &Caller,
        status: Option<ReportStatus>,
        page: PageRequest,
    ) -> Result<Page<ReportSummary>, ServiceError> {
        let mut page = self.reports.list_reports(status, page).await?;
        let linked: Vec<Reference> = page.items.iter().filter_map(|report| report.incident).collect();
        let hidden = self.hidden_from(caller, &linked).await?;
        page.items.retain(|report| report.incident.is_none_or(|incident| !hidden.contains(&incident)));
        Ok(page)
    }

    /// A report, unless it is linked to an incident the caller may not see.
    pub async fn report(&self, caller: &Caller, reference: Reference) -> Result<ReportDetail, ServiceError> {
        let report = self.stored_report(reference).await?;
        if let Some(incident) = report.incident {
            self.visible_incident(caller, incident).await?;
        }
        Ok(report)
    }

    pub(super) async fn stored_report(&self, reference: Reference) -> Result<ReportDetail, ServiceError> {
        self.reports.report(reference).await?.ok_or(ServiceError::NotFound)
    }

    /// Incidents the caller may see; a page may come back shorter than asked.
    pub async fn list_incidents(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> Result<Page<IncidentSummary>, ServiceError> {
        let mut page = self.incidents.list_incidents(page).await?;
        page.items.retain(|incident| incident.visible_to(&caller.account.id, caller.role()));
        Ok(page)
    }

    /// The newest messages sent to the security address: what each became, and those refused.
    /// The latest messages taken in or refused, but for those of reports linked to an incident the
    /// caller may not see.
    pub async fn inbound_messages(&self, caller: &Caller, limit: u32) -> Result<Vec<InboundMessage>, ServiceError> {
        let mut messages = self.reports.list_inbound(limit).await?;
        let mut incident_of = Vec::new();
        for message in &messages {
            if let InboundOutcome::Report { reference } | InboundOutcome::FollowUp { reference } = message.outcome
                && let Some(report) = self.reports.report(reference).await?
            {
                incident_of.push((reference, report.incident));
            }
        }
        let linked: Vec<Reference> = incident_of.iter().filter_map(|(_, incident)| *incident).collect();
        let hidden = self.hidden_from(caller, &linked).await?;
        messages.retain(|message| match &message.outcome {
            InboundOutcome::Report { reference } | InboundOutcome::FollowUp { reference } => !incident_of
                .iter()
                .any(|(report, incident)| report == reference && incident.is_some_and(|i| hidden.contains(&i))),
            InboundOutcome::Rejected { .. } => true,
        });
        Ok(messages)
    }

    /// An attachment's metadata and bytes, for download, if the caller may see its report; the
    /// download goes on the security log. A file whose report is not known is an admin's alone.
    pub async fn attachment(&self, caller: &Caller, id: &str) -> Result<(StoredAttachment, Vec<u8>), ServiceError> {
        let (report, attachment) = self.reports.attachment(id).await?.ok_or(ServiceError::NotFound)?;
        match report {
            Some(report) => self.ensure_visible(report, caller).await?,
            None if caller.role() == TeamRole::Admin => {}
            None => return Err(ServiceError::NotFound),
        }
        let bytes = self.attachments.get(&attachment.storage_key).await?.ok_or(ServiceError::NotFound)?;
        let what = format!("report attachment {:?} ({id})", attachment.file_name);
        self.log_security(caller.name(), SecurityEvent::Exported { what }).await?;
        Ok((attachment, bytes))
    }
}
