//! Moving the incident through the response phases: the moves open now, what blocks the others,
//! and the written reason that overriding open tasks or going back needs.

use leptos::prelude::*;
use shared::record::IncidentCommand;
use shared::workflow::phase::{LegalMove, Phase, ReasonNeeded};

use super::workspace::{Errors, use_workspace};
use crate::components::{DataTable, ErrorSummary, FormErrors, LocalTime, Section, TextArea};

const TARGETS: &[(&str, &str)] = &[("reason", "phase_reason")];

fn button_text(from: Phase, to: Phase) -> String {
    if to == Phase::Closed && from == Phase::Identification {
        "Close: not a breach".to_owned()
    } else if to < from {
        format!("Go back to {}", to.label())
    } else {
        format!("Move to {}", to.label())
    }
}

/// Why the reason box is there: open tasks named, and going back or closing early said once.
fn why_reason(legal: &[LegalMove]) -> impl IntoView + use<> {
    let mut items = Vec::new();
    let listed = |names: &[String]| names.iter().map(|name| view! { <li>{name.clone()}</li> }).collect_view();
    for m in legal {
        if let ReasonNeeded::OpenWork { tasks, duties } = &m.reason {
            if !tasks.is_empty() {
                let text = format!(
                    "Moving to {} leaves these tasks open. Finish or skip them first, or give a reason to override them:",
                    m.to.label()
                );
                items.push(view! { <li>{text} <ul>{listed(tasks)}</ul></li> }.into_any());
            }
            if !duties.is_empty() {
                let text = format!(
                    "These duties are still open. Moving to {} with them open needs a reason, which the audit \
                     trail keeps with the list:",
                    m.to.label()
                );
                items.push(view! { <li class="open-duties">{text} <ul>{listed(duties)}</ul></li> }.into_any());
            }
        }
    }
    if legal.iter().any(|m| m.reason == ReasonNeeded::NotAnIncident) {
        items.push(view! { <li>"Closing an incident that was not a breach needs a reason."</li> }.into_any());
    }
    if legal.iter().any(|m| m.reason == ReasonNeeded::GoingBack) {
        items.push(view! { <li>"Going back to an earlier phase needs a reason."</li> }.into_any());
    }
    view! { <ul class="reason-needed">{items}</ul> }
}

#[component]
pub fn PhaseSection() -> impl IntoView {
    let ws = use_workspace();
    let phase = ws.select(|r| r.phase);
    let moves = Memo::new(move |_| ws.detail.with(|d| d.moves.clone()));
    let history = ws.select(|r| r.phase_changes.clone());
    let reason = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("phase-errors");
    let busy = RwSignal::new(false);
    let needs_reason = move || moves.with(|m| m.legal.iter().any(|l| l.reason != ReasonNeeded::No));

    let move_to = move |legal: LegalMove| {
        let reason_text = if legal.reason == ReasonNeeded::No { String::new() } else { reason.get_untracked() };
        let command = IncidentCommand::MovePhase { to: legal.to, reason: reason_text };
        ws.run(command, Errors::Form(errors), busy, move || reason.set(String::new()));
    };

    let buttons = move || {
        let from = phase.get();
        let mut legal = moves.get().legal;
        // Forward first: going back is the exception.
        legal.sort_by_key(|m| m.to < from);
        legal
            .into_iter()
            .map(|legal| {
                let id = format!("move-{}", legal.to.as_str());
                let class = if legal.to < from { "button button--secondary" } else { "button" };
                let text = button_text(from, legal.to);
                view! {
                    <button
                        type="button"
                        id=id
                        class=class
                        disabled=busy
                        on:click=move |_| move_to(legal.clone())
                    >
                        {text}
                    </button>
                }
            })
            .collect_view()
    };
    let blocked = move || {
        let blocked = moves.get().blocked;
        (!blocked.is_empty()).then(|| {
            let items = blocked
                .into_iter()
                .map(|m| {
                    let blockers = m.blockers.into_iter().map(|b| view! { <li>{b}</li> }).collect_view();
                    view! {
                        <li class="blocked-move" id=format!("blocked-{}", m.to.as_str())>
                            {format!("{} is not possible yet:", m.to.label())}
                            <ul>{blockers}</ul>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <h3>"Not possible yet"</h3>
                <ul class="blocked-moves">{items}</ul>
            }
        })
    };
    let reason_field = move || {
        needs_reason().then(|| {
            let why = moves.with(|m| why_reason(&m.legal));
            view! {
                {why}
                <TextArea
                    id="phase_reason"
                    label="Reason"
                    hint="Recorded with the move in the audit trail. At least 10 characters."
                    value=reason
                    error=errors.for_field("reason")
                    rows=3
                />
            }
        })
    };
    let history_rows = move || {
        history
            .get()
            .into_iter()
            .map(|change| {
                view! {
                    <tr>
                        <td><LocalTime at=change.at /></td>
                        <td>{change.from.label()}</td>
                        <td>{change.to.label()}</td>
                        <td>{change.by}</td>
                        <td class="text-block">
                            {change.reason.unwrap_or_default()}
                            {(!change.open_duties.is_empty())
                                .then(|| format!(" (duties left open: {})", change.open_duties.join("; ")))}
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };

    view! {
        <Section id="phase" heading_id="phase-heading" title="Phase">
            <p>"The incident is in the " <strong>{move || phase.get().label()}</strong> " phase."</p>
            <ErrorSummary errors targets=TARGETS heading=3 />
            <form novalidate on:submit=|ev| ev.prevent_default()>
                {reason_field}
                <div class="button-group">
                    {buttons}
                </div>
            </form>
            <Show when=move || phase.get() == Phase::Closed>
                <p>"The incident is closed. Notes can still be added."</p>
            </Show>
            {blocked}
            <Show when=move || history.with(|h| !h.is_empty())>
                <h3>"Phase history"</h3>
                <DataTable
                    label="Phase history"
                    columns=["When", "From", "To", "By", "Reason"]
                >
                    {history_rows}
                </DataTable>
            </Show>
        </Section>
    }
}
