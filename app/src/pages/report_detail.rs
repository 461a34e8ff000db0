use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::api::{OpenIncidentForm, ReportDetail};
use shared::incident::IncidentTitle;
use shared::reference::Reference;
use shared::report::headline;
use shared::validation::FieldError;

use crate::components::{
    AttachmentList, ErrorSummary, FollowUpList, FormErrors, LoadError, Loading, LocalTime, StatusBadge, TextField,
};
use crate::{api, dom};

fn or_not_given(value: Option<String>) -> String {
    value.unwrap_or_else(|| "Not given".to_owned())
}

/// Triage in its simplest form: open an incident from this report and link the two.
#[component]
fn OpenIncident(report: Reference, suggested_title: String) -> impl IntoView {
    let title = RwSignal::new(suggested_title);
    let errors = FormErrors::default();
    let sending = RwSignal::new(false);
    let navigate = use_navigate();

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        let form = OpenIncidentForm { title: title.get_untracked() };
        // Empty is allowed: the server then uses the report's headline.
        if !form.title.trim().is_empty()
            && let Err(message) = IncidentTitle::parse(&form.title)
        {
            errors.show_fields(vec![FieldError { field: "title".to_owned(), message }]);
            return;
        }
        errors.clear();
        sending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = api::open_incident(&report, &form).await;
            sending.set(false);
            match result {
                Ok(incident) => navigate(&format!("/dashboard/incidents/{}", incident.reference), Default::default()),
                Err(error) => errors.show_api_error(&error, "title"),
            }
        });
    };

    view! {
        <section class="panel" aria-labelledby="open-incident-heading">
            <h2 id="open-incident-heading">"Open an incident"</h2>
            <p>"This report is not linked to an incident yet."</p>
            <ErrorSummary errors targets=&[("title", "incident_title")] />
            <form novalidate on:submit=on_submit>
                <TextField
                    id="incident_title"
                    label="Incident title"
                    hint="Leave empty to use the report's first line."
                    value=title
                    error=errors.for_field("title")
                />
                <button type="submit" id="open-incident" class="button" disabled=move || sending.get()>
                    {move || if sending.get() { "Opening…" } else { "Open incident" }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn ReportDetails(report: ReportDetail) -> impl IntoView {
    let incident = match report.incident {
        Some(incident) => {
            let incident = incident.to_string();
            view! { <a href=format!("/dashboard/incidents/{incident}")>{incident.clone()}</a> }.into_any()
        }
        None => view! { "None yet" }.into_any(),
    };
    let open_incident = report.incident.is_none().then(|| {
        view! { <OpenIncident report=report.reference suggested_title=headline(&report.description) /> }
    });
    let observed_at = match report.observed_at {
        Some(at) => view! { <LocalTime at /> }.into_any(),
        None => view! { "Not given" }.into_any(),
    };
    view! {
        <h1>"Report " {report.reference.to_string()} " " <StatusBadge status=report.status /></h1>
        <dl class="details">
            <dt>"Received"</dt>
            <dd><LocalTime at=report.received_at /></dd>
            <dt>"Reporter"</dt>
            <dd>{report.reporter_kind.label()}</dd>
            <dt>"Name"</dt>
            <dd>{or_not_given(report.reporter_name)}</dd>
            <dt>"Email"</dt>
            <dd>{or_not_given(report.reporter_email)}</dd>
            <dt>"Noticed"</dt>
            <dd>{observed_at}</dd>
            <dt>"Affected system or account"</dt>
            <dd class="text-block">{or_not_given(report.affected_system)}</dd>
            <dt>"Incident"</dt>
            <dd id="report-incident">{incident}</dd>
        </dl>
        <h2>"What happened"</h2>
        <p class="text-block">{report.description}</p>
        <h2>"Steps to reproduce"</h2>
        <p class="text-block">{or_not_given(report.steps_to_reproduce)}</p>
        <h2>"Attachments"</h2>
        <p class="hint">"Files come from outside: they download rather than open, and may be hostile."</p>
        <AttachmentList attachments=report.attachments downloadable=true />
        <h2>"Added by the reporter"</h2>
        <FollowUpList follow_ups=report.follow_ups downloadable=true />
        {open_incident}
    }
}

#[component]
pub fn ReportDetailPage() -> impl IntoView {
    let params = use_params_map();
    let reference = Memo::new(move |_| params.read().get("reference").unwrap_or_default());
    Effect::new(move || dom::set_title(&format!("Report {}", reference.get())));
    let report = LocalResource::new(move || {
        let reference = reference.get();
        async move { api::report(&reference).await }
    });
    view! {
        <p class="breadcrumb"><a href="/dashboard/reports">"All reports"</a></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <ReportDetails report /> }.into_any(),
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
