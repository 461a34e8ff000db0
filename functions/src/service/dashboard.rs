//! The response team's reads: report and incident lists, reports, attachments.

use shared::api::{DEFAULT_PAGE_SIZE, IncidentSummary, MAX_PAGE_SIZE, Page, ReportDetail, ReportSummary};
use shared::reference::Reference;
use shared::report::ReportStatus;

use super::error::ServiceError;
use super::services::Services;
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
        Ok(self.reports.list_reports(status, page).await?)
    }

    pub async fn report(&self, reference: Reference) -> Result<ReportDetail, ServiceError> {
        self.reports.report(reference).await?.ok_or(ServiceError::NotFound)
    }

    pub async fn list_incidents(&self, page: PageRequest) -> Result<Page<IncidentSummary>, ServiceError> {
        Ok(self.incidents.list_incidents(page).await?)
    }

    /// An attachment's metadata and bytes, for download.
    pub async fn attachment(&self, id: &str) -> Result<(StoredAttachment, Vec<u8>), ServiceError> {
        let attachment = self.reports.attachment(id).await?.ok_or(ServiceError::NotFound)?;
        let bytes = self.attachments.get(&attachment.storage_key).await?.ok_or(ServiceError::NotFound)?;
        Ok((attachment, bytes))
    }
}
