//! Thin handlers: extract, call a use case, shape the response.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use shared::access::SecurityEvent;
use shared::api::{
    AffectedAccountsImport, AlertOutcome, AlertPayload, ClientSettings, DeclareIncidentForm, DismissReportForm,
    EvidenceFileForm, FollowUp, FollowUpForm, FollowUpView, IncidentCommandRequest, IncidentDetail, IncidentSummary,
    LinkReportForm, NoticeRecipientsSaved, ObligationEntry, ObligationFilter, OpenIncidentForm, OutboxEntry, Page,
    PolicyDetail, ReportDetail, ReportForm, ReportReceipt, ReportSummary, TimelineEntry, UploadTicket,
    UploadTicketRequest,
};
use shared::audit::Verification;
use shared::filings::FilingDraft;
use shared::metrics::MonthMetrics;
use shared::notices::{NoticeProgress, RecipientsForm};
use shared::notifications::{EmailPreview, NotificationKind, StatusUpdateForm};
use shared::policy::PolicyReviewForm;
use shared::record::IncidentCommand;
use shared::reference::{Reference, ReferenceKind};
use shared::report::ReportStatus;

use super::auth::{Allowed, ToExport, ToManageTeam, ToRead, ToReadSecurityLog, ToReviewPolicy, ToWork};
use super::error::ApiError;
use super::extract::{FormWithFiles, JsonBody, QueryParams, parse_json};
use super::state::AppState;
use crate::service::ServiceError;
use crate::service::accounts::Caller;
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
    _: Allowed<ToRead>,
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

/// A reference the caller may see: a restricted incident is a 404 to anyone but its
/// participants and admins, as if it did not exist.
async fn visible(state: &AppState, caller: &Caller, raw: &str) -> ApiResult<Reference> {
    let subject = reference(raw)?;
    state.services.ensure_visible(subject, caller).await?;
    Ok(subject)
}

pub async fn report(
    State(state): State<AppState>,
    _: Allowed<ToRead>,
    Path(raw): Path<String>,
) -> ApiResult<Json<ReportDetail>> {
    Ok(Json(state.services.report(reference(&raw)?).await?))
}

