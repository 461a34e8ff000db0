//! Import files sent straight to storage: on AWS a file of people goes to S3 with a pre-signed
//! PUT, past API Gateway's 10 MB body, and a function imports it. Locally there is no such
//! storage (`Services::imports` is `None`) and the file is the import request's body.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shared::api::PeopleImportStatus;
use shared::reference::Reference;

use super::attachments::SignedUpload;

/// Who asked for an import and into which incident. It is signed into the upload, so the file
/// carries it and the import acts as that account, with that account's access at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportClaim {
    pub incident: Reference,
    pub account: String,
    /// As the browser named the file (for the audit trail).
    pub file_name: String,
}

/// How an import ended, kept beside it for the app to read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub incident: Reference,
    pub status: PeopleImportStatus,
}

/// Import files and their outcomes, by an import id the server generates.
#[async_trait]
pub trait ImportFiles: Send + Sync {
    /// Signs an upload of exactly `size_bytes` under `import_id`, with `claim` signed into it.
    async fn sign_upload(
        &self,
        import_id: &str,
        claim: &ImportClaim,
        size_bytes: u64,
        expires_in: Duration,
    ) -> anyhow::Result<SignedUpload>;
    /// The uploaded file copied to an unnamed temporary file (never held in memory), and the claim
    /// signed into it; `None` if there is no such upload.
    async fn fetch(&self, import_id: &str) -> anyhow::Result<Option<(ImportClaim, std::fs::File)>>;
    /// Removes the uploaded file; removing one that is gone is no error.
    async fn delete(&self, import_id: &str) -> anyhow::Result<()>;
    async fn put_outcome(&self, import_id: &str, outcome: &ImportOutcome) -> anyhow::Result<()>;
    async fn outcome(&self, import_id: &str) -> anyhow::Result<Option<ImportOutcome>>;
}
