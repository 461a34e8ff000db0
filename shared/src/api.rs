//! The JSON contract between the app and the server: request and response bodies, and the one
//! error shape every failure uses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::attachment::AttachmentKind;
use crate::deadlines::obligation::Obligation;
use crate::deadlines::timing::Anchor;
use crate::record::{IncidentCommand, IncidentRecord};
use crate::reference::Reference;
pub use crate::report::{ReportForm, UploadedFile};
use crate::report::{ReportStatus, ReporterKind};
use crate::validation::FieldError;
use crate::workflow::classification::{BreachVerdict, Category, Severity};
use crate::workflow::phase::{Moves, Phase};

/// `GET /api/report-ticket`: signed by the server; a report must carry one a few seconds old.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportTicket {
    pub ticket: String,
}

/// More information from the reporter, sent as the `follow_up` part of a multipart body or as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpForm {
    pub message: String,
    /// Files already sent straight to storage with upload tickets (AWS mode).
    pub uploads: Vec<UploadedFile>,
}

/// How this server wants files: inside the multipart form (local mode), or sent first, one by one,
/// straight to storage with an [`UploadTicket`] (AWS, where API Gateway and Lambda cap request size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadMethod {
    Multipart,
    Ticket,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSettings {
    pub upload_method: UploadMethod,
    /// The sign-in page offers single sign-on.
    #[serde(default)]
    pub single_sign_on: bool,
}

/// Asks for permission to upload one file of exactly `size_bytes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadTicketRequest {
    pub file_name: String,
    pub size_bytes: u64,
}

