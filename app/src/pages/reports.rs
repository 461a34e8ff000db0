use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::report::ReportStatus;

use crate::api;
use crate::components::{CursorTrail, LoadError, Loading, Pagination, ReportsTable, status_name};
use crate::dom;

/// One status's reports, page by page. Created afresh when the filter changes, which also
/// starts the paging over.
#[component]
fn ReportList(status: Option<ReportStatus>) -> impl IntoView {
    let trail = CursorTrail::default();
    let page = LocalResource::new(move || {
        let cursor = trail.current();
        async move { api::list_reports(status, cursor.as_deref()).await }
    });
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.items.is_empty() => {
                        let text = match status {
                            None => "No reports yet.".to_owned(),
                            Some(status) => format!("No reports with status {}.", status_name(status)),
                        };
                        view! { <p class="empty">{text}</p> }.into_any()
                    }
                    Ok(page) => view! {
                        <ReportsTable reports=page.items />
                        <Pagination trail next_cursor=page.next_cursor />
                    }
                    .into_any(),
                    Err(error) => view! { <LoadError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    dom::set_title("Reports");
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
        <h1>"Reports"</h1>
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
