//! Thin handlers: extract, call a use case, shape the response.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use shared::api::{
    ClientSettings, FollowUp, FollowUpForm, FollowUpView, IncidentDetail, IncidentSummary, OpenIncidentForm,
    OutboxEntry, Page, ReportDetail, ReportForm, ReportReceipt, ReportSummary, UploadTicket, UploadTicketRequest,
};
use shared::reference::Reference;
use shared::report::ReportStatus;

use super::AppState;
use super::error::ApiError;
use super::extract::{FormWithFiles, JsonBody, QueryParams};
use crate::service::ServiceError;
use crate::service::dashboard::page_request;

type ApiResult<T> = Result<T, ApiError>;

pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

pub async fn client_settings(State(state): State<AppState>) -> Json<ClientSettings> {
    Json(state.services.client_settings())
}

pub async fn upload_ticket(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<UploadTicketRequest>,
) -> ApiResult<(StatusCode, Json<UploadTicket>)> {
    Ok((StatusCode::CREATED, Json(state.services.upload_ticket(request).await?)))
}

pub async fn submit_report(
    State(state): State<AppState>,
    FormWithFiles { form, uploads }: FormWithFiles<ReportForm>,
) -> ApiResult<(StatusCode, Json<ReportReceipt>)> {
    let receipt = state.services.submit_report(form, uploads).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// The follow-up token travels in `Authorization: Bearer`, never in a URL that logs would keep.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")
}

pub async fn follow_up(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<FollowUpView>> {
    Ok(Json(state.services.follow_up_view(bearer_token(&headers)).await?))
}

pub async fn add_follow_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormWithFiles { form, uploads }: FormWithFiles<FollowUpForm>,
) -> ApiResult<(StatusCode, Json<FollowUp>)> {
    let follow_up = state.services.add_follow_up(bearer_token(&headers), form, uploads).await?;
    Ok((StatusCode::CREATED, Json(follow_up)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

pub async fn list_reports(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<ReportSummary>>> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<ReportStatus>().map_err(ApiError::Malformed)?),
    };
    Ok(Json(state.services.list_reports(status, page_request(query.cursor, query.limit)).await?))
}

/// A malformed reference names nothing, so it is a 404 like an unknown one.
fn reference(raw: &str) -> ApiResult<Reference> {
    raw.parse().map_err(|_| ServiceError::NotFound.into())
}

pub async fn report(State(state): State<AppState>, Path(raw): Path<String>) -> ApiResult<Json<ReportDetail>> {
    Ok(Json(state.services.report(reference(&raw)?).await?))
}

pub async fn open_incident(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    JsonBody(form): JsonBody<OpenIncidentForm>,
) -> ApiResult<(StatusCode, Json<IncidentDetail>)> {
    let incident = state.services.open_incident(reference(&raw)?, form).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

pub async fn list_incidents(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<IncidentSummary>>> {
    if query.status.is_some() {
        return Err(ApiError::Malformed("incidents cannot be filtered by status yet".to_owned()));
    }
    Ok(Json(state.services.list_incidents(page_request(query.cursor, query.limit)).await?))
}

pub async fn incident(State(state): State<AppState>, Path(raw): Path<String>) -> ApiResult<Json<IncidentDetail>> {
    Ok(Json(state.services.incident(reference(&raw)?).await?))
}

/// Evidence is always downloaded, never rendered: a sandboxing CSP and `nosniff` back that up.
fn download(content_type: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let ascii_fallback: String = file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(file_name, NON_ALPHANUMERIC)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let value =
        |v: &str| HeaderValue::from_str(v).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, value(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    response
}

pub async fn download_attachment(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (attachment, bytes) = state.services.attachment(&id).await?;
    Ok(download(attachment.kind.content_type(), &attachment.file_name, bytes))
}

pub async fn list_outbox(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<OutboxEntry>>> {
    let outbox = state.outbox.ok_or(ServiceError::NotFound)?;
    Ok(Json(outbox.list(page_request(query.cursor, query.limit)).await?))
}

pub async fn download_outbox_message(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let outbox = state.outbox.ok_or(ServiceError::NotFound)?;
    let (entry, bytes) = outbox.message(&id).await?.ok_or(ServiceError::NotFound)?;
    Ok(download("message/rfc822", &entry.file, bytes))
}
