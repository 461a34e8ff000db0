//! The API's one error type, mapped to status codes and the shared JSON `ErrorBody`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::api::{ErrorBody, ErrorCode};
use shared::attachment::AttachmentRefusal;
use shared::validation::FieldError;

use crate::service::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("this path does not take that method")]
    MethodNotAllowed,
    #[error("the request's headers are over the limit")]
    HeadersTooLarge,
}

impl From<crate::ports::StoreError> for ApiError {
    fn from(error: crate::ports::StoreError) -> Self {
        ApiError::Service(error.into())
    }
}

fn body(status: StatusCode, code: ErrorCode, message: impl Into<String>, fields: Vec<FieldError>) -> Response {
    (status, Json(ErrorBody { code, message: message.into(), fields })).into_response()
}

fn attachments_field(message: String) -> Vec<FieldError> {
    vec![FieldError { field: "attachments".to_owned(), message }]
}

/// 429 with `Retry-After`, for throttled sign-ins and rate-limited public requests.
pub fn too_many(retry_after_seconds: u64) -> Response {
    let minutes = retry_after_seconds.div_ceil(60);
    let message = format!("Too many attempts: wait {minutes} minute(s) and try again. Nothing you sent was kept");
    let mut response = body(StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests, message, vec![]);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        match self {
            ApiError::Malformed(message) => body(S::BAD_REQUEST, ErrorCode::MalformedRequest, message, vec![]),
            ApiError::TooLarge(message) => body(S::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, message, vec![]),
            ApiError::UnsupportedMediaType(message) => {
                body(S::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType, message, vec![])
            }
            ApiError::Unauthorized(message) => body(S::UNAUTHORIZED, ErrorCode::Unauthorized, message, vec![]),
            ApiError::HeadersTooLarge => body(
                S::REQUEST_HEADER_FIELDS_TOO_LARGE,
                ErrorCode::HeadersTooLarge,
                "The request's headers are too many or too long. Clearing this site's cookies usually helps",
                vec![],
            ),
            ApiError::MethodNotAllowed => body(
                S::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "This address does not take that method; see the Allow header",
                vec![],
            ),
            ApiError::Service(error) => match error {
                ServiceError::Validation(errors) => {
                    body(S::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed, "Some fields need attention", errors.0)
                }
                ServiceError::Attachment(refusal) => {
                    let message = refusal.to_string();
                    let (status, code) = match refusal {
                        AttachmentRefusal::TooLarge { .. } => (S::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
                        AttachmentRefusal::TooMany | AttachmentRefusal::Empty { .. } => {
                            (S::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed)
                        }
                        AttachmentRefusal::Html { .. }
                        | AttachmentRefusal::Unsupported { .. }
                        | AttachmentRefusal::ExtensionMismatch { .. } => {
                            (S::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType)
                        }
                    };
                    body(status, code, message.clone(), attachments_field(message))
                }
                ServiceError::Unauthenticated(message) => {
                    body(S::UNAUTHORIZED, ErrorCode::Unauthorized, message, vec![])
                }
                ServiceError::Forbidden(message) => body(S::FORBIDDEN, ErrorCode::Forbidden, message, vec![]),
                ServiceError::Throttled { retry_after_seconds } => too_many(retry_after_seconds),
                ServiceError::NotFound => body(S::NOT_FOUND, ErrorCode::NotFound, "Nothing was found here", vec![]),
                ServiceError::Conflict(message) => body(S::CONFLICT, ErrorCode::Conflict, message, vec![]),
                ServiceError::Refused(message) => body(S::CONFLICT, ErrorCode::Refused, message, vec![]),
                ServiceError::InvalidCursor => {
                    body(S::BAD_REQUEST, ErrorCode::MalformedRequest, ServiceError::InvalidCursor.to_string(), vec![])
                }
                ServiceError::Unavailable(cause) => {
                    tracing::warn!(%cause, "store unavailable; asking the client to retry");
                    let mut response = body(
                        S::SERVICE_UNAVAILABLE,
                        ErrorCode::Unavailable,
                        "Tocsin is busy right now. Nothing was lost; please try again in a moment",
                        vec![],
                    );
                    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
                    response
                }
                ServiceError::Unexpected(cause) => {
                    // The cause chain goes to the log; the caller learns only that it was our fault.
                    tracing::error!(error = format!("{cause:#}"), "request failed");
                    body(
                        S::INTERNAL_SERVER_ERROR,
                        ErrorCode::Internal,
                        "Something went wrong on our side. Nothing you sent was lost; please try again",
                        vec![],
                    )
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_store_is_a_503_with_retry_after_and_a_conflict_a_409() {
        let busy = ApiError::Service(ServiceError::Unavailable("ThrottlingException".into())).into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "2");
        let conflict = ApiError::Service(ServiceError::Conflict("changed meanwhile".into())).into_response();
        assert_eq!(conflict.status(), StatusCode::CONFLICT);
        let unexpected = ApiError::Service(ServiceError::Unexpected(anyhow::anyhow!("disk on fire"))).into_response();
        assert_eq!(unexpected.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
