//! The response team's reads and the first triage step: opening an incident from a report.

use shared::api::{
    DEFAULT_PAGE_SIZE, IncidentDetail, IncidentSummary, MAX_PAGE_SIZE, OpenIncidentForm, Page, ReportDetail,
    ReportSummary,
};
use shared::incident::IncidentTitle;
use shared::reference::Reference;
use shared::report::{ReportStatus, headline};
use shared::validation::ValidationErrors;

use super::{ServiceError, Services};
use crate::ports::{PageRequest, StoredAttachment};

/// A page request from query parameters: the size defaults and is capped.
pub fn page_request(cursor: Option<String>, limit: Option<u32>) -> PageRequest {
    PageRequest { cursor, limit: limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE) }
}

impl Services {
    pub async fn list_reports(
        &self,
        status: Option<ReportStatus>,
        page: PageRequest,
    ) -> Result<Page<ReportSummary>, ServiceError> {
        Ok(self.store.list_reports(status, page).await?)
    }

    pub async fn report(&self, reference: Reference) -> Result<ReportDetail, ServiceError> {
        self.store.report(reference).await?.ok_or(ServiceError::NotFound)
    }

    pub async fn open_incident(
        &self,
        report: Reference,
        form: OpenIncidentForm,
    ) -> Result<IncidentDetail, ServiceError> {
        let detail = self.report(report).await?;
        let raw_title = if form.title.trim().is_empty() { headline(&detail.description) } else { form.title };
        let title = IncidentTitle::parse(&raw_title).map_err(|message| {
            let mut errors = ValidationErrors::default();
            errors.push("title", message);
            errors
        })?;
        let incident = self.store.open_incident_from_report(report, title.into_inner(), self.clock.now()).await?;
        tracing::info!(%report, %incident, "incident opened from report");
        self.incident(incident).await
    }

    pub async fn list_incidents(&self, page: PageRequest) -> Result<Page<IncidentSummary>, ServiceError> {
        Ok(self.store.list_incidents(page).await?)
    }

    pub async fn incident(&self, reference: Reference) -> Result<IncidentDetail, ServiceError> {
        self.store.incident(reference).await?.ok_or(ServiceError::NotFound)
    }

    /// An attachment's metadata and bytes, for download.
    pub async fn attachment(&self, id: &str) -> Result<(StoredAttachment, Vec<u8>), ServiceError> {
        let attachment = self.store.attachment(id).await?.ok_or(ServiceError::NotFound)?;
        let bytes = self.attachments.get(&attachment.storage_key).await?.ok_or(ServiceError::NotFound)?;
        Ok((attachment, bytes))
    }
}
