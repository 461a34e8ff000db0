use leptos::prelude::*;
use shared::report::ReportStatus;

pub fn status_name(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Received => "Received",
        ReportStatus::Triaged => "Triaged",
        ReportStatus::Dismissed => "Dismissed",
    }
}

/// A report's status as a coloured label; the text carries the meaning, the colour only helps.
#[component]
pub fn StatusBadge(status: ReportStatus) -> impl IntoView {
    view! { <span class=format!("badge badge--{}", status.as_str())>{status_name(status)}</span> }
}
