use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::IncidentDetail;

use crate::components::{LoadError, Loading, LocalTime, ReportsTable};
use crate::{api, dom};

#[component]
fn IncidentDetails(incident: IncidentDetail) -> impl IntoView {
    let reports = if incident.reports.is_empty() {
        view! { <p class="empty">"No reports are linked to this incident."</p> }.into_any()
    } else {
        view! { <ReportsTable reports=incident.reports /> }.into_any()
    };
    view! {
        <h1>{incident.title}</h1>
        <dl class="details">
            <dt>"Reference"</dt>
            <dd id="incident-reference">{incident.reference.to_string()}</dd>
            <dt>"Opened"</dt>
            <dd><LocalTime at=incident.opened_at /></dd>
            <dt>"Detected"</dt>
            <dd><LocalTime at=incident.detected_at /></dd>
        </dl>
        <h2>"Linked reports"</h2>
        {reports}
    }
}

#[component]
pub fn IncidentDetailPage() -> impl IntoView {
    let params = use_params_map();
    let reference = Memo::new(move |_| params.read().get("reference").unwrap_or_default());
    Effect::new(move || dom::set_title(&format!("Incident {}", reference.get())));
    let incident = LocalResource::new(move || {
        let reference = reference.get();
        async move { api::incident(&reference).await }
    });
    view! {
        <p class="breadcrumb"><a href="/dashboard/incidents">"All incidents"</a></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match incident.await {
                    Ok(incident) => view! { <IncidentDetails incident /> }.into_any(),
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
