//! Why a use case did not do what it was asked, in terms the HTTP layer maps to status codes.

use shared::attachment::AttachmentRefusal;
use shared::record::WorkflowError;
use shared::validation::ValidationErrors;

use crate::ports::StoreError;

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
    /// The record's state does not allow the change (a workflow rule); the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("the page cursor is not valid; start again from the first page")]
    InvalidCursor,
    #[error("busy: {0}")]
    Unavailable(String),
    /// No session, or a sign-in that failed; the message says what to do.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed attempts: try again after this long.
    #[error("too many attempts; retry after {retry_after_seconds} s")]
    Throttled { retry_after_seconds: u64 },
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

impl From<WorkflowError> for ServiceError {
    fn from(error: WorkflowError) -> Self {
        match error {
            WorkflowError::Invalid(errors) => ServiceError::Validation(errors),
            WorkflowError::Refused(message) => ServiceError::Refused(message),
        }
    }
}

impl ServiceError {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = ValidationErrors::default();
        errors.push(field, message);
        ServiceError::Validation(errors)
    }
}
