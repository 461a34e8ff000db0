//! How a store port fails.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("the page cursor is not valid")]
    InvalidCursor,
    /// Throttled or briefly down: the same request may succeed shortly.
    #[error("the store is busy ({0})")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What every store port returns, as `io::Result` is for I/O: the signatures then read as what
/// they give back.
pub type StoreResult<T> = Result<T, StoreError>;
