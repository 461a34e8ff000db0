//! Every incident's obligations on one board: the open ones by urgency, each counting down to its
//! due time, or those met or judged not required.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::api::{ObligationEntry, ObligationFilter};
use shared::deadlines::obligation::{ObligationStatus, Standing};
use shared::reference::ReferenceKind;

use crate::api::{self, obligation_state};
use crate::clock;
use crate::components::{Countdown, DataTable, LocalTime, LocalTimeOr, PageHeading, PagedList, standing_name};

const FILTERS: [ObligationFilter; 3] = [ObligationFilter::Open, ObligationFilter::Met, ObligationFilter::NotRequired];
/// The groups of the open view, most urgent first.
const OPEN_GROUPS: [Standing; 4] = [Standing::Overdue, Standing::DueSoon, Standing::Open, Standing::Waiting];

fn filter_label(filter: ObligationFilter) -> &'static str {
    match filter {
        ObligationFilter::Open => "Open",
        ObligationFilter::Met => "Met",
        ObligationFilter::NotRequired => "Not required",
    }
}

fn empty_text(filter: ObligationFilter) -> &'static str {
    match filter {
        ObligationFilter::Open => "No open obligations: nothing is owed right now.",
        ObligationFilter::Met => "No obligations met yet.",
        ObligationFilter::NotRequired => "No obligations judged not required.",
    }
}

/// How a closed obligation ended, for the met and not-required views; nothing while it is open.
fn outcome(status: ObligationStatus) -> Option<AnyView> {
    match status {
        ObligationStatus::Open => None,
        ObligationStatus::Met { met_at, by, evidence } => Some(
            view! {
                <td>
                    <LocalTime at=met_at /> " by " {by}
                    <span class="muted small">{format!("{}: {}", evidence.kind.label(), evidence.value)}</span>
                </td>
            }
            .into_any(),
        ),
        ObligationStatus::NotRequired { reason, by, at } => Some(
            view! {
                <td>
                    <LocalTime at /> {by.map_or_else(|| " as the facts changed".to_owned(), |by| format!(" by {by}"))}
                    <span class="muted small text-block">{reason}</span>
                </td>
            }
            .into_any(),
        ),
    }
}

#[component]
fn ObligationRow(entry: ObligationEntry, now: Signal<DateTime<Utc>>) -> impl IntoView {
    let ObligationEntry { incident, incident_title, response_lead, obligation, reminders_sent, escalations_sent } =
        entry;
    let reference = incident.to_string();
    // The organisation's standing duties live in the policy register, not on an incident.
    let href = match incident.kind {
        ReferenceKind::Policy => "/dashboard/policy".to_owned(),
        _ => format!("/dashboard/incidents/{reference}"),
    };
    // Rows are grouped again whenever a standing changes, so the one at drawing time holds.
    let standing = standing_name(obligation.standing(now.get_untracked()));
    let due = match obligation.due_at {
        Some(at) if obligation.is_open() => {
            view! { <LocalTime at /> <span class="small"><Countdown due=at now /></span> }.into_any()
        }
        at => view! { <LocalTimeOr at otherwise="Clock not started" /> }.into_any(),
    };
    let lead = response_lead
        .map_or_else(|| view! { <span class="muted">"Nobody yet"</span> }.into_any(), |lead| lead.into_any());
    let outcome = outcome(obligation.status);
    view! {
        <tr data-obligation=obligation.id data-incident=reference.clone() data-standing=standing>
            <th scope="row">
                <a href=href>{reference.clone()}</a>
                <span class="muted small">{incident_title}</span>
            </th>
            <td class="headline">
                {obligation.rule.title}
                <span class="muted small">{obligation.id.clone()}</span>
            </td>
            <td>{due}</td>
            {outcome}
            <td>{lead}</td>
            <td class="number">{reminders_sent}</td>
            <td class="number">{escalations_sent}</td>
        </tr>
    }
}

#[component]
fn ObligationsTable(
    entries: Vec<ObligationEntry>,
    now: Signal<DateTime<Utc>>,
    filter: ObligationFilter,
    #[prop(optional)] labelled_by: Option<String>,
) -> impl IntoView {
    // The met and not-required views list only obligations that ended that way.
    let outcome_heading = match filter {
        ObligationFilter::Open => None,
        ObligationFilter::Met => Some("Met"),
        ObligationFilter::NotRequired => Some("Judged not required"),
    };
    let columns: Vec<&str> = ["Incident", "Obligation", "Due"]
        .into_iter()
        .chain(outcome_heading)
        .chain(["Response lead", "Reminders sent", "Escalations sent"])
        .collect();
    let rows = entries.into_iter().map(|entry| view! { <ObligationRow entry now /> }).collect_view();
    view! { <DataTable label="Obligations" columns labelled_by>{rows}</DataTable> }
}

/// The open obligations of a page grouped by urgency; an obligation moves group as time passes.
#[component]
fn OpenGroups(entries: Vec<ObligationEntry>, now: Signal<DateTime<Utc>>) -> impl IntoView {
    let entries = StoredValue::new(entries);
    // Regrouped only when a standing changes, not at every tick.
    let standings = Memo::new(move |_| {
        let now = now.get();
        entries.with_value(|entries| entries.iter().map(|e| e.obligation.standing(now)).collect::<Vec<_>>())
    });
    move || {
        let standings = standings.get();
        OPEN_GROUPS
            .into_iter()
            .filter_map(|group| {
                let rows: Vec<ObligationEntry> = entries.with_value(|entries| {
                    entries.iter().zip(&standings).filter(|(_, s)| **s == group).map(|(e, _)| e.clone()).collect()
                });
                (!rows.is_empty()).then(|| {
                    let heading_id = format!("group-{}", standing_name(group));
                    view! {
                        <h2 id=heading_id.clone()>{format!("{} ({})", group.label(), rows.len())}</h2>
                        <ObligationsTable entries=rows now filter=ObligationFilter::Open labelled_by=heading_id />
                    }
                })
            })
            .collect_view()
    }
}

/// One filter's obligations, page by page. Created afresh when the filter changes, which also
/// starts the paging over.
#[component]
fn ObligationList(filter: ObligationFilter, now: Signal<DateTime<Utc>>) -> impl IntoView {
    let fetch = move |cursor: Option<String>| async move { api::list_obligations(filter, cursor.as_deref()).await };
    view! {
        <PagedList fetch empty=empty_text(filter) let:entries>
            {match filter {
                ObligationFilter::Open => view! { <OpenGroups entries now /> }.into_any(),
                _ => view! { <ObligationsTable entries now filter /> }.into_any(),
            }}
        </PagedList>
    }
}

#[component]
pub fn ObligationsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let state = query.read().get("state").unwrap_or_default();
        FILTERS.into_iter().find(|f| obligation_state(*f) == state).unwrap_or(ObligationFilter::Open)
    });
    let now = clock::ticking();
    // The filter lives in the address, so a view can be bookmarked and shared.
    let tabs = FILTERS
        .into_iter()
        .map(|option| {
            let state = obligation_state(option);
            view! {
                <a
                    href=format!("/dashboard/obligations?state={state}")
                    id=format!("filter-{state}")
                    aria-current=move || (filter.get() == option).then_some("page")
                >
                    {filter_label(option)}
                </a>
            }
        })
        .collect_view();
    view! {
        <PageHeading
            title="Obligations"
            lead="The notices and filings every incident owes. Open ones come soonest due first."
        />
        <nav class="tabs" aria-label="Which obligations">{tabs}</nav>
        {move || view! { <ObligationList filter=filter.get() now /> }}
    }
}
