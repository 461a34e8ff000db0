//! How fast the team responds, month by month: median hours to each point of the response, and
//! the share of obligations met on time.

use chrono::NaiveDate;
use leptos::prelude::*;
use shared::metrics::MonthMetrics;

use crate::api;
use crate::components::{DataTable, PageHeading, PagedList, one_page};

/// "2026-11" as people read it: "November 2026".
fn month_name(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_or_else(|_| month.to_owned(), |first| first.format("%B %Y").to_string())
}

/// A median in hours, "1.5 h"; "—" when no incident reached that point.
fn hours(median: Option<f64>) -> String {
    median.map_or_else(|| "—".to_owned(), |h| format!("{h:.1} h"))
}

/// "3 of 4 (75%)"; "—" when none fell due.
fn on_time(met: u32, due: u32) -> String {
    if due == 0 {
        return "—".to_owned();
    }
    format!("{met} of {due} ({}%)", (f64::from(met) * 100.0 / f64::from(due)).round())
}

#[component]
fn MetricsTable(months: Vec<MonthMetrics>) -> impl IntoView {
    let rows = months
        .into_iter()
        .map(|m| {
            view! {
                <tr>
                    <th scope="row"><time datetime=m.month.clone()>{month_name(&m.month)}</time></th>
                    <td class="number">{m.incidents}</td>
                    <td class="number">{hours(m.hours_to_triage)}</td>
                    <td class="number">{hours(m.hours_to_internal_notice)}</td>
                    <td class="number">{hours(m.hours_to_customer_notice)}</td>
                    <td class="number">{hours(m.hours_to_containment)}</td>
                    <td class="number">{hours(m.hours_to_recovery)}</td>
                    <td class="number">{on_time(m.obligations_met_on_time, m.obligations_due)}</td>
                </tr>
            }
        })
        .collect_view();
    let columns = [
        "Month",
        "Incidents",
        "To triage",
        "To internal notice",
        "To customer notice",
        "To containment",
        "To recovery",
        "Obligations met on time",
    ];
    view! { <DataTable label="Monthly figures" id="metrics" columns>{rows}</DataTable> }
}

#[component]
pub fn MetricsPage() -> impl IntoView {
    let fetch = |_: Option<String>| async { api::metrics().await.map(one_page) };
    view! {
        <PageHeading
            title="Metrics"
            lead="Incidents by the month they were detected, newest first. Times are medians in hours: triage \
                  from the first report, customer notice from the breach's confirmation, the rest from detection. \
                  Obligations count in the month they fell due; open ones past due count as missed."
        />
        <PagedList fetch empty="No incidents yet." let:months>
            <MetricsTable months />
        </PagedList>
    }
}
