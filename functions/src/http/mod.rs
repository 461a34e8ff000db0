//! The HTTP API under `/api`: one axum `Router`, served by `lambda_http` on Lambda and by a local
//! listener otherwise. Handlers only extract, call a use case and shape the response.

mod accounts;
pub mod auth;
mod error;
mod extract;
mod imports;
mod listener;
mod people;
mod router;
mod routes;
pub mod security;
mod state;

pub use error::ApiError;
pub use listener::{HEADER_BYTES_LIMIT, HEADER_COUNT_LIMIT, serve};
pub use people::PEOPLE_FILE_LIMIT;
pub use router::{REPORTS_TAKEN_IN_AT_ONCE, api_router};
pub use state::{AppState, public_limiter};
