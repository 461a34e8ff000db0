//! Use cases: what Tocsin does, in terms of the ports only. HTTP handlers and Lambda entry points
//! call these; the same code runs on every adapter set.

pub mod dashboard;
pub mod email;
pub mod intake;

use std::sync::Arc;

use shared::attachment::AttachmentRefusal;
use shared::validation::ValidationErrors;

use crate::ports::{AttachmentStore, Clock, IncidentStore, Mailer, StoreError};
use email::EmailTemplates;

/// Everything a use case may reach, built once at start-up.
pub struct Services {
    pub store: Arc<dyn IncidentStore>,
    pub attachments: Arc<dyn AttachmentStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub templates: EmailTemplates,
    /// Base of links sent by email, without a trailing slash.
    pub public_url: String,
    pub sender_name: String,
}

/// A file as received, before its type is decided.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error(transparent)]
    Attachment(#[from] AttachmentRefusal),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("the page cursor is not valid; start again from the first page")]
    InvalidCursor,
    #[error("busy: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Conflict(message) => ServiceError::Conflict(message),
            StoreError::InvalidCursor => ServiceError::InvalidCursor,
            StoreError::Unavailable(cause) => ServiceError::Unavailable(cause),
            StoreError::Unexpected(e) => ServiceError::Unexpected(e),
        }
    }
}