/// A pre-signed `PUT` of one file: send the file as the body to `url` with `headers` (a browser sets
/// `content-length` itself). The file is checked when the form that names it is submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadTicket {
    pub upload_id: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReceipt {
    pub reference: Reference,
    /// The private follow-up link, shown only when no email was given: it is then the reporter's
    /// only way back. Otherwise it travels only by email.
    pub follow_up_url: Option<String>,
    pub receipt_emailed: bool,
    pub attachments: Vec<AttachmentSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentSummary {
    pub id: String,
    pub file_name: String,
    pub kind: AttachmentKind,
    pub size_bytes: u64,
    /// Lower-case hex SHA-256 of the content, recorded on receipt for evidence integrity.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    pub reference: Reference,
    pub status: ReportStatus,
    pub reporter_kind: ReporterKind,
    pub reporter_name: Option<String>,
    /// The first line of the description, shortened for lists.
    pub headline: String,
    pub received_at: DateTime<Utc>,
    pub attachment_count: u32,
    pub incident: Option<Reference>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDetail {
    pub reference: Reference,
    pub status: ReportStatus,
    pub reporter_kind: ReporterKind,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub description: String,
    pub steps_to_reproduce: Option<String>,
    pub observed_at: Option<DateTime<Utc>>,
    pub affected_system: Option<String>,
    pub received_at: DateTime<Utc>,
    pub attachments: Vec<AttachmentSummary>,
    pub follow_ups: Vec<FollowUp>,
    pub incident: Option<Reference>,
    /// Why the team did not take the report further; the reporter sees it too.
    pub dismissal_reason: Option<String>,
    /// Set when the report came by email: the sender's authentication and refused files.
    #[serde(default)]
    pub email: Option<crate::inbound::EmailIntake>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub message: Option<String>,
    pub received_at: DateTime<Utc>,
    pub attachments: Vec<AttachmentSummary>,
    /// Set when it came by email (a reply to the receipt).
    #[serde(default)]
    pub email: Option<crate::inbound::EmailIntake>,
}

/// What a reporter sees through the private follow-up link: their own report, never the team's notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpView {
    pub reference: Reference,
    pub status: ReportStatus,
    pub status_label: String,
    pub received_at: DateTime<Utc>,
    pub description: String,
    pub attachments: Vec<AttachmentSummary>,
    pub follow_ups: Vec<FollowUp>,
    pub dismissal_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSummary {
    pub reference: Reference,
    pub title: String,
    pub opened_at: DateTime<Utc>,
    pub report_count: u32,
    pub phase: Phase,
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    pub verdict: BreachVerdict,
    #[serde(default)]
    pub restricted: bool,
    /// Whose accounts may see it when restricted (with admins): see
    /// `IncidentRecord::participant_accounts`.
    #[serde(default)]
    pub participant_accounts: Vec<String>,
}

impl IncidentSummary {
    pub fn of(record: &IncidentRecord, report_count: u32) -> Self {
        Self {
            reference: record.reference,
            title: record.title.clone(),
            opened_at: record.opened_at,
            report_count,
            phase: record.phase,
            category: record.classification.category,
            severity: record.classification.severity,
            verdict: record.classification.verdict,
            restricted: record.restricted,
            participant_accounts: record.participant_accounts().into_iter().map(str::to_owned).collect(),
        }
    }

    /// [`IncidentRecord::visible_to`], from the summary alone.
    pub fn visible_to(&self, account: &str, role: crate::access::TeamRole) -> bool {
        !self.restricted
            || role == crate::access::TeamRole::Admin
            || self.participant_accounts.iter().any(|p| p == account)
    }
}

/// A notice's recipients taken: the incident as it now is, how many, and the lines left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRecipientsSaved {
    pub incident: IncidentDetail,
    pub count: u32,
    pub refused: Vec<crate::workflow::investigation::LineError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDetail {
    pub record: IncidentRecord,
    /// Send this back with a command: a change made meanwhile by someone else is then a conflict.
    pub version: u64,
    /// The earliest linked report, the declared detection time, or the opening, whichever came first.
    pub detected_at: DateTime<Utc>,
    pub reports: Vec<ReportSummary>,
    /// The phase moves open now, and those blocked with what blocks them.
    pub moves: Moves,
    /// Every clock anchor: its time if known, and whether a person set it.
    pub clock: Vec<ClockAnchor>,
}

/// The policy register as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDetail {
    pub register: crate::policy::PolicyRegister,
    /// Send this back with a review: a review recorded meanwhile is then a conflict.
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockAnchor {
    pub anchor: Anchor,
    pub at: Option<DateTime<Utc>>,
    pub set_by_hand: bool,
    /// Where the time comes from ("Report REP-2026-000003: when the reporter noticed it").
    pub source: Option<String>,
}

impl ClockAnchor {
    /// The incident's anchors in their natural order, known or not.
    pub fn of_record(record: &IncidentRecord) -> Vec<ClockAnchor> {
        let mut known = record.sourced_anchors();
        Anchor::INCIDENT
            .into_iter()
            .map(|anchor| {
                let sourced = known.remove(&anchor);
                ClockAnchor {
                    at: sourced.as_ref().map(|s| s.at),
                    source: sourced.map(|s| s.source),
                    set_by_hand: record.clock.contains_key(&anchor),
                    anchor,
                }
            })
            .collect()
    }
}

/// One obligation on the board across incidents, with its reminders and escalations so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationEntry {
    pub incident: Reference,
    pub incident_title: String,
    pub response_lead: Option<String>,
    pub obligation: Obligation,
    pub reminders_sent: u32,
    pub escalations_sent: u32,
}

/// Marks an obligation met with a file as its evidence: the file goes in the multipart body (part
/// `attachment`, this form as part `evidence`) or, where uploads go straight to storage, in `uploads`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceFileForm {
    pub expected_version: u64,
    #[serde(default)]
    pub met_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub uploads: Vec<UploadedFile>,
}

/// Which obligations the board lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationFilter {
    /// Overdue, due soon, open and waiting, soonest first.
    Open,
    Met,
    NotRequired,
}

/// Opens an incident from a report (the simplest triage); the title defaults to the report's headline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenIncidentForm {
    pub title: String,
}

/// Adds a report to an incident that is already open (several reports, one incident).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkReportForm {
    /// An incident reference such as `INC-2026-000001`.
    pub incident: String,
}

/// Closes a report without an incident; the reason is shown to the reporter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DismissReportForm {
    pub reason: String,
}

