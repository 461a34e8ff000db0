use leptos::prelude::*;
use shared::api::IncidentSummary;

use crate::api;
use crate::components::{CursorTrail, LoadError, Loading, LocalTime, Pagination};
use crate::dom;

#[component]
fn IncidentsTable(incidents: Vec<IncidentSummary>) -> impl IntoView {
    let rows = incidents
        .into_iter()
        .map(|incident| {
            let reference = incident.reference.to_string();
            view! {
                <tr>
                    <th scope="row">
                        <a href=format!("/dashboard/incidents/{reference}")>{reference.clone()}</a>
                    </th>
                    <td>{incident.title}</td>
                    <td><LocalTime at=incident.opened_at /></td>
                    <td class="number">{incident.report_count}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Reference"</th>
                        <th scope="col">"Title"</th>
                        <th scope="col">"Opened"</th>
                        <th scope="col">"Reports"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
pub fn IncidentsPage() -> impl IntoView {
    dom::set_title("Incidents");
    let trail = CursorTrail::default();
    let page = LocalResource::new(move || {
        let cursor = trail.current();
        async move { api::list_incidents(cursor.as_deref()).await }
    });
    view! {
        <h1>"Incidents"</h1>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.items.is_empty() => view! {
                        <p class="empty">"No incidents yet. Open one from a report."</p>
                    }
                    .into_any(),
                    Ok(page) => view! {
                        <IncidentsTable incidents=page.items />
                        <Pagination trail next_cursor=page.next_cursor />
                    }
                    .into_any(),
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
