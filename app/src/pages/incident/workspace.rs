//! What every section of the incident page shares: the incident as last loaded, and the one way
//! to change it. Each command goes with the version the person was looking at, and the answer
//! replaces the incident on the page, so the next command carries the next version.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ErrorCode, EvidenceFileForm, IncidentCommandRequest, IncidentDetail, RemovePeopleForm};
use shared::notices::RecipientsForm;
use shared::notifications::StatusUpdateForm;
use shared::people::AccountPeopleForm;
use shared::record::{IncidentCommand, IncidentRecord};
use shared::reference::Reference;
use shared::workflow::investigation::LineError;
use web_sys::File;

use crate::api::{self, ApiError};
use crate::components::{FormErrors, send};
use crate::dom;

pub const NOTICE_ID: &str = "command-error";
/// The field the server names for a file it refused, and where a failed upload is shown.
pub const FILE_FIELD: &str = "attachments";

/// Where a failed command's problems go: a form's error summary and fields, or (for controls
/// outside any form, such as a task's status) the page's notice.
#[derive(Debug, Clone, Copy)]
pub enum Errors {
    Form(FormErrors),
    Notice,
}

#[derive(Debug, Clone, Copy)]
pub struct Workspace {
    pub reference: Reference,
    pub detail: RwSignal<IncidentDetail>,
    /// A refusal or conflict from any command, shown at the top of the page.
    pub notice: RwSignal<Option<String>>,
    /// Counts successful changes, so that the timeline knows to reload.
    pub changes: RwSignal<u64>,
}

impl Workspace {
    pub fn new(detail: IncidentDetail) -> Self {
        Self {
            reference: detail.record.reference,
            detail: RwSignal::new(detail),
            notice: RwSignal::new(None),
            changes: RwSignal::new(0),
        }
    }