/// Declares an incident with no report behind it (say, the team spotted it in monitoring).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeclareIncidentForm {
    pub title: String,
    /// When it was detected, if before now (RFC 3339 with an offset); empty means now.
    pub detected_at: String,
    /// What is known so far, in Markdown; recorded as the first note.
    pub summary: String,
}

/// A command on an incident, made against the version the person was looking at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentCommandRequest {
    pub expected_version: u64,
    pub command: IncidentCommand,
}

/// A page of an incident's affected-people register, in id order, and how many are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub people: Vec<crate::people::Listed>,
    /// Where the next page starts (`?after=`); `None` on the last page.
    pub next_after: Option<String>,
    pub total: u64,
}

/// Someone in a duty's scope not yet told for it, and why as far as the register knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonLeft {
    #[serde(flatten)]
    pub listed: crate::people::Listed,
    pub why: String,
}

/// A page of the people a duty still has to reach, in id order. A page may hold fewer than asked
/// (even none) and still have a next one: each request reads a bounded stretch of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleLeftPage {
    pub people: Vec<PersonLeft>,
    pub next_after: Option<String>,
}

/// People to take off the register, by id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovePeopleForm {
    pub ids: Vec<String>,
}

/// The most ids one removal takes; larger corrections are imports.
pub const REMOVALS_MAX: usize = 10_000;

/// The largest file of people imported at once: about five million lines of a typical export.
pub const PEOPLE_FILE_MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// `GET /api/incidents/{ref}/people/imports/{id}`: how an import file sent straight to storage
/// (AWS, with an [`UploadTicket`] from `POST /api/incidents/{ref}/people/imports`) was taken in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PeopleImportStatus {
    /// Not uploaded yet, or still being imported.
    Pending,
    /// Imported whole; the register now lists this many people.
    Done { people: u64 },
    /// Nothing was imported; `error` says why as the direct route would (its `fields` the bad lines).
    Refused { error: ErrorBody },
}

/// One line of an incident's timeline: an audit-trail entry, described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub summary: String,
    /// A note's Markdown rendered to HTML with raw HTML escaped and only safe links kept.
    pub note_html: Option<String>,
    pub hash: String,
}

/// An alert from a monitoring tool, sent to `POST /api/alerts/{source}` signed with the source's secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertPayload {
    /// Which predefined criterion fired.
    pub criterion: Category,
    /// The monitoring tool's own key for the condition; repeats within the window update one incident.
    pub source_key: String,
    pub title: String,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub observed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertOutcome {
    pub incident: Reference,
    /// True when this alert opened the incident, false when it was added to an open one.
    pub opened: bool,
}

/// One email in the local outbox, as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub written_at: DateTime<Utc>,
    /// A name to save the message under, as an `.eml` file.
    pub file: String,
}

/// A page of a newest-first list. `next_cursor` is opaque; pass it back as `?cursor=` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const MAX_PAGE_SIZE: u32 = 100;

/// The one error shape of the API. `fields` is filled for validation failures, in form order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 422: one or more fields broke a rule; see `fields`.
    ValidationFailed,
    /// 400: the body could not be read (bad JSON, bad multipart, not UTF-8).
    MalformedRequest,
    /// 413: the body or a file is over its limit.
    PayloadTooLarge,
    /// 431: the request's headers are too many or too long (often a pile of stale cookies).
    HeadersTooLarge,
    /// 415: a file or body of a type that is not accepted.
    UnsupportedMediaType,
    /// 404: nothing here, or nothing this caller may see.
    NotFound,
    /// 405: the path exists but not for this method; `Allow` lists those it takes.
    MethodNotAllowed,
    /// 409: the change conflicts with the current state.
    Conflict,
    /// 409: the incident's state does not allow this (a phase rule, say); the message says why.
    Refused,
    /// 401: the request is not signed, or not signed right.
    Unauthorized,
    /// 403: refused as it stands, such as a change sent from another site.
    Forbidden,
    /// 429: too many attempts or requests from this address; retry after `Retry-After` seconds.
    TooManyRequests,
    /// 503: busy or throttled; retry after the `Retry-After` seconds. Nothing was changed.
    Unavailable,
    /// 500: our fault; the cause is in the server log, never in the body.
    Internal,
}
