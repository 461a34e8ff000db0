use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::report::ReportStatus;

use crate::api;
use crate::components::{PageHeading, PagedList, ReportsTable, status_name};

/// One status's reports, page by page. Created afresh when the filter changes, which also
/// starts the paging over.
#[component]
fn ReportList(status: Option<ReportStatus>) -> impl IntoView {
    let empty = match status {
        None => "No reports yet.".to_owned(),
        Some(status) => format!("No reports with status {}.", status_name(status)),
    };
    let fetch = move |cursor: Option<String>| async move { api::list_reports(status, cursor.as_deref()).await };
    view! {
        <PagedList fetch empty let:reports>
            <ReportsTable reports />
        </PagedList>
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let query = use_query_map();
    let status = Memo::new(move |_| query.read().get("status").and_then(|s| s.parse::<ReportStatus>().ok()));
    let navigate = use_navigate();
    // The filter lives in the address, so a filtered list can be bookmarked and shared.
    let on_filter = move |ev| {
        let url = match event_target_value(&ev).as_str() {
            "" => "/dashboard/reports".to_owned(),
            status => format!("/dashboard/reports?status={status}"),
        };
        navigate(&url, Default::default());
    };
    let options = ReportStatus::ALL
        .into_iter()
        .map(|option| {
            view! {
                <option value=option.as_str() prop:selected=move || status.get() == Some(option)>
                    {status_name(option)}
                </option>
            }
        })
        .collect_view();
    view! {
        <PageHeading title="Reports" />
        <div class="toolbar">
            <label for="status-filter">"Status"</label>
            <select id="status-filter" on:change=on_filter>
                <option value="" prop:selected=move || status.get().is_none()>"All"</option>
                {options}
            </select>
        </div>
        {move || view! { <ReportList status=status.get() /> }}
    }
}
