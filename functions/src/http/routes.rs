//! Thin handlers: extract, call a use case, shape the response.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use shared::api::{
    AlertOutcome, AlertPayload, ClientSettings, DeclareIncidentForm, DismissReportForm, EvidenceFileForm, FollowUp,
    FollowUpForm, FollowUpView, IncidentCommandRequest, IncidentDetail, IncidentSummary, LinkReportForm,
    NoticeRecipientsSaved, ObligationEntry, ObligationFilter, OpenIncidentForm, OutboxEntry, Page, PolicyDetail,
    ReportDetail, ReportForm, ReportReceipt, ReportSummary, TimelineEntry, UploadTicket, UploadTicketRequest,
};
use shared::audit::Verification;
use shared::filings::FilingDraft;
use shared::metrics::MonthMetrics;
use shared::notices::{NoticeProgress, RecipientsForm};
use shared::notifications::{EmailPreview, NotificationKind, StatusUpdateForm};
use shared::policy::PolicyReviewForm;
use shared::reference::Reference;
use shared::report::ReportStatus;

use super::auth::{Allowed, ToExport, ToManageTeam, ToRead, ToReadSecurityLog, ToReviewPolicy, ToWork};
use super::error::ApiError;
use super::extract::{FormWithFiles, JsonBody, Path, QueryParams, parse_json};
use super::state::AppState;
use crate::service::ServiceError;
use crate::service::alerts::{SIGNATURE_HEADER, verify_signature};
use crate::service::dashboard::page_request;
use crate::service::export_templates::ExportFormat;

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
    // Taken once the body is read, so a slow upload holds no slot.
    let _slot = intake_slot(&state).await?;
    let receipt = state.services.submit_report(form, uploads).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

async fn intake_slot(state: &AppState) -> Result<tokio::sync::SemaphorePermit<'_>, ServiceError> {
    // Never closed: an error here would be a bug.
    Ok(state.intake_slots.acquire().await.map_err(anyhow::Error::new)?)
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
    let _slot = intake_slot(&state).await?;
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
    Allowed(caller, _): Allowed<ToRead>,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<ReportSummary>>> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<ReportStatus>().map_err(ApiError::Malformed)?),
    };
    Ok(Json(state.services.list_reports(&caller, status, page_request(query.cursor, query.limit)).await?))
}

pub async fn report(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path(reference): Path<Reference>,
) -> ApiResult<Json<ReportDetail>> {
    Ok(Json(state.services.report(&caller, reference).await?))
}

