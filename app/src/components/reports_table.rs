use leptos::prelude::*;
use shared::api::ReportSummary;
use shared::report::ReporterKind;

use super::{DataTable, LocalTime, StatusBadge};

/// Who sent a report, briefly: the name when given, and the kind of reporter.
fn reporter(kind: ReporterKind, name: Option<String>) -> impl IntoView {
    match name {
        Some(name) => view! { {name} <span class="muted small">{kind.label()}</span> }.into_any(),
        None => view! { <span>{kind.label()}</span> }.into_any(),
    }
}

#[component]
pub fn ReportsTable(reports: Vec<ReportSummary>) -> impl IntoView {
    let rows = reports
        .into_iter()
        .map(|report| {
            let reference = report.reference.to_string();
            let incident = match report.incident {
                Some(incident) => {
                    let incident = incident.to_string();
                    view! { <a href=format!("/dashboard/incidents/{incident}")>{incident.clone()}</a> }.into_any()
                }
                None => view! { <span class="muted">"None"</span> }.into_any(),
            };
            view! {
                <tr>
                    <th scope="row">
                        <a href=format!("/dashboard/reports/{reference}")>{reference.clone()}</a>
                    </th>
                    <td><LocalTime at=report.received_at /></td>
                    <td class="reporter">{reporter(report.reporter_kind, report.reporter_name)}</td>
                    <td class="headline">{report.headline}</td>
                    <td><StatusBadge status=report.status /></td>
                    <td class="number">{report.attachment_count}</td>
                    <td>{incident}</td>
                </tr>
            }
        })
        .collect_view();
    let columns = ["Reference", "Received", "Reporter", "What happened", "Status", "Files", "Incident"];
    view! { <DataTable label="Reports" columns>{rows}</DataTable> }
}
