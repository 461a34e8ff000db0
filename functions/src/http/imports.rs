//! Files of people sent straight to storage (AWS): the upload ticket, and how the import went.
//! Locally the file is the body of `POST /incidents/{ref}/people` instead (`people.rs`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api::{PeopleImportStatus, UploadTicket, UploadTicketRequest};
use shared::reference::Reference;

use super::auth::{Allowed, ToRead, ToWork};
use super::error::ApiError;
use super::extract::{JsonBody, Path};
use super::state::AppState;

pub async fn people_import_ticket(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(incident): Path<Reference>,
    JsonBody(request): JsonBody<UploadTicketRequest>,
) -> Result<(StatusCode, Json<UploadTicket>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.services.people_import_ticket(incident, request, &caller).await?)))
}

pub async fn people_import_status(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((incident, import)): Path<(Reference, String)>,
) -> Result<Json<PeopleImportStatus>, ApiError> {
    Ok(Json(state.services.people_import_status(incident, &import, &caller).await?))
}