    /// A part of the record that views follow; they update only when that part changes.
    pub fn select<T: PartialEq + Send + Sync + 'static>(
        self,
        part: impl Fn(&IncidentRecord) -> T + Send + Sync + 'static,
    ) -> Memo<T> {
        let detail = self.detail;
        Memo::new(move |_| detail.with(|d| part(&d.record)))
    }

    fn version(self) -> u64 {
        self.detail.with_untracked(|d| d.version)
    }

    /// Sends `command`; on success the page shows the new state and `on_done` runs (to clear a form, say).
    /// `busy` is true while the command is under way; a second click meanwhile does nothing.
    pub fn run(self, command: IncidentCommand, errors: Errors, busy: RwSignal<bool>, on_done: impl FnOnce() + 'static) {
        let (reference, request) =
            (self.reference, IncidentCommandRequest { expected_version: self.version(), command });
        self.send(errors, busy, on_done, async move { api::incident_command(&reference, &request).await });
    }

    /// Imports a file of people into the register (added, or corrected by id).
    pub fn import_people(self, file: File, errors: FormErrors, busy: RwSignal<bool>, on_done: impl FnOnce() + 'static) {
        let reference = self.reference;
        let request = async move { api::import_people(&reference, &file).await };
        self.send(Errors::Form(errors), busy, on_done, request);
    }

    /// Takes people off the register by id.
    pub fn remove_people(
        self,
        ids: Vec<String>,
        errors: FormErrors,
        busy: RwSignal<bool>,
        on_done: impl FnOnce() + 'static,
    ) {
        let (reference, form) = (self.reference, RemovePeopleForm { ids });
        let request = async move { api::remove_people(&reference, &form).await };
        self.send(Errors::Form(errors), busy, on_done, request);
    }

    /// Records people told another way, or not required to be told, for one duty.
    pub fn account_for_people(
        self,
        form: AccountPeopleForm,
        errors: FormErrors,
        busy: RwSignal<bool>,
        on_done: impl FnOnce() + 'static,
    ) {
        let reference = self.reference;
        let request = async move { api::account_for_people(&reference, &form).await };
        self.send(Errors::Form(errors), busy, on_done, request);
    }

    /// Sends a status update to the stakeholders.
    pub fn post_update(
        self,
        message: String,
        errors: FormErrors,
        busy: RwSignal<bool>,
        on_done: impl FnOnce() + 'static,
    ) {
        let (reference, form) = (self.reference, StatusUpdateForm { message });
        let request = async move { api::post_status_update(&reference, &form).await };
        self.send(Errors::Form(errors), busy, on_done, request);
    }

    /// Chooses a notice's recipients; the lines left out go to `refused`, by notice.
    pub fn choose_recipients(
        self,
        notice_id: u32,
        form: RecipientsForm,
        errors: FormErrors,
        busy: RwSignal<bool>,
        refused: RwSignal<BTreeMap<u32, Vec<LineError>>>,
    ) {
        let reference = self.reference;
        let request = async move {
            let saved = api::notice_recipients(&reference, notice_id, &form).await?;
            refused.update(|all| {
                all.insert(notice_id, saved.refused);
            });
            Ok(saved.incident)
        };
        self.send(Errors::Form(errors), busy, || {}, request);
    }

    /// Marks obligation `id` met with `file` as its evidence, sent the way a report's files are.
    pub fn meet_with_file(
        self,
        id: String,
        met_at: Option<DateTime<Utc>>,
        file: File,
        errors: FormErrors,
        busy: RwSignal<bool>,
        on_done: impl FnOnce() + 'static,
    ) {
        let (reference, form) =
            (self.reference, EvidenceFileForm { expected_version: self.version(), met_at, uploads: Vec::new() });
        let request = async move { api::meet_obligation_with_file(reference, &id, form, file).await };
        self.send(Errors::Form(errors), busy, on_done, request);
    }

    fn send(
        self,
        errors: Errors,
        busy: RwSignal<bool>,
        on_done: impl FnOnce() + 'static,
        request: impl Future<Output = Result<IncidentDetail, ApiError>> + 'static,
    ) {
        if let Errors::Form(form) = errors {
            form.clear();
        }
        self.notice.set(None);
        send(busy, request, move |result| match result {
            Ok(detail) => {
                self.show(detail);
                on_done();
            }
            Err(error) => self.fail(&error, errors),
        });
    }

    fn show(self, detail: IncidentDetail) {
        self.detail.set(detail);
        self.changes.update(|n| *n += 1);
    }

    fn fail(self, error: &ApiError, errors: Errors) {
        match (error, errors) {
            (ApiError::Server { body, .. }, _) if body.code == ErrorCode::Refused => {
                self.show_notice(body.message.clone())
            }
            (ApiError::Server { body, .. }, _) if body.code == ErrorCode::Conflict => {
                self.show_notice(format!(
                    "{} The incident has been reloaded with the latest changes: check them, then try again.",
                    body.message
                ));
                self.reload();
            }
            (error, Errors::Form(form)) => form.show_api_error(error, FILE_FIELD),
            (ApiError::Server { body, .. }, Errors::Notice) if !body.fields.is_empty() => {
                let details: Vec<&str> = body.fields.iter().map(|f| f.message.as_str()).collect();
                self.show_notice(details.join(". "));
            }
            (error, Errors::Notice) => self.show_notice(error.to_string()),
        }
    }

    fn show_notice(self, message: String) {
        self.notice.set(Some(message));
        dom::focus_after_render(NOTICE_ID);
    }

    /// Loads the incident again, after someone else (or the server, finishing a campaign) changed
    /// it meanwhile.
    pub fn reload(self) {
        spawn_local(async move {
            match api::incident(&self.reference.to_string()).await {
                Ok(detail) => self.show(detail),
                Err(error) => self.notice.update(|notice| {
                    let reloading = format!("Reloading failed too: {error}");
                    *notice = Some(notice.take().map_or(reloading.clone(), |n| format!("{n} {reloading}")));
                }),
            }
        });
    }
}

/// The workspace of the incident on this page, provided by the page to its sections.
pub fn use_workspace() -> Workspace {
    expect_context::<Workspace>()
}
