use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::api::{DeclareIncidentForm, IncidentSummary};
use shared::incident::IncidentTitle;

use super::to_incident::send_then_open_incident;
use crate::components::{
    DataTable, FormErrors, FormSection, LocalTime, LocalTimeField, PageHeading, PagedList, PhaseBadge, SubmitButton,
    TextArea, TextField,
};
use crate::{api, clock};

const DECLARE_TARGETS: &[(&str, &str)] =
    &[("title", "declare_title"), ("detected_at", "declare_detected_at"), ("summary", "declare_summary")];

#[component]
fn IncidentsTable(incidents: Vec<IncidentSummary>) -> impl IntoView {
    let rows = incidents
        .into_iter()
        .map(|incident| {
            let reference = incident.reference.to_string();
            let not_yet = || view! { <span class="muted">"Not yet"</span> }.into_any();
            let severity = incident.severity.map_or_else(not_yet, |s| view! { {s.label()} }.into_any());
            let category = incident.category.map_or_else(not_yet, |c| view! { {c.label()} }.into_any());
            view! {
                <tr>
                    <th scope="row">
                        <a href=format!("/dashboard/incidents/{reference}")>{reference.clone()}</a>
                    </th>
                    <td class="headline">{incident.title}</td>
                    <td><PhaseBadge phase=incident.phase /></td>
                    <td>{severity}</td>
                    <td>{category}</td>
                    <td><LocalTime at=incident.opened_at /></td>
                    <td class="number">{incident.report_count}</td>
                </tr>
            }
        })
        .collect_view();
    let columns = ["Reference", "Title", "Phase", "Severity", "Category", "Opened", "Reports"];
    view! { <DataTable label="Incidents" columns>{rows}</DataTable> }
}

/// An incident with no report behind it, say one the team spotted in monitoring.
#[component]
fn DeclareIncident() -> impl IntoView {
    let title = RwSignal::new(String::new());
    let detected_at = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("declare-errors");
    let busy = RwSignal::new(false);
    let navigate = use_navigate();

    let submit = move || {
        let form = DeclareIncidentForm {
            title: title.get_untracked(),
            detected_at: clock::local_input_to_rfc3339(&detected_at.get_untracked()),
            summary: summary.get_untracked(),
        };
        if let Err(message) = IncidentTitle::parse(&form.title) {
            errors.show_field("title", message);
            return;
        }
        let request = async move { api::declare_incident(&form).await };
        send_then_open_incident(busy, errors, "summary", navigate.clone(), request);
    };

    view! {
        <FormSection
            class="panel"
            heading_id="declare-heading"
            title="Declare an incident"
            intro="For something the team found itself, with no report behind it."
            errors
            targets=DECLARE_TARGETS
            submit
        >
            <TextField id="declare_title" label="Title" value=title error=errors.for_field("title") />
            <LocalTimeField
                id="declare_detected_at"
                label="When was it detected? (optional)"
                value=detected_at
                error=errors.for_field("detected_at")
                empty_is_now=true
            />
            <TextArea
                id="declare_summary"
                label="What is known so far (optional)"
                hint="Markdown. Recorded as the first note on the timeline."
                value=summary
                error=errors.for_field("summary")
                rows=5
            />
            <SubmitButton id="declare-incident" busy busy_label="Declaring…">
                "Declare incident"
            </SubmitButton>
        </FormSection>
    }
}

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let fetch = |cursor: Option<String>| async move { api::list_incidents(cursor.as_deref()).await };
    view! {
        <PageHeading title="Incidents" />
        <PagedList fetch empty="No incidents yet. Open one from a report, or declare one below." let:incidents>
            <IncidentsTable incidents />
        </PagedList>
        <DeclareIncident />
    }
}
