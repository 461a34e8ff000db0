//! The public report form. The rules of `shared::report` run here first, so mistakes show
//! without a round trip; the server runs the same rules again.

use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{ReportForm, ReportReceipt};
use shared::report::{NewReport, ReporterKind};

use crate::components::{
    CheckedForm, FieldSet, FileField, FormErrors, LocalTimeField, SubmitButton, TextArea, TextField, aria_describedby,
    aria_invalid, send,
};
use crate::{api, clock, files};

/// Where the error summary sends focus for each field; a radio group's first option stands for it.
const FIELD_TARGETS: &[(&str, &str)] = &[
    ("reporter_kind", "reporter_kind-customer"),
    ("name", "name"),
    ("email", "email"),
    ("description", "description"),
    ("steps_to_reproduce", "steps_to_reproduce"),
    ("observed_at", "observed_at"),
    ("affected_system", "affected_system"),
    ("attachments", "attachments"),
];

#[component]
fn ReporterKindChoice(value: RwSignal<String>, error: Signal<Option<String>>) -> impl IntoView {
    let options = ReporterKind::ALL
        .into_iter()
        .map(|kind| {
            let id = format!("reporter_kind-{}", kind.as_str());
            view! {
                <div class="radio">
                    <input
                        type="radio"
                        id=id.clone()
                        name="reporter_kind"
                        value=kind.as_str()
                        bind:group=value
                        aria-invalid=aria_invalid(error)
                        aria-describedby=aria_describedby("reporter_kind".to_owned(), false, error)
                    />
                    <label for=id>{kind.label()}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <FieldSet name="reporter_kind" legend="Who are you?" error>
            <div class="radios">{options}</div>
        </FieldSet>
    }
}

#[component]
pub fn NewReportForm(#[prop(into)] on_received: Callback<ReportReceipt>) -> impl IntoView {
    let reporter_kind = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let steps_to_reproduce = RwSignal::new(String::new());
    let observed_at = RwSignal::new(String::new());
    let affected_system = RwSignal::new(String::new());
    let attachments = NodeRef::<Input>::new();
    let website = RwSignal::new(String::new());
    let errors = FormErrors::default();
    let busy = RwSignal::new(false);
    let progress = RwSignal::new(api::Progress::Sending);
    // The bot barrier's ticket, taken as the form opens and again after the server refuses one
    // (expired, or sent within seconds); a failure here shows when the form is sent.
    let ticket = RwSignal::new(String::new());
    let fetch_ticket = move || {
        spawn_local(async move {
            if let Ok(fresh) = api::report_ticket().await {
                ticket.set(fresh);
            }
        })
    };
    fetch_ticket();

    let typed_form = move || ReportForm {
        reporter_kind: reporter_kind.get_untracked(),
        name: name.get_untracked(),
        email: email.get_untracked(),
        description: description.get_untracked(),
        steps_to_reproduce: steps_to_reproduce.get_untracked(),
        observed_at: clock::local_input_to_rfc3339(&observed_at.get_untracked()),
        affected_system: affected_system.get_untracked(),
        // Filled by `api::submit_report` when files go straight to storage.
        uploads: Vec::new(),
        ticket: ticket.get_untracked(),
        website: website.get_untracked(),
    };

    let submit = move || {
        let form = typed_form();
        let chosen = files::selected(attachments);
        let mut problems = NewReport::parse(&form, clock::now()).err().unwrap_or_default();
        if let Some(message) = files::problem(&chosen) {
            problems.push("attachments", message);
        }
        if !errors.check(problems.0) {
            return;
        }
        progress.set(api::Progress::Sending);
        let request = async move { api::submit_report(form, &chosen, move |now| progress.set(now)).await };
        send(busy, request, move |result| match result {
            Ok(receipt) => on_received.run(receipt),
            // Nothing typed is cleared, so the reporter only fixes what is named.
            Err(error) => {
                if let api::ApiError::Server { body, .. } = &error
                    && body.fields.iter().any(|field| field.field == "ticket")
                {
                    fetch_ticket();
                }
                errors.show_api_error(&error, "attachments")
            }
        });
    };

    view! {
        <h1 id="report-form-heading" tabindex="-1">"Report a security problem"</h1>
        <p class="lead">
            "Tell us about anything that might put people's data or our systems at risk: a suspicious "
            "email, a leaked password, a bug that exposes other people's information. You do not need an "
            "account, and you can stay anonymous."
        </p>
        <CheckedForm errors targets=FIELD_TARGETS class="report-form" submit>
            <ReporterKindChoice value=reporter_kind error=errors.for_field("reporter_kind") />
            <TextField
                id="name"
                label="Your name"
                hint="Optional only if you report anonymously."
                value=name
                error=errors.for_field("name")
                autocomplete="name"
            />
            <TextField
                id="email"
                label="Your email address"
                hint="Optional only if you report anonymously. We send your receipt and private follow-up link here."
                value=email
                error=errors.for_field("email")
                input_type="email"
                autocomplete="email"
            />
            <TextArea
                id="description"
                label="What happened"
                hint="Describe what you saw and why it worries you. Do not include passwords."
                value=description
                error=errors.for_field("description")
                rows=8
            />
            <TextArea
                id="steps_to_reproduce"
                label="Steps to reproduce (optional)"
                hint="If it can happen again, how?"
                value=steps_to_reproduce
                error=errors.for_field("steps_to_reproduce")
            />
            <LocalTimeField
                id="observed_at"
                label="When did you notice it? (optional)"
                value=observed_at
                error=errors.for_field("observed_at")
            />
            <TextField
                id="affected_system"
                label="Affected system or account (optional)"
                hint="For example a web address, an app or your account name."
                value=affected_system
                error=errors.for_field("affected_system")
            />
            <FileField
                id="attachments"
                label="Attach files (optional)"
                input=attachments
                error=errors.for_field("attachments")
            />
            // A trap for bots: hidden from view and from assistive technology, never focused.
            <div class="honeypot" aria-hidden="true">
                <label for="website">"Leave empty"</label>
                <input type="text" id="website" name="website" tabindex="-1" autocomplete="off" bind:value=website />
            </div>
            <SubmitButton id="submit-report" busy busy_label=Signal::derive(move || progress.get().to_string())>
                "Send report"
            </SubmitButton>
        </CheckedForm>
    }
}
