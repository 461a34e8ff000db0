//! A typed client for Tocsin's HTTP API: one function per endpoint, served from the same origin.

use std::cell::Cell;
use std::fmt;

use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::{ArcRwSignal, Set, Update};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::access::{
    AcceptInvitationForm, AccountChange, Enrolment, InvitationForm, InvitationSent, Me, PasswordResetForm,
    PasswordResetRequest, SignInForm, TeamMember, TokenForm, Welcome,
};
use shared::api::{
    ClientSettings, DeclareIncidentForm, DismissReportForm, ErrorBody, ErrorCode, EvidenceFileForm, FollowUp,
    FollowUpForm, FollowUpView, IncidentCommandRequest, IncidentDetail, IncidentSummary, LinkReportForm,
    NoticeRecipientsSaved, ObligationEntry, ObligationFilter, OpenIncidentForm, OutboxEntry, Page, PeopleImportStatus,
    PeopleLeftPage, PeoplePage, PolicyDetail, RemovePeopleForm, ReportDetail, ReportForm, ReportReceipt, ReportSummary,
    ReportTicket, TimelineEntry, UploadMethod, UploadTicket, UploadTicketRequest, UploadedFile,
};
use shared::audit::Verification;
use shared::filings::FilingDraft;
use shared::inbound::InboundMessage;
use shared::metrics::MonthMetrics;
use shared::notices::{NoticeProgress, RecipientsForm};
use shared::notifications::{EmailPreview, NotificationKind, StatusUpdateForm};
use shared::people::AccountPeopleForm;
use shared::policy::PolicyReviewForm;
use shared::reference::Reference;
use shared::report::ReportStatus;
use web_sys::{File, FormData};

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with an error; `body.fields` names the form fields at fault.
    Server { status: u16, body: ErrorBody },
    /// The request never got an answer we could read: offline, server down, or a garbled body.
    Network(String),
    /// Storage refused, or never answered, the direct upload of this file.
    Upload { file_name: String },
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
            ApiError::Upload { file_name } => write!(f, "Uploading {file_name} failed; try again"),
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
        431 => (ErrorCode::HeadersTooLarge, "The request's headers are too long: clear this site's cookies".to_owned()),
        _ => (ErrorCode::Internal, format!("The server could not handle the request (status {status})")),
    };
    ErrorBody { code, message, fields: Vec::new() }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if let Some(date) = response.headers().get("date") {
        crate::clock::observe_server_date(&date);
    }
    if response.ok() {
        return Ok(response.json().await?);
    }
    let status = response.status();
    if status == 401 {
        sign_in_again();
    }
    let body = response.json::<ErrorBody>().await.unwrap_or_else(|_| fallback_error_body(status));
    Err(ApiError::Server { status, body })
}

async fn send<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>) -> Result<T, ApiError> {
    let _counted = InFlight::start();
    read(request?.send().await?).await
}

async fn get<T: DeserializeOwned>(builder: RequestBuilder) -> Result<T, ApiError> {
    let _counted = InFlight::start();
    read(builder.send().await?).await
}

thread_local! {
    static IN_FLIGHT: ArcRwSignal<usize> = ArcRwSignal::new(0);
}

/// How many requests to the server are under way (for the app's "still working" notice).
pub fn in_flight() -> ArcRwSignal<usize> {
    IN_FLIGHT.with(Clone::clone)
}

/// Counts one request for as long as it is under way, however it ends.
struct InFlight;

impl InFlight {
    fn start() -> InFlight {
        IN_FLIGHT.with(|count| count.update(|n| *n += 1));
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.with(|count| count.update(|n| *n -= 1));
    }
}

/// How far a form with files has got, for its submit button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Uploading { file: usize, of: usize },
    Sending,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Uploading { file, of } => write!(f, "Uploading file {file} of {of}…"),
            Progress::Sending => f.write_str("Sending…"),
        }
    }
}

