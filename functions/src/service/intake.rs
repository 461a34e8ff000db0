//! Intake: a public report with its files, the receipt email, and follow-ups through the private link.

use anyhow::Context;
use sha2::{Digest, Sha256};
use shared::api::{
    ClientSettings, FollowUp, FollowUpForm, FollowUpView, ReportForm, ReportReceipt, UploadMethod, UploadTicket,
    UploadTicketRequest, UploadedFile,
};
use shared::attachment::{AttachmentRefusal, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, classify, display_file_name};
use shared::report::{NewReport, headline, parse_follow_up_message};
use shared::validation::ValidationErrors;
use uuid::Uuid;

use super::email::ReceiptContext;
use super::error::ServiceError;
use super::services::{Services, Upload};
use super::token::SecretToken;
use crate::ports::{FollowUpDraft, ReportDraft, StoredAttachment};

/// Long enough for a slow connection to send 10 MB, short enough that a leaked ticket soon dies.
const UPLOAD_TICKET_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl Services {
    pub async fn submit_report(&self, form: ReportForm, uploads: Vec<Upload>) -> Result<ReportReceipt, ServiceError> {
        let ticket_usable_until = self.check_bot_barrier(&form).await?;
        let received_at = self.clock.now();
        let report = NewReport::parse(&form, received_at)?;
        let uploads = self.with_ticketed_uploads(uploads, &form.uploads).await?;
        // Last before storing: a form sent back for a correction keeps its ticket.
        self.spend_ticket(&form.ticket, ticket_usable_until).await?;
        let attachments = self.store_uploads(uploads).await?;
        let token = SecretToken::generate();
        let draft = ReportDraft {
            report: report.clone(),
            received_at,
            follow_up_token_hash: token.hash(),
            attachments: attachments.clone(),
            email: None,
        };
        let reference = match self.reports.insert_report(draft).await {
            Ok(reference) => reference,
            Err(error) => {
                self.discard(&attachments).await;
                return Err(error.into());
            }
        };
        tracing::info!(%reference, attachments = attachments.len(), "report received");

        let follow_up_url = format!("{}/follow-up#{}", self.public_url, token.as_str());
        let receipt_emailed = match &report.email {
            Some(email) => {
                let context = ReceiptContext {
                    name: report.name.clone(),
                    reference: reference.to_string(),
                    received_at: received_at.format("%Y-%m-%d %H:%M").to_string(),
                    follow_up_url: follow_up_url.clone(),
                    headline: headline(&report.description),
                    sender_name: self.sender_name.clone(),
                };
                // The report is already safe; a mail failure must not turn into a lost report.
                match self.send_receipt(email.clone(), &context).await {
                    Ok(()) => true,
                    Err(error) => {
                        tracing::error!(%reference, error = format!("{error:#}"), "receipt email failed");
                        false
                    }
                }
            }
            None => false,
        };
        Ok(ReportReceipt {
            reference,
            follow_up_url: (!receipt_emailed).then_some(follow_up_url),
            receipt_emailed,
            attachments: attachments.into_iter().map(Into::into).collect(),
        })
    }

    async fn send_receipt(&self, to: String, context: &ReceiptContext) -> anyhow::Result<()> {
        let email = self.templates.receipt(to, context)?;
        self.mailer.send(&email).await.map(drop)
    }

    pub async fn follow_up_view(&self, token: Option<&str>) -> Result<FollowUpView, ServiceError> {
        let reference = self.reference_for_token(token).await?;
        let report = self.reports.report(reference).await?.ok_or(ServiceError::NotFound)?;
        Ok(FollowUpView {
            reference: report.reference,
            status: report.status,
            status_label: report.status.label().to_owned(),
            received_at: report.received_at,
            description: report.description,
            attachments: report.attachments,
            follow_ups: report.follow_ups,
            dismissal_reason: report.dismissal_reason,
        })
    }

    pub async fn add_follow_up(
        &self,
        token: Option<&str>,
        form: FollowUpForm,
        uploads: Vec<Upload>,
    ) -> Result<FollowUp, ServiceError> {
        let reference = self.reference_for_token(token).await?;
        let has_files = !uploads.is_empty() || !form.uploads.is_empty();
        let message = parse_follow_up_message(&form.message, has_files).map_err(|message| {
            let mut errors = ValidationErrors::default();
            errors.push("message", message);
            errors
        })?;
        let attachments = self.store_uploads(uploads).await?;
        let draft = FollowUpDraft {
            message: message.clone(),
            received_at: self.clock.now(),
            attachments: attachments.clone(),
            email: None,
        };
        let received_at = draft.received_at;
        if let Err(error) = self.reports.add_follow_up(reference, draft).await {
            self.discard(&attachments).await;
            return Err(error.into());
        }
        tracing::info!(%reference, attachments = attachments.len(), "follow-up received");
        Ok(FollowUp {
            message,
            received_at,
            attachments: attachments.into_iter().map(Into::into).collect(),
            email: None,
        })
    }

    async fn reference_for_token(&self, token: Option<&str>) -> Result<shared::reference::Reference, ServiceError> {
        let token = token.and_then(SecretToken::parse).ok_or(ServiceError::NotFound)?;
        self.reports.report_reference_by_token(token.hash()).await?.ok_or(ServiceError::NotFound)
    }

    pub fn client_settings(&self) -> ClientSettings {
        let upload_method =
            if self.attachments.takes_direct_uploads() { UploadMethod::Ticket } else { UploadMethod::Multipart };
        ClientSettings { upload_method, single_sign_on: self.oidc.is_some() }
    }

    /// Signs one direct upload, after the checks that need no content (size, count is per form).
    pub async fn upload_ticket(&self, request: UploadTicketRequest) -> Result<UploadTicket, ServiceError> {
        if !self.attachments.takes_direct_uploads() {
            return Err(ServiceError::NotFound);
        }
        let file_name = display_file_name(&request.file_name);
        if request.size_bytes == 0 {
            return Err(AttachmentRefusal::Empty { file_name }.into());
        }
        if request.size_bytes > MAX_ATTACHMENT_BYTES {
            return Err(AttachmentRefusal::TooLarge { file_name }.into());
        }
        let upload_id = Uuid::now_v7().to_string();
        let expires_at =
            self.clock.now() + chrono::Duration::from_std(UPLOAD_TICKET_LIFETIME).context("ticket lifetime")?;
        let signed = self.attachments.sign_upload(&upload_id, request.size_bytes, UPLOAD_TICKET_LIFETIME).await?;
        Ok(UploadTicket { upload_id, url: signed.url, headers: signed.headers, expires_at })
    }

    /// Adds the files a form names by upload id to those that came inside it. Nothing is taken
    /// when the count is over the limit, so the reporter can retry with fewer files.
    pub(super) async fn with_ticketed_uploads(
        &self,
        mut uploads: Vec<Upload>,
        named: &[UploadedFile],
    ) -> Result<Vec<Upload>, ServiceError> {
        if uploads.len() + named.len() > MAX_ATTACHMENTS {
            return Err(AttachmentRefusal::TooMany.into());
        }
        for file in named {
            let missing = || {
                let mut errors = ValidationErrors::default();
                errors.push(
                    "attachments",
                    format!(
                        "{} was not uploaded, or its upload expired; attach it again",
                        display_file_name(&file.file_name)
                    ),
                );
                ServiceError::Validation(errors)
            };
            // Ids are ours (UUIDs); anything else cannot name an upload.
            let id = Uuid::parse_str(&file.upload_id).map_err(|_| missing())?.to_string();
            let bytes = self.attachments.take_upload(&id).await?.ok_or_else(missing)?;
            uploads.push(Upload { file_name: file.file_name.clone(), bytes });
        }
        Ok(uploads)
    }

    /// Checks every file before storing any, so a refused file leaves nothing behind.
    pub(super) async fn store_uploads(&self, uploads: Vec<Upload>) -> Result<Vec<StoredAttachment>, ServiceError> {
        if uploads.len() > MAX_ATTACHMENTS {
            return Err(AttachmentRefusal::TooMany.into());
        }
        let mut checked = Vec::with_capacity(uploads.len());
        for upload in uploads {
            let file_name = display_file_name(&upload.file_name);
            let kind = classify(&file_name, &upload.bytes)?;
            checked.push((file_name, kind, upload.bytes));
        }
        let mut stored = Vec::with_capacity(checked.len());
        for (file_name, kind, bytes) in checked {
            let id = Uuid::now_v7().to_string();
            let attachment = StoredAttachment {
                storage_key: id.clone(),
                id,
                file_name,
                kind,
                size_bytes: bytes.len() as u64,
                sha256: format!("{:x}", Sha256::digest(&bytes)),
            };
            if let Err(error) = self.attachments.put(&attachment.storage_key, kind.content_type(), bytes).await {
                self.discard(&stored).await;
                return Err(ServiceError::Unexpected(error.context("storing an attachment")));
            }
            stored.push(attachment);
        }
        Ok(stored)
    }

    /// Best-effort clean-up of files whose report was not stored.
    pub(super) async fn discard(&self, attachments: &[StoredAttachment]) {
        for a in attachments {
            if let Err(error) = self.attachments.delete(&a.storage_key).await.context("discarding an attachment") {
                tracing::warn!(key = %a.storage_key, error = format!("{error:#}"), "orphaned attachment left behind");
            }
        }
    }
}
