//! A typed client for Tocsin's HTTP API: one function per endpoint, served from the same origin.

use std::fmt;

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{
    ErrorBody, ErrorCode, FollowUp, FollowUpForm, FollowUpView, IncidentDetail, IncidentSummary, OpenIncidentForm,
    OutboxEntry, Page, ReportDetail, ReportForm, ReportReceipt, ReportSummary,
};
use shared::reference::Reference;
use shared::report::ReportStatus;
use web_sys::{File, FormData};

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with an error; `body.fields` names the form fields at fault.
    Server { status: u16, body: ErrorBody },
    /// The request never got an answer we could read: offline, server down, or a garbled body.
    Network(String),
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Server { body, .. } if body.code == ErrorCode::NotFound)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Server { body, .. } => f.write_str(&body.message),
            ApiError::Network(_) => {
                f.write_str("Could not reach the Tocsin server. Check your connection and try again.")
            }
        }
    }
}

impl From<gloo_net::Error> for ApiError {
    fn from(error: gloo_net::Error) -> Self {
        ApiError::Network(error.to_string())
    }
}

/// A proxy in front of the server may answer without our JSON error body; keep the status meaningful.
fn fallback_error_body(status: u16) -> ErrorBody {
    let (code, message) = match status {
        404 => (ErrorCode::NotFound, "Not found".to_owned()),
        413 => (ErrorCode::PayloadTooLarge, "The files are too large to send".to_owned()),
        415 => (ErrorCode::UnsupportedMediaType, "A file is not of an accepted type".to_owned()),
        _ => (ErrorCode::Internal, format!("The server could not handle the request (status {status})")),
    };
    ErrorBody { code, message, fields: Vec::new() }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return Ok(response.json().await?);
    }
    let status = response.status();
    let body = response.json::<ErrorBody>().await.unwrap_or_else(|_| fallback_error_body(status));
    Err(ApiError::Server { status, body })
}

async fn send<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>) -> Result<T, ApiError> {
    read(request?.send().await?).await
}

async fn get<T: DeserializeOwned>(builder: RequestBuilder) -> Result<T, ApiError> {
    read(builder.send().await?).await
}

/// A multipart body: the JSON form as a text part, plus one `attachment` part per file.
fn multipart(json_part: &str, form: &impl Serialize, files: &[File]) -> Result<FormData, ApiError> {
    let js_error = |e: wasm_bindgen::JsValue| ApiError::Network(format!("{e:?}"));
    let json = serde_json::to_string(form).map_err(|e| ApiError::Network(e.to_string()))?;
    let data = FormData::new().map_err(js_error)?;
    data.append_with_str(json_part, &json).map_err(js_error)?;
    for file in files {
        data.append_with_blob_and_filename("attachment", file, &file.name()).map_err(js_error)?;
    }
    Ok(data)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The opaque cursor of the page to fetch, if not the first; the server's default page size applies.
fn page_query(cursor: Option<&str>) -> Vec<(&'static str, String)> {
    cursor.map(|cursor| ("cursor", cursor.to_owned())).into_iter().collect()
}

pub async fn submit_report(form: &ReportForm, files: &[File]) -> Result<ReportReceipt, ApiError> {
    let body = multipart("report", form, files)?;
    send(Request::post("/api/reports").body(body)).await
}

pub async fn follow_up_view(token: &str) -> Result<FollowUpView, ApiError> {
    get(Request::get("/api/follow-up").header("Authorization", &bearer(token))).await
}

pub async fn submit_follow_up(token: &str, form: &FollowUpForm, files: &[File]) -> Result<FollowUp, ApiError> {
    let body = multipart("follow_up", form, files)?;
    send(Request::post("/api/follow-up").header("Authorization", &bearer(token)).body(body)).await
}

pub async fn list_reports(status: Option<ReportStatus>, cursor: Option<&str>) -> Result<Page<ReportSummary>, ApiError> {
    let mut query = page_query(cursor);
    if let Some(status) = status {
        query.push(("status", status.as_str().to_owned()));
    }
    get(Request::get("/api/reports").query(query)).await
}

/// A reference from the address bar, checked before it goes into an API path.
fn parse_reference(raw: &str, what: &str) -> Result<Reference, ApiError> {
    raw.parse().map_err(|_| ApiError::Server {
        status: 404,
        body: ErrorBody {
            code: ErrorCode::NotFound,
            message: format!("There is no {what} with the reference {raw:?}"),
            fields: Vec::new(),
        },
    })
}

pub async fn report(reference: &str) -> Result<ReportDetail, ApiError> {
    let reference = parse_reference(reference, "report")?;
    get(Request::get(&format!("/api/reports/{reference}"))).await
}

pub async fn open_incident(report: &Reference, form: &OpenIncidentForm) -> Result<IncidentDetail, ApiError> {
    send(Request::post(&format!("/api/reports/{report}/incident")).json(form)).await
}

pub async fn list_incidents(cursor: Option<&str>) -> Result<Page<IncidentSummary>, ApiError> {
    get(Request::get("/api/incidents").query(page_query(cursor))).await
}

pub async fn incident(reference: &str) -> Result<IncidentDetail, ApiError> {
    let reference = parse_reference(reference, "incident")?;
    get(Request::get(&format!("/api/incidents/{reference}"))).await
}

pub async fn list_outbox(cursor: Option<&str>) -> Result<Page<OutboxEntry>, ApiError> {
    get(Request::get("/api/outbox").query(page_query(cursor))).await
}

pub fn attachment_url(id: &str) -> String {
    format!("/api/attachments/{id}")
}

pub fn outbox_email_url(id: &str) -> String {
    format!("/api/outbox/{id}")
}