/// A form that can carry files: inside a multipart body next to its `PART`, or named in `uploads`.
trait WithFiles: Serialize {
    const PART: &'static str;
    fn uploads(&mut self) -> &mut Vec<UploadedFile>;
}

impl WithFiles for ReportForm {
    const PART: &'static str = "report";
    fn uploads(&mut self) -> &mut Vec<UploadedFile> {
        &mut self.uploads
    }
}

impl WithFiles for FollowUpForm {
    const PART: &'static str = "follow_up";
    fn uploads(&mut self) -> &mut Vec<UploadedFile> {
        &mut self.uploads
    }
}

impl WithFiles for EvidenceFileForm {
    const PART: &'static str = "evidence";
    fn uploads(&mut self) -> &mut Vec<UploadedFile> {
        &mut self.uploads
    }
}

thread_local! {
    /// The server's upload method, asked once: it is fixed by how the server is deployed.
    static UPLOAD_METHOD: Cell<Option<UploadMethod>> = const { Cell::new(None) };
}

async fn upload_method() -> Result<UploadMethod, ApiError> {
    if let Some(method) = UPLOAD_METHOD.get() {
        return Ok(method);
    }
    let settings = client_settings().await?;
    UPLOAD_METHOD.set(Some(settings.upload_method));
    Ok(settings.upload_method)
}

/// How the server is set up: how files travel, whether single sign-on is on.
pub async fn client_settings() -> Result<ClientSettings, ApiError> {
    get(Request::get("/api/client-settings")).await
}

/// Where the browser goes to sign in with the organisation's provider, coming back to `next`.
pub fn single_sign_on_url(next: &str) -> String {
    format!("/api/oidc/start?next={}", js_sys::encode_uri_component(next))
}

/// Sends a form with its files the way the server takes them: inside one multipart body, or
/// (where API Gateway and Lambda cap request size) each file straight to storage first, then the
/// form as JSON naming the uploads.
async fn send_with_files<T: DeserializeOwned>(
    request: RequestBuilder,
    mut form: impl WithFiles,
    files: &[File],
    progress: impl Fn(Progress),
) -> Result<T, ApiError> {
    let request = match upload_method().await? {
        UploadMethod::Multipart => request.body(multipart(&form, files)?),
        UploadMethod::Ticket => {
            *form.uploads() = upload_each(files, &progress).await?;
            request.json(&form)
        }
    };
    progress(Progress::Sending);
    send(request).await
}

/// A multipart body: the JSON form as a text part, plus one `attachment` part per file.
fn multipart<F: WithFiles>(form: &F, files: &[File]) -> Result<FormData, ApiError> {
    let js_error = |e: wasm_bindgen::JsValue| ApiError::Network(format!("{e:?}"));
    let json = serde_json::to_string(form).map_err(|e| ApiError::Network(e.to_string()))?;
    let data = FormData::new().map_err(js_error)?;
    data.append_with_str(F::PART, &json).map_err(js_error)?;
    for file in files {
        data.append_with_blob_and_filename("attachment", file, &file.name()).map_err(js_error)?;
    }
    Ok(data)
}

/// Sends each file straight to storage with its own ticket, one at a time so progress is plain.
async fn upload_each(files: &[File], progress: &impl Fn(Progress)) -> Result<Vec<UploadedFile>, ApiError> {
    let mut uploaded = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        progress(Progress::Uploading { file: index + 1, of: files.len() });
        let request = UploadTicketRequest { file_name: file.name(), size_bytes: file.size() as u64 };
        let ticket: UploadTicket = send(Request::post("/api/uploads").json(&request)).await?;
        put_file(&ticket, file).await?;
        uploaded.push(UploadedFile { upload_id: ticket.upload_id, file_name: file.name() });
    }
    Ok(uploaded)
}

