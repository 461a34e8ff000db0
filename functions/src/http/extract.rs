//! Request extractors whose every rejection is an [`ApiError`] in the shared JSON shape.

use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Query, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use shared::api::{EvidenceFileForm, FollowUpForm, ReportForm};
use shared::attachment::{AttachmentRefusal, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};

use super::error::ApiError;
use crate::service::{ServiceError, Upload};

/// JSON bodies without files are small; anything larger is not a form.
pub const JSON_BODY_LIMIT: usize = 256 * 1024;
/// A notice's recipient list: Lambda's 6 MB request limit, about 80,000 typical CSV lines.
pub const RECIPIENTS_BODY_LIMIT: usize = 6 * 1024 * 1024;
/// Room for every attachment at its limit plus the form and multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES as usize + 1024 * 1024;

/// A form that may come with files: JSON alone, or multipart with the form as a JSON part named
/// [`FormPart::PART`] and files in parts named `attachment`.
pub struct FormWithFiles<T> {
    pub form: T,
    pub uploads: Vec<Upload>,
}

pub trait FormPart {
    const PART: &'static str;
}

impl FormPart for ReportForm {
    const PART: &'static str = "report";
}

impl FormPart for FollowUpForm {
    const PART: &'static str = "follow_up";
}

impl FormPart for EvidenceFileForm {
    const PART: &'static str = "evidence";
}

pub fn parse_json<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::Malformed(format!("{what} is not valid JSON: {e}")))
}

fn multipart_error(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!(
            "The request is over the limit of {} MB: attach at most {MAX_ATTACHMENTS} files of 10 MB each",
            UPLOAD_BODY_LIMIT / (1024 * 1024)
        ))
    } else {
        ApiError::Malformed(format!("The multipart body could not be read: {}", error.body_text()))
    }
}

impl<S: Send + Sync, T: DeserializeOwned + FormPart + Send> FromRequest<S> for FormWithFiles<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if content_type.starts_with("application/json") {
            let bytes = axum::body::to_bytes(req.into_body(), JSON_BODY_LIMIT)
                .await
                .map_err(|_| ApiError::TooLarge(format!("A JSON body may be at most {} KB", JSON_BODY_LIMIT / 1024)))?;
            return Ok(Self { form: parse_json("The body", &bytes)?, uploads: Vec::new() });
        }
        if !content_type.starts_with("multipart/form-data") {
            return Err(ApiError::UnsupportedMediaType(
                "Send the form as application/json, or as multipart/form-data with files".to_owned(),
            ));
        }
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|e| ApiError::Malformed(format!("The multipart body could not be read: {}", e.body_text())))?;
        let mut form = None;
        let mut uploads = Vec::new();
        while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
            match field.name() {
                Some(name) if name == T::PART => {
                    let bytes = field.bytes().await.map_err(multipart_error)?;
                    form = Some(parse_json(&format!("The {} part", T::PART), &bytes)?);
                }
                Some("attachment") => {
                    let file_name = field.file_name().unwrap_or_default().to_owned();
                    let mut bytes = Vec::new();
                    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                        // Stop reading as soon as a file passes its limit, rather than buffering it all.
                        if (bytes.len() + chunk.len()) as u64 > MAX_ATTACHMENT_BYTES {
                            return Err(ServiceError::from(AttachmentRefusal::TooLarge { file_name }).into());
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    // An empty file input still sends a nameless, empty part: that is no file.
                    if file_name.is_empty() && bytes.is_empty() {
                        continue;
                    }
                    if uploads.len() == MAX_ATTACHMENTS {
                        return Err(ServiceError::from(AttachmentRefusal::TooMany).into());
                    }
                    uploads.push(Upload { file_name, bytes });
                }
                other => {
                    return Err(ApiError::Malformed(format!(
                        "Unexpected part {:?}: send a `{}` part and `attachment` parts",
                        other.unwrap_or_default(),
                        T::PART
                    )));
                }
            }
        }
        let form = form.ok_or_else(|| ApiError::Malformed(format!("The `{}` part is missing", T::PART)))?;
        Ok(Self { form, uploads })
    }
}

/// A JSON body of at most [`JSON_BODY_LIMIT`].
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !content_type.starts_with("application/json") {
            return Err(ApiError::UnsupportedMediaType("Send the body as application/json".to_owned()));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::TooLarge("The body is over this request's size limit".to_owned()))?;
        parse_json("The body", &bytes).map(JsonBody)
    }
}

/// Query parameters; a malformed one is a 400 that says which.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| QueryParams(q))
            .map_err(|e| ApiError::Malformed(e.body_text()))
    }
}

/// Path parameters. One that does not parse (`/api/security-log/abc`, a notice number out of
/// range) names nothing, so it is the JSON 404 an unknown one gets.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| ApiError::Service(ServiceError::NotFound))
    }
}
