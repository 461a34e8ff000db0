//! Files of people sent straight to storage (AWS, where API Gateway takes at most 10 MB): a ticket
//! that signs who asked, and into which incident, into the upload; the import function's run of
//! the same import as the HTTP route, as that account; and how each import ended, for the app.

use std::time::Duration;

use anyhow::Context;
use shared::access::Action;
use shared::api::{ErrorBody, ErrorCode, PEOPLE_FILE_MAX_BYTES, PeopleImportStatus, UploadTicket, UploadTicketRequest};
use shared::attachment::display_file_name;
use shared::reference::Reference;
use uuid::Uuid;

use super::access::Caller;
use super::people::PeopleFile;
use super::{ServiceError, Services};
use crate::ports::{ImportClaim, ImportFiles, ImportOutcome};

/// How long a ticket's upload may wait to start (S3 checks it when the upload begins).
const IMPORT_TICKET_LIFETIME: Duration = Duration::from_secs(15 * 60);

impl Services {
    fn import_files(&self) -> Result<&dyn ImportFiles, ServiceError> {
        // Without direct uploads (local mode) the file is the import request's body.
        self.imports.as_deref().ok_or(ServiceError::NotFound)
    }

    /// Signs the upload of a file of people into an incident the caller may see; the import
    /// function takes it in once it is stored.
    pub async fn people_import_ticket(
        &self,
        incident: Reference,
        request: UploadTicketRequest,
        caller: &Caller,
    ) -> Result<UploadTicket, ServiceError> {
        let imports = self.import_files()?;
        self.visible_incident(caller, incident).await?;
        if request.size_bytes == 0 {
            return Err(ServiceError::field("file", "The file is empty; choose the CSV file of affected people"));
        }
        if request.size_bytes > PEOPLE_FILE_MAX_BYTES {
            return Err(ServiceError::field(
                "file",
                format!(
                    "The file is {:.1} GB; at most {} MB can be imported at once. Split it by jurisdiction and \
                     import each part: people are added to the register, not replaced by the next file.",
                    request.size_bytes as f64 / 1e9,
                    PEOPLE_FILE_MAX_BYTES / (1024 * 1024)
                ),
            ));
        }
        let claim = ImportClaim {
            incident,
            account: caller.account.id.clone(),
            file_name: display_file_name(&request.file_name),
        };
        let import_id = Uuid::now_v7().to_string();
        let signed = imports.sign_upload(&import_id, &claim, request.size_bytes, IMPORT_TICKET_LIFETIME).await?;
        let expires_at =
            self.clock.now() + chrono::Duration::from_std(IMPORT_TICKET_LIFETIME).context("ticket lifetime")?;
        Ok(UploadTicket { upload_id: import_id, url: signed.url, headers: signed.headers, expires_at })
    }

    /// How an import into an incident the caller may see went; pending until its outcome is kept.
    pub async fn people_import_status(
        &self,
        incident: Reference,
        import_id: &str,
        caller: &Caller,
    ) -> Result<PeopleImportStatus, ServiceError> {
        let imports = self.import_files()?;
        self.visible_incident(caller, incident).await?;
        // Ids are ours (UUIDs); anything else names no import.
        let import_id = Uuid::parse_str(import_id).map_err(|_| ServiceError::NotFound)?.to_string();
        match imports.outcome(&import_id).await? {
            Some(outcome) if outcome.incident == incident => Ok(outcome.status),
            Some(_) => Err(ServiceError::NotFound),
            None => Ok(PeopleImportStatus::Pending),
        }
    }

    /// Imports an uploaded file as the account that asked for its ticket, keeps the outcome and
    /// removes the file. An import whose outcome is kept already (a retried event) is not run
    /// again; `None` when there is no such upload.
    pub async fn import_uploaded_people(&self, import_id: &str) -> anyhow::Result<Option<PeopleImportStatus>> {
        let imports = self.import_files().map_err(|_| anyhow::anyhow!("this deployment takes no direct imports"))?;
        let import_id = Uuid::parse_str(import_id).context("an import id is a UUID")?.to_string();
        if let Some(kept) = imports.outcome(&import_id).await? {
            imports.delete(&import_id).await?;
            return Ok(Some(kept.status));
        }
        let Some((claim, file)) = imports.fetch(&import_id).await? else {
            return Ok(None);
        };
        let incident = claim.incident;
        let status = match self.import_as_claimed(claim, file).await {
            Ok(people) => PeopleImportStatus::Done { people },
            Err(error) => PeopleImportStatus::Refused { error: refusal(error) },
        };
        tracing::info!(%incident, import = %import_id, ?status, "uploaded file of people taken in");
        imports.put_outcome(&import_id, &ImportOutcome { incident, status: status.clone() }).await?;
        imports.delete(&import_id).await?;
        Ok(Some(status))
    }

    /// The HTTP route's import, acting as the claim's account as it is now (access is checked
    /// again: a role changed or an incident restricted since the ticket counts). The register's
    /// size after it.
    async fn import_as_claimed(&self, claim: ImportClaim, file: std::fs::File) -> Result<u64, ServiceError> {
        let (account, _) = self.accounts.account(&claim.account).await?.ok_or(ServiceError::NotFound)?;
        if account.disabled || !account.role.may(Action::Work) {
            let role = if account.disabled { "disabled" } else { account.role.label() };
            return Err(ServiceError::Forbidden(format!(
                "The account that uploaded the file ({role}) may no longer change incidents; nothing was imported"
            )));
        }
        let caller = Caller { account };
        let upload = PeopleFile { file, name: Some(claim.file_name) };
        let detail = self.import_people(claim.incident, upload, &caller).await?;
        Ok(detail.record.people.total())
    }
}

/// A refused import as the route would have answered it: the bad lines as fields, the rest as a
/// message. Faults of ours are logged and named only as such.
fn refusal(error: ServiceError) -> ErrorBody {
    let body = |code, message: String| ErrorBody { code, message, fields: Vec::new() };
    match error {
        ServiceError::Validation(errors) => ErrorBody {
            code: ErrorCode::ValidationFailed,
            message: "Some fields need attention".to_owned(),
            fields: errors.0,
        },
        ServiceError::Refused(message) => body(ErrorCode::Refused, message),
        ServiceError::Conflict(message) => body(ErrorCode::Conflict, message),
        ServiceError::Forbidden(message) => body(ErrorCode::Forbidden, message),
        ServiceError::NotFound => body(
            ErrorCode::NotFound,
            "The incident is not there, or not for the account that uploaded the file".to_owned(),
        ),
        error => {
            tracing::error!(error = format!("{error:#}"), "an uploaded import failed");
            body(
                ErrorCode::Internal,
                "Something went wrong on our side and nothing was imported; please import the file again".to_owned(),
            )
        }
    }
}