pub async fn open_incident(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(form): JsonBody<OpenIncidentForm>,
) -> ApiResult<(StatusCode, Json<IncidentDetail>)> {
    let incident = state.services.open_incident(reference(&raw)?, form, caller.name()).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

pub async fn link_report(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(form): JsonBody<LinkReportForm>,
) -> ApiResult<Json<IncidentDetail>> {
    if let Ok(incident) = form.incident.trim().parse::<Reference>() {
        state.services.ensure_visible(incident, &caller).await?;
    }
    Ok(Json(state.services.link_report(reference(&raw)?, form, caller.name()).await?))
}

pub async fn dismiss_report(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(form): JsonBody<DismissReportForm>,
) -> ApiResult<Json<ReportDetail>> {
    Ok(Json(state.services.dismiss_report(reference(&raw)?, form, caller.name()).await?))
}

pub async fn declare_incident(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(form): JsonBody<DeclareIncidentForm>,
) -> ApiResult<(StatusCode, Json<IncidentDetail>)> {
    Ok((StatusCode::CREATED, Json(state.services.declare_incident(form, caller.name()).await?)))
}

pub async fn incident_command(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(request): JsonBody<IncidentCommandRequest>,
) -> ApiResult<Json<IncidentDetail>> {
    let incident = visible(&state, &caller, &raw).await?;
    if let IncidentCommand::Restrict { restricted } = request.command {
        state.services.check_restriction(incident, restricted, &caller).await?;
    }
    let approves_a_notice = matches!(request.command, IncidentCommand::ApproveNotice { .. });
    let detail = state.services.command(incident, request, caller.name()).await?;
    if approves_a_notice {
        start_sending(&state);
    }
    Ok(Json(detail))
}

/// How long a sending run started by an approval may go on; the scheduled runs carry on after.
const SENDING_RUN: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Starts sending an approved notice now rather than at the next scheduled run. Two runs at once
/// are safe: each delivery is claimed by a conditional write.
fn start_sending(state: &AppState) {
    let services = state.services.clone();
    tokio::spawn(async move {
        if let Err(error) = services.send_notices(SENDING_RUN).await {
            tracing::error!(%error, "sending customer notices failed; the scheduled run carries on");
        }
    });
}

/// Chooses a customer notice's recipients: the investigation's affected accounts or a CSV file.
pub async fn notice_recipients(
    State(state): State<AppState>,
    Path((raw, notice_id)): Path<(String, u32)>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(form): JsonBody<RecipientsForm>,
) -> ApiResult<Json<NoticeRecipientsSaved>> {
    let incident = visible(&state, &caller, &raw).await?;
    Ok(Json(state.services.set_notice_recipients(incident, notice_id, form, caller.name()).await?))
}

/// The customer notice as its first recipient would get it.
pub async fn notice_preview(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((raw, notice_id)): Path<(String, u32)>,
) -> ApiResult<Json<EmailPreview>> {
    let incident = visible(&state, &caller, &raw).await?;
    Ok(Json(state.services.preview_notice(incident, notice_id).await?))
}

/// How far a notice's sending is: counts by state and the deliveries that need a look.
pub async fn notice_progress(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((raw, notice_id)): Path<(String, u32)>,
) -> ApiResult<Json<NoticeProgress>> {
    let incident = visible(&state, &caller, &raw).await?;
    Ok(Json(state.services.notice_progress(incident, notice_id).await?))
}

/// Sends a status update to the incident's stakeholders.
pub async fn post_status_update(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(form): JsonBody<StatusUpdateForm>,
) -> ApiResult<(StatusCode, Json<IncidentDetail>)> {
    let incident = visible(&state, &caller, &raw).await?;
    Ok((StatusCode::CREATED, Json(state.services.post_status_update(incident, form, caller.name()).await?)))
}

pub async fn import_affected_accounts(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Allowed(caller, _): Allowed<ToWork>,
    JsonBody(import): JsonBody<AffectedAccountsImport>,
) -> ApiResult<Json<IncidentDetail>> {
    let incident = visible(&state, &caller, &raw).await?;
    Ok(Json(state.services.import_affected_accounts(incident, import, caller.name()).await?))
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
    Path(raw): Path<String>,
    QueryParams(query): QueryParams<TimelineQuery>,
) -> ApiResult<Json<Page<TimelineEntry>>> {
    let subject = visible(&state, &caller, &raw).await?;
    // The security log has its own route, for the roles that may read it.
    if subject.kind == ReferenceKind::Security {
        return Err(ServiceError::NotFound.into());
    }
    let page = state.services.timeline(subject, query.cursor.unwrap_or(0), query.limit.unwrap_or(100)).await?;
    Ok(Json(page))
}

/// A year's security log, oldest first, in pages like a timeline.
pub async fn security_log(
    State(state): State<AppState>,
    _: Allowed<ToReadSecurityLog>,
    Path(year): Path<i32>,
    QueryParams(query): QueryParams<TimelineQuery>,
) -> ApiResult<Json<Page<TimelineEntry>>> {
    let log = Reference::new(ReferenceKind::Security, year, 1);
    Ok(Json(state.services.timeline(log, query.cursor.unwrap_or(0), query.limit.unwrap_or(100)).await?))
}

pub async fn verify_audit(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path(raw): Path<String>,
) -> ApiResult<Json<Verification>> {
    Ok(Json(state.services.verify_audit(visible(&state, &caller, &raw).await?).await?))
}

/// A notification about the incident as it would be sent now (`internal`, `stakeholder` with the
/// update typed so far). A POST because the update can be long; it changes nothing.
pub async fn preview_notification(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((raw, kind)): Path<(String, String)>,
    JsonBody(form): JsonBody<StatusUpdateForm>,
) -> ApiResult<Json<EmailPreview>> {
    let kind = NotificationKind::ALL.into_iter().find(|k| k.as_str() == kind).ok_or(ServiceError::NotFound)?;
    let incident = visible(&state, &caller, &raw).await?;
    Ok(Json(state.services.preview_notification(incident, kind, &form.message).await?))
}

/// The filing of one duty to tell an authority: the draft, what is missing, the filing if made.
pub async fn filing(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path((raw, obligation)): Path<(String, String)>,
) -> ApiResult<Json<FilingDraft>> {
    let incident = visible(&state, &caller, &raw).await?;
    Ok(Json(state.services.filing(incident, &obligation).await?))
}

/// `export.md` or `export.html`.
pub async fn export_incident(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToExport>,
    Path((raw, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let format = match file.as_str() {
        "export.md" => ExportFormat::Markdown,
        "export.html" => ExportFormat::Html,
        _ => return Err(ServiceError::NotFound.into()),
    };
    let incident = visible(&state, &caller, &raw).await?;
    let text = state.services.export_incident(incident, format).await?;
    let what = format!("the {} export of {incident}", format.extension());
    state.services.log_security(caller.name(), SecurityEvent::Exported { what }).await?;
    let mut response =
        download(format.content_type(), &format!("{incident}.{}", format.extension()), text.into_bytes());
    // The HTML export is ours and static: let it render (for printing) but run nothing.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
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
    let mut page = state.services.obligations(filter, page_request(query.cursor, query.limit)).await?;
    let mut hidden = Vec::new();
    for entry in &page.items {
        if !hidden.contains(&entry.incident) && state.services.ensure_visible(entry.incident, &caller).await.is_err() {
            hidden.push(entry.incident);
        }
    }
    page.items.retain(|entry| !hidden.contains(&entry.incident));
    Ok(Json(page))
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
    _: Allowed<ToRead>,
) -> ApiResult<Json<Vec<shared::inbound::InboundMessage>>> {
    Ok(Json(state.services.reports.list_inbound(INBOUND_LISTED).await?))
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
    let mut page = state.services.list_incidents(page_request(query.cursor, query.limit)).await?;
    // A page may come back shorter than asked; the cursor still leads on.
    page.items.retain(|incident| incident.visible_to(caller.name(), caller.role()));
    Ok(Json(page))
}

pub async fn incident(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToRead>,
    Path(raw): Path<String>,
) -> ApiResult<Json<IncidentDetail>> {
    Ok(Json(state.services.incident(visible(&state, &caller, &raw).await?).await?))
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
    Path((raw, obligation)): Path<(String, String)>,
    Allowed(caller, _): Allowed<ToWork>,
    with_files: FormWithFiles<EvidenceFileForm>,
) -> ApiResult<Json<IncidentDetail>> {
    let FormWithFiles { form, uploads } = with_files;
    let incident = visible(&state, &caller, &raw).await?;
    Ok(Json(state.services.meet_obligation_with_file(incident, obligation, form, uploads, caller.name()).await?))
}

pub async fn download_evidence(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToExport>,
    Path((raw, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let incident = visible(&state, &caller, &raw).await?;
    let (file_name, file, bytes) = state.services.evidence_file(incident, &id).await?;
    let what = format!("evidence {file_name:?} of {incident}");
    state.services.log_security(caller.name(), SecurityEvent::Exported { what }).await?;
    Ok(download(file.kind.content_type(), &file_name, bytes))
}

pub async fn download_attachment(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToExport>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (attachment, bytes) = state.services.attachment(&id).await?;
    let what = format!("report attachment {:?} ({id})", attachment.file_name);
    state.services.log_security(caller.name(), SecurityEvent::Exported { what }).await?;
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