pub async fn open_incident(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(reference): Path<Reference>,
    JsonBody(form): JsonBody<OpenIncidentForm>,
) -> ApiResult<(StatusCode, Json<IncidentDetail>)> {
    let incident = state.services.open_incident(reference, form, &caller).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

pub async fn link_report(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(reference): Path<Reference>,
    JsonBody(form): JsonBody<LinkReportForm>,
) -> ApiResult<Json<IncidentDetail>> {
    Ok(Json(state.services.link_report(reference, form, &caller).await?))
}

pub async fn dismiss_report(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(reference): Path<Reference>,
    JsonBody(form): JsonBody<DismissReportForm>,
) -> ApiResult<Json<ReportDetail>> {
    Ok(Json(state.services.dismiss_report(reference, form, &caller).await?))
}

pub async fn declare_incident(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(form): JsonBody<DeclareIncidentForm>,
) -> ApiResult<(StatusCode, Json<IncidentDetail>)> {
    Ok((StatusCode::CREATED, Json(state.services.declare_incident(form, &caller).await?)))
}

pub async fn incident_command(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(reference): Path<Reference>,
    JsonBody(request): JsonBody<IncidentCommandRequest>,
) -> ApiResult<Json<IncidentDetail>> {
    Ok(Json(state.services.command(reference, request, &caller).await?))
}

/// Chooses a customer notice's recipients: the investigation's affected accounts or a CSV file.
pub async fn notice_recipients(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path((incident, notice_id)): Path<(Reference, u32)>,
    JsonBody(form): JsonBody<RecipientsForm>,
) -> ApiResult<Json<NoticeRecipientsSaved>> {
    Ok(Json(state.services.set_notice_recipients(incident, notice_id, form, &caller).await?))
}

/// The customer notice as its first recipient would get it.
pub async fn notice_preview(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((incident, notice_id)): Path<(Reference, u32)>,
) -> ApiResult<Json<EmailPreview>> {
    Ok(Json(state.services.preview_notice(&caller, incident, notice_id).await?))
}

/// How far a notice's sending is: counts by state and the deliveries that need a look.
pub async fn notice_progress(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((incident, notice_id)): Path<(Reference, u32)>,
) -> ApiResult<Json<NoticeProgress>> {
    Ok(Json(state.services.notice_progress(&caller, incident, notice_id).await?))
}

/// Sends a status update to the incident's stakeholders.
pub async fn post_status_update(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path(incident): Path<Reference>,
    JsonBody(form): JsonBody<StatusUpdateForm>,
) -> ApiResult<(StatusCode, Json<IncidentDetail>)> {
    Ok((StatusCode::CREATED, Json(state.services.post_status_update(incident, form, &caller).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    cursor: Option<u64>,
    limit: Option<u32>,
}

pub async fn timeline(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path(reference): Path<Reference>,
    QueryParams(query): QueryParams<TimelineQuery>,
) -> ApiResult<Json<Page<TimelineEntry>>> {
    let (after, limit) = (query.cursor.unwrap_or(0), query.limit.unwrap_or(100));
    Ok(Json(state.services.timeline(&caller, reference, after, limit).await?))
}

/// A year's security log, oldest first, in pages like a timeline.
pub async fn security_log(
    State(state): State<AppState>,
    _: Allowed<ToReadSecurityLog>,
    Path(year): Path<i32>,
    QueryParams(query): QueryParams<TimelineQuery>,
) -> ApiResult<Json<Page<TimelineEntry>>> {
    Ok(Json(state.services.security_log(year, query.cursor.unwrap_or(0), query.limit.unwrap_or(100)).await?))
}

pub async fn verify_audit(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path(reference): Path<Reference>,
) -> ApiResult<Json<Verification>> {
    Ok(Json(state.services.verify_audit(&caller, reference).await?))
}

/// A notification about the incident as it would be sent now (`internal`, `stakeholder` with the
/// update typed so far). A POST because the update can be long; it changes nothing.
pub async fn preview_notification(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((incident, kind)): Path<(Reference, String)>,
    JsonBody(form): JsonBody<StatusUpdateForm>,
) -> ApiResult<Json<EmailPreview>> {
    let kind = NotificationKind::ALL.into_iter().find(|k| k.as_str() == kind).ok_or(ServiceError::NotFound)?;
    Ok(Json(state.services.preview_notification(&caller, incident, kind, &form.message).await?))
}

/// The filing of one duty to tell an authority: the draft, what is missing, the filing if made.
pub async fn filing(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((incident, obligation)): Path<(Reference, String)>,
) -> ApiResult<Json<FilingDraft>> {
    Ok(Json(state.services.filing(&caller, incident, &obligation).await?))
}

/// `export.md` or `export.html`.
pub async fn export_incident(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToExport>,
    Path((incident, file)): Path<(Reference, String)>,
) -> ApiResult<Response> {
    let format = match file.as_str() {
        "export.md" => ExportFormat::Markdown,
        "export.html" => ExportFormat::Html,
        _ => return Err(ServiceError::NotFound.into()),
    };
    let text = state.services.export_incident(&caller, incident, format).await?;
    let mut response =
        download(format.content_type(), &format!("{incident}.{}", format.extension()), text.into_bytes());
    // The HTML export is ours and static: let it render with its styles (for printing) but run,
    // submit, frame or navigate nothing, even opened in place.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
        ),
    );
    Ok(response)
}

/// Alerts authenticate by signature over the exact bytes, so the body is read raw and parsed after.
pub async fn receive_alert(
    State(state): State<AppState>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AlertOutcome>)> {
    let services = &state.services;
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    services
        .alert_secret(&source)
        .and_then(|secret| verify_signature(secret, signature, &body, services.clock.now()))
        .map_err(|error| {
            tracing::warn!(%source, %error, "alert refused");
            ApiError::Unauthorized(error.to_string())
        })?;
    let payload: AlertPayload = parse_json("The alert", &body)?;
    let outcome = services.receive_alert(&source, payload).await?;
    let status = if outcome.opened { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(outcome)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObligationsQuery {
    state: Option<ObligationFilter>,
    cursor: Option<String>,
    limit: Option<u32>,
}

pub async fn obligations(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    QueryParams(query): QueryParams<ObligationsQuery>,
) -> ApiResult<Json<Page<ObligationEntry>>> {
    let filter = query.state.unwrap_or(ObligationFilter::Open);
    Ok(Json(state.services.obligations(&caller, filter, page_request(query.cursor, query.limit)).await?))
}

pub async fn policy(State(state): State<AppState>, _: Allowed<ToRead>) -> ApiResult<Json<PolicyDetail>> {
    Ok(Json(state.services.policy_register().await?))
}

pub async fn review_policy(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToReviewPolicy>,
    JsonBody(form): JsonBody<PolicyReviewForm>,
) -> ApiResult<Json<PolicyDetail>> {
    Ok(Json(state.services.review_policy(form, caller.name()).await?))
}

/// The newest messages sent to the security address: what each became, and those refused.
pub async fn inbound_messages(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
) -> ApiResult<Json<Vec<shared::inbound::InboundMessage>>> {
    Ok(Json(state.services.inbound_messages(&caller, INBOUND_LISTED).await?))
}

/// How many messages the inbound list shows.
const INBOUND_LISTED: u32 = 100;

pub async fn metrics(State(state): State<AppState>, _: Allowed<ToRead>) -> ApiResult<Json<Vec<MonthMetrics>>> {
    Ok(Json(state.services.metrics().await?))
}

pub async fn list_incidents(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<IncidentSummary>>> {
    if query.status.is_some() {
        return Err(ApiError::Malformed("incidents cannot be filtered by status yet".to_owned()));
    }
    Ok(Json(state.services.list_incidents(&caller, page_request(query.cursor, query.limit)).await?))
}

pub async fn incident(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path(reference): Path<Reference>,
) -> ApiResult<Json<IncidentDetail>> {
    Ok(Json(state.services.incident(&caller, reference).await?))
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
    // Never a document of ours: no script, no framing, even if opened in place.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    );
    response
}

pub async fn meet_obligation_with_file(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    Path((incident, obligation)): Path<(Reference, String)>,
    with_files: FormWithFiles<EvidenceFileForm>,
) -> ApiResult<Json<IncidentDetail>> {
    let FormWithFiles { form, uploads } = with_files;
    Ok(Json(state.services.meet_obligation_with_file(incident, obligation, form, uploads, &caller).await?))
}

pub async fn download_evidence(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToExport>,
    Path((incident, id)): Path<(Reference, String)>,
) -> ApiResult<Response> {
    let (file_name, file, bytes) = state.services.evidence_file(&caller, incident, &id).await?;
    Ok(download(file.kind.content_type(), &file_name, bytes))
}

pub async fn download_attachment(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToExport>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (attachment, bytes) = state.services.attachment(&caller, &id).await?;
    Ok(download(attachment.kind.content_type(), &attachment.file_name, bytes))
}

pub async fn list_outbox(
    State(state): State<AppState>,
    _: Allowed<ToManageTeam>,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<OutboxEntry>>> {
    let outbox = state.outbox.ok_or(ServiceError::NotFound)?;
    Ok(Json(outbox.list(page_request(query.cursor, query.limit)).await?))
}

pub async fn download_outbox_message(
    State(state): State<AppState>,
    _: Allowed<ToManageTeam>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let outbox = state.outbox.ok_or(ServiceError::NotFound)?;
    let (entry, bytes) = outbox.message(&id).await?.ok_or(ServiceError::NotFound)?;
    Ok(download("message/rfc822", &entry.file, bytes))
}