async fn put_file(ticket: &UploadTicket, file: &File) -> Result<(), ApiError> {
    let mut request = Request::put(&ticket.url);
    for (name, value) in &ticket.headers {
        // Browsers forbid setting these; they set them from the URL and the file, to the signed values.
        if !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("host") {
            request = request.header(name, value);
        }
    }
    // Storage answers without our error body, and a refused cross-origin request looks like a
    // network failure: either way, all the reporter can do is send that file again.
    let _counted = InFlight::start();
    match request.body(file.clone())?.send().await {
        Ok(response) if response.ok() => Ok(()),
        _ => Err(ApiError::Upload { file_name: file.name() }),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The opaque cursor of the page to fetch, if not the first; the server's default page size applies.
fn page_query(cursor: Option<&str>) -> Vec<(&'static str, String)> {
    cursor.map(|cursor| ("cursor", cursor.to_owned())).into_iter().collect()
}

/// An id as one segment of an API path, percent-encoded: ids come from rules and the server.
fn path_segment(id: &str) -> String {
    String::from(js_sys::encode_uri_component(id))
}

pub async fn submit_report(
    form: ReportForm,
    files: &[File],
    progress: impl Fn(Progress),
) -> Result<ReportReceipt, ApiError> {
    send_with_files(Request::post("/api/reports"), form, files, progress).await
}

pub async fn follow_up_view(token: &str) -> Result<FollowUpView, ApiError> {
    get(Request::get("/api/follow-up").header("Authorization", &bearer(token))).await
}

pub async fn submit_follow_up(
    token: &str,
    form: FollowUpForm,
    files: &[File],
    progress: impl Fn(Progress),
) -> Result<FollowUp, ApiError> {
    let request = Request::post("/api/follow-up").header("Authorization", &bearer(token));
    send_with_files(request, form, files, progress).await
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

pub async fn link_report(report: &Reference, form: &LinkReportForm) -> Result<IncidentDetail, ApiError> {
    send(Request::post(&format!("/api/reports/{report}/link")).json(form)).await
}

pub async fn dismiss_report(report: &Reference, form: &DismissReportForm) -> Result<ReportDetail, ApiError> {
    send(Request::post(&format!("/api/reports/{report}/dismiss")).json(form)).await
}

pub async fn list_incidents(cursor: Option<&str>) -> Result<Page<IncidentSummary>, ApiError> {
    get(Request::get("/api/incidents").query(page_query(cursor))).await
}

pub async fn declare_incident(form: &DeclareIncidentForm) -> Result<IncidentDetail, ApiError> {
    send(Request::post("/api/incidents").json(form)).await
}

pub async fn incident(reference: &str) -> Result<IncidentDetail, ApiError> {
    let reference = parse_reference(reference, "incident")?;
    get(Request::get(&format!("/api/incidents/{reference}"))).await
}

/// Carries out one command; the answer is the incident as it now stands, with its next version.
pub async fn incident_command(
    incident: &Reference,
    request: &IncidentCommandRequest,
) -> Result<IncidentDetail, ApiError> {
    send(Request::post(&format!("/api/incidents/{incident}/commands")).json(request)).await
}

/// The regulator filing of one obligation: the draft, what is missing, the filing once recorded.
pub async fn filing(incident: &Reference, obligation: &str) -> Result<FilingDraft, ApiError> {
    let obligation = js_sys::encode_uri_component(obligation);
    get(Request::get(&format!("/api/incidents/{incident}/filings/{obligation}"))).await
}

/// Sends a status update to the incident's stakeholders; the answer is the incident with it on the timeline.
pub async fn post_status_update(incident: &Reference, form: &StatusUpdateForm) -> Result<IncidentDetail, ApiError> {
    send(Request::post(&format!("/api/incidents/{incident}/updates")).json(form)).await
}

/// A notification as it would be sent now, with the update typed so far.
pub async fn preview_notification(
    incident: &Reference,
    kind: NotificationKind,
    form: &StatusUpdateForm,
) -> Result<EmailPreview, ApiError> {
    let path = format!("/api/incidents/{incident}/notifications/{}/preview", kind.as_str());
    send(Request::post(&path).json(form)).await
}

/// Chooses a customer notice's recipients.
pub async fn notice_recipients(
    incident: &Reference,
    notice_id: u32,
    form: &RecipientsForm,
) -> Result<NoticeRecipientsSaved, ApiError> {
    send(Request::post(&format!("/api/incidents/{incident}/notices/{notice_id}/recipients")).json(form)).await
}

/// The customer notice as its first recipient would get it.
pub async fn notice_preview(incident: &Reference, notice_id: u32) -> Result<EmailPreview, ApiError> {
    get(Request::get(&format!("/api/incidents/{incident}/notices/{notice_id}/preview"))).await
}

/// How far a notice's sending is.
pub async fn notice_progress(incident: &Reference, notice_id: u32) -> Result<NoticeProgress, ApiError> {
    get(Request::get(&format!("/api/incidents/{incident}/notices/{notice_id}/progress"))).await
}

/// Marks an obligation met with `file` as its evidence; the answer is the incident as it now stands.
pub async fn meet_obligation_with_file(
    incident: Reference,
    obligation: &str,
    form: EvidenceFileForm,
    file: File,
) -> Result<IncidentDetail, ApiError> {
    let obligation = path_segment(obligation);
    let request = Request::post(&format!("/api/incidents/{incident}/obligations/{obligation}/evidence"));
    send_with_files(request, form, &[file], |_| {}).await
}

/// Imports a file of people into the register: the browser streams the file itself as the body,
/// or, where files go straight to storage (AWS: API Gateway takes at most 10 MB), uploads it with
/// a ticket and waits for the import function's outcome.
pub async fn import_people(incident: &Reference, file: &File) -> Result<IncidentDetail, ApiError> {
    if upload_method().await? == UploadMethod::Ticket {
        return import_people_by_ticket(incident, file).await;
    }
    let request = Request::post(&format!("/api/incidents/{incident}/people"))
        .query([("file_name", file.name())])
        .header("content-type", "text/csv")
        .body(file.clone());
    send(request).await
}

/// How often, and for how long, an uploaded import is asked after: the import function may run
/// for up to 15 minutes on a file of millions of people.
const IMPORT_POLL_MS: u32 = 2_000;
const IMPORT_POLLS: u32 = 16 * 60 * 1_000 / IMPORT_POLL_MS;

async fn import_people_by_ticket(incident: &Reference, file: &File) -> Result<IncidentDetail, ApiError> {
    let request = UploadTicketRequest { file_name: file.name(), size_bytes: file.size() as u64 };
    let ticket: UploadTicket =
        send(Request::post(&format!("/api/incidents/{incident}/people/imports")).json(&request)).await?;
    put_file(&ticket, file).await?;
    let status_path = format!("/api/incidents/{incident}/people/imports/{}", path_segment(&ticket.upload_id));
    for _ in 0..IMPORT_POLLS {
        gloo_timers::future::TimeoutFuture::new(IMPORT_POLL_MS).await;
        match get::<PeopleImportStatus>(Request::get(&status_path)).await? {
            PeopleImportStatus::Pending => {}
            PeopleImportStatus::Done { .. } => return get(Request::get(&format!("/api/incidents/{incident}"))).await,
            PeopleImportStatus::Refused { error } => {
                let status = match error.code {
                    ErrorCode::ValidationFailed => 422,
                    ErrorCode::NotFound => 404,
                    ErrorCode::Forbidden => 403,
                    ErrorCode::Refused | ErrorCode::Conflict => 409,
                    _ => 500,
                };
                return Err(ApiError::Server { status, body: error });
            }
        }
    }
    Err(ApiError::Server {
        status: 504,
        body: ErrorBody {
            code: ErrorCode::Unavailable,
            message: "The import is taking longer than expected; reload the page later to see whether it was taken in"
                .to_owned(),
            fields: Vec::new(),
        },
    })
}

pub async fn remove_people(incident: &Reference, form: &RemovePeopleForm) -> Result<IncidentDetail, ApiError> {
    send(Request::post(&format!("/api/incidents/{incident}/people/removals")).json(form)).await
}

/// Records people told another way, or not required to be told, for one duty.
pub async fn account_for_people(incident: &Reference, form: &AccountPeopleForm) -> Result<IncidentDetail, ApiError> {
    send(Request::post(&format!("/api/incidents/{incident}/people/accounted")).json(form)).await
}

/// The people duty `duty` has yet to reach, after `after`.
pub async fn people_left(incident: &Reference, duty: &str, after: Option<&str>) -> Result<PeopleLeftPage, ApiError> {
    let mut query = vec![("duty", duty.to_owned()), ("limit", "50".to_owned())];
    if let Some(after) = after {
        query.push(("after", after.to_owned()));
    }
    get(Request::get(&format!("/api/incidents/{incident}/people/left")).query(query)).await
}

/// A page of the register, in id order, after `after`.
pub async fn people(incident: &Reference, after: Option<&str>) -> Result<PeoplePage, ApiError> {
    let mut query = vec![("limit", "50".to_owned())];
    if let Some(after) = after {
        query.push(("after", after.to_owned()));
    }
    get(Request::get(&format!("/api/incidents/{incident}/people")).query(query)).await
}

/// The timeline size per request: large, so that most incidents fit in one.
const TIMELINE_PAGE: &str = "100";

/// One page of the timeline, oldest first.
pub async fn timeline(incident: &Reference, cursor: Option<&str>) -> Result<Page<TimelineEntry>, ApiError> {
    let mut query = page_query(cursor);
    query.push(("limit", TIMELINE_PAGE.to_owned()));
    get(Request::get(&format!("/api/incidents/{incident}/timeline")).query(query)).await
}

/// The incident report as a file: `md` or `html`.
pub fn export_url(incident: &Reference, extension: &str) -> String {
    format!("/api/incidents/{incident}/export.{extension}")
}

/// Walks the audit trail of an incident or report and says whether every link holds.
pub async fn verify_audit(subject: &Reference) -> Result<Verification, ApiError> {
    get(Request::get(&format!("/api/audit/{subject}/verify"))).await
}

/// The board's filter as the `state` query parameter names it.
pub fn obligation_state(filter: ObligationFilter) -> &'static str {
    match filter {
        ObligationFilter::Open => "open",
        ObligationFilter::Met => "met",
        ObligationFilter::NotRequired => "not_required",
    }
}

/// Obligations across all incidents; open ones come soonest due first.
pub async fn list_obligations(
    filter: ObligationFilter,
    cursor: Option<&str>,
) -> Result<Page<ObligationEntry>, ApiError> {
    let mut query = page_query(cursor);
    query.push(("state", obligation_state(filter).to_owned()));
    get(Request::get("/api/obligations").query(query)).await
}

/// The policy register: the yearly review's due time and the reviews so far.
pub async fn policy() -> Result<PolicyDetail, ApiError> {
    get(Request::get("/api/policy")).await
}

/// Records a policy review; the answer is the register as it now stands.
pub async fn review_policy(form: &PolicyReviewForm) -> Result<PolicyDetail, ApiError> {
    send(Request::post("/api/policy/reviews").json(form)).await
}

/// The response figures per month of detection, newest month first.
pub async fn metrics() -> Result<Vec<MonthMetrics>, ApiError> {
    get(Request::get("/api/metrics")).await
}

/// The newest messages sent to the security address, and what became of each.
pub async fn inbound_messages() -> Result<Vec<InboundMessage>, ApiError> {
    get(Request::get("/api/inbound")).await
}

pub async fn list_outbox(cursor: Option<&str>) -> Result<Page<OutboxEntry>, ApiError> {
    get(Request::get("/api/outbox").query(page_query(cursor))).await
}

pub fn attachment_url(id: &str) -> String {
    format!("/api/attachments/{id}")
}

/// An obligation's evidence file, by the id its evidence records.
pub fn evidence_url(incident: &Reference, id: &str) -> String {
    format!("/api/incidents/{incident}/evidence/{}", path_segment(id))
}

pub fn outbox_email_url(id: &str) -> String {
    format!("/api/outbox/{id}")
}

thread_local! {
    /// Set once this page has seen a live session: a 401 after that means the session ended
    /// while someone worked, not that they never signed in.
    static HAD_SESSION: Cell<bool> = const { Cell::new(false) };
    static SESSION_ENDED: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// True while the session has ended under a dashboard page that is still open; the dashboard
/// then asks for a sign-in on the spot, leaving the page (and whatever was typed) as it is.
pub fn session_ended() -> ArcRwSignal<bool> {
    SESSION_ENDED.with(Clone::clone)
}

fn session_confirmed() {
    HAD_SESSION.with(|had| had.set(true));
    SESSION_ENDED.with(|ended| ended.set(false));
}

/// A 401: a dashboard page that had a session asks to sign in again in place; one that never had
/// one (a bookmark, an old tab) goes to the sign-in page and comes back afterwards. Public pages
/// (the report form, the follow-up page) never get a 401, so never leave.
fn sign_in_again() {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    let path = location.pathname().unwrap_or_default();
    if !path.starts_with("/dashboard") {
        return;
    }
    if HAD_SESSION.with(Cell::get) {
        SESSION_ENDED.with(|ended| ended.set(true));
    } else {
        let next = String::from(js_sys::encode_uri_component(&path));
        let _ = location.set_href(&format!("/sign-in?next={next}"));
    }
}

/// Who is signed in; a 401 if no one (the dashboard then goes to the sign-in page).
pub async fn session() -> Result<Me, ApiError> {
    let me = get(Request::get("/api/session")).await?;
    session_confirmed();
    Ok(me)
}

pub async fn sign_in(form: &SignInForm) -> Result<Me, ApiError> {
    let me = send(Request::post("/api/session").json(form)).await?;
    session_confirmed();
    Ok(me)
}

/// Ends the session on the server; the cookie goes with it.
pub async fn sign_out() -> Result<(), ApiError> {
    no_content(Request::delete("/api/session").build()).await
}

pub async fn open_invitation(token: &str) -> Result<Enrolment, ApiError> {
    send(Request::post("/api/invitations/open").json(&TokenForm { token: token.to_owned() })).await
}

pub async fn accept_invitation(form: &AcceptInvitationForm) -> Result<Welcome, ApiError> {
    send(Request::post("/api/invitations/accept").json(form)).await
}

/// Always succeeds for a well-formed address, account or not: the email says the rest.
pub async fn request_password_reset(email: &str) -> Result<(), ApiError> {
    let body = PasswordResetRequest { email: email.to_owned() };
    no_content(Request::post("/api/password-resets").json(&body)).await
}

pub async fn reset_password(form: &PasswordResetForm) -> Result<(), ApiError> {
    no_content(Request::post("/api/password-resets/complete").json(form)).await
}

/// An answer with no body on success (202, 204).
/// `send` for the few calls whose answer has no body.
async fn no_content(request: Result<Request, gloo_net::Error>) -> Result<(), ApiError> {
    let _counted = InFlight::start();
    let response = request?.send().await?;
    if response.ok() { Ok(()) } else { read::<()>(response).await }
}

pub async fn team() -> Result<Vec<TeamMember>, ApiError> {
    get(Request::get("/api/accounts")).await
}

pub async fn invite(form: &InvitationForm) -> Result<InvitationSent, ApiError> {
    send(Request::post("/api/invitations").json(form)).await
}

pub async fn change_account(id: &str, change: &AccountChange) -> Result<TeamMember, ApiError> {
    send(Request::patch(&format!("/api/accounts/{}", path_segment(id))).json(change)).await
}

/// The signed ticket the report form sends back, taken when the form opens.
pub async fn report_ticket() -> Result<String, ApiError> {
    let ticket: ReportTicket = get(Request::get("/api/report-ticket")).await?;
    Ok(ticket.ticket)
}
