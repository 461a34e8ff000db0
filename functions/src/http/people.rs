//! The affected-people register's handlers. An import's body is streamed to a temporary file
//! (never held in memory) up to [`PEOPLE_FILE_LIMIT`], then read a line at a time by the use case.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt;
use serde::Deserialize;
use shared::api::{IncidentDetail, MAX_PAGE_SIZE, PeopleLeftPage, PeoplePage, RemovePeopleForm};
use shared::people::AccountPeopleForm;
use shared::reference::Reference;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::auth::{Allowed, ToRead, ToWork};
use super::error::ApiError;
use super::extract::{JsonBody, Path, QueryParams};
use super::state::AppState;
use crate::service::people::PeopleFile;

/// The largest file of people taken through the API: about five million lines of a typical export.
pub const PEOPLE_FILE_LIMIT: u64 = shared::api::PEOPLE_FILE_MAX_BYTES;

type ApiResult<T> = Result<T, ApiError>;

fn too_large(size: u64) -> ApiError {
    ApiError::TooLarge(format!(
        "The file is {:.1} GB; at most {} MB can be imported at once. Split it by jurisdiction and import \
         each part: people are added to the register, not replaced by the next file.",
        size as f64 / 1e9,
        PEOPLE_FILE_LIMIT / (1024 * 1024)
    ))
}

/// Writes the body to an unnamed temporary file, refusing it once it passes the limit.
async fn spool(headers: &HeaderMap, body: Body) -> ApiResult<std::fs::File> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    if let Some(size) = declared.filter(|size| *size > PEOPLE_FILE_LIMIT) {
        return Err(too_large(size));
    }
    let unexpected = |e: std::io::Error| ApiError::Service(crate::service::ServiceError::Unexpected(e.into()));
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|e| unexpected(std::io::Error::other(e)))?
        .map_err(unexpected)?;
    let mut file = tokio::fs::File::from_std(file);
    let (mut body, mut size) = (body, 0u64);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::Malformed(format!("The file could not be received whole: {e}")))?;
        if let Ok(data) = frame.into_data() {
            size += data.len() as u64;
            if size > PEOPLE_FILE_LIMIT {
                return Err(too_large(size));
            }
            file.write_all(&data).await.map_err(unexpected)?;
        }
    }
    file.flush().await.map_err(unexpected)?;
    file.rewind().await.map_err(unexpected)?;
    Ok(file.into_std().await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    file_name: Option<String>,
}

pub async fn import_people(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(incident): Path<Reference>,
    QueryParams(query): QueryParams<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IncidentDetail>> {
    let file = spool(&headers, body).await?;
    let name = query.file_name.map(|n| shared::attachment::display_file_name(&n));
    Ok(Json(state.services.import_people(incident, PeopleFile { file, name }, &caller).await?))
}

pub async fn account_for_people(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(incident): Path<Reference>,
    JsonBody(form): JsonBody<AccountPeopleForm>,
) -> ApiResult<Json<IncidentDetail>> {
    Ok(Json(state.services.account_for_people(incident, form, &caller).await?))
}

pub async fn remove_people(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(incident): Path<Reference>,
    JsonBody(form): JsonBody<RemovePeopleForm>,
) -> ApiResult<Json<IncidentDetail>> {
    Ok(Json(state.services.remove_people(incident, form, &caller).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleQuery {
    after: Option<String>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeftQuery {
    duty: String,
    after: Option<String>,
    limit: Option<u32>,
}

pub async fn people_left(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path(incident): Path<Reference>,
    QueryParams(query): QueryParams<LeftQuery>,
) -> ApiResult<Json<PeopleLeftPage>> {
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_PAGE_SIZE);
    Ok(Json(state.services.people_left(incident, &query.duty, query.after, limit, &caller).await?))
}

pub async fn people(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path(incident): Path<Reference>,
    QueryParams(query): QueryParams<PeopleQuery>,
) -> ApiResult<Json<PeoplePage>> {
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_PAGE_SIZE);
    Ok(Json(state.services.people_page(incident, query.after, limit, &caller).await?))
}
