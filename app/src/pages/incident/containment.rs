//! The containment log: what was blocked, disabled or rotated, by whom, with what result, and
//! whether it was reversed (with a reason).

use leptos::prelude::*;
use shared::record::IncidentCommand;
use shared::validation::ValidationErrors;
use shared::workflow::containment::{ActionKind, ActionResult, ContainmentAction};

use super::inputs::{Choice, SelectField};
use super::workspace::{Errors, use_workspace};
use crate::clock;
use crate::components::{
    DataTable, FormErrors, LocalTime, LocalTimeField, Section, SubmitButton, TextArea, TextField, TitledForm,
};
use crate::dom;

const LOG_TARGETS: &[(&str, &str)] = &[
    ("kind", "action_kind"),
    ("target", "action_target"),
    ("result", "action_result"),
    ("note", "action_note"),
    ("performed_at", "action_performed_at"),
];
const REVERSE_TARGETS: &[(&str, &str)] = &[("action_id", "reverse_action"), ("reason", "reverse_reason")];

#[component]
fn LogAction() -> impl IntoView {
    let ws = use_workspace();
    let kind = RwSignal::new(ActionKind::BlockIp.as_str().to_owned());
    let target = RwSignal::new(String::new());
    let result = RwSignal::new(ActionResult::Succeeded.as_str().to_owned());
    let note = RwSignal::new(String::new());
    let performed_at = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("containment-errors");
    let busy = RwSignal::new(false);
    let chosen_kind = move || ActionKind::parse(&kind.read()).unwrap_or(ActionKind::BlockIp);

    let submit = move || {
        let action_kind = chosen_kind();
        let mut problems = ValidationErrors::default();
        let action_result = ActionResult::ALL.into_iter().find(|r| r.as_str() == result.get_untracked());
        if action_result.is_none() {
            problems.push("result", "Choose the result");
        }
        if let Err(message) = action_kind.parse_target(&target.get_untracked()) {
            problems.push("target", message);
        }
        let when = clock::local_input_to_utc(&performed_at.get_untracked()).unwrap_or_else(|()| {
            problems.push("performed_at", "Enter a date and time, or leave it empty for now");
            None
        });
        let Some(action_result) = action_result.filter(|_| problems.0.is_empty()) else {
            return errors.show_fields(problems.0);
        };
        let command = IncidentCommand::LogContainment {
            kind: action_kind,
            target: target.get_untracked(),
            result: action_result,
            note: note.get_untracked(),
            performed_at: when,
        };
        ws.run(command, Errors::Form(errors), busy, move || {
            target.set(String::new());
            note.set(String::new());
            performed_at.set(String::new());
        });
    };

    let kinds = Choice::all(ActionKind::ALL, ActionKind::as_str, ActionKind::label);
    let results = Choice::all(ActionResult::ALL, ActionResult::as_str, ActionResult::label);
    view! {
        <TitledForm title="Log an action" errors targets=LOG_TARGETS submit>
            <SelectField id="action_kind" label="Action" choices=kinds value=kind error=errors.for_field("kind") />
            <TextField
                id="action_target"
                label=move || chosen_kind().target_label()
                value=target
                error=errors.for_field("target")
            />
            <SelectField
                id="action_result"
                label="Result"
                choices=results
                value=result
                error=errors.for_field("result")
            />
            <TextArea id="action_note" label="Note (optional)" value=note error=errors.for_field("note") rows=3 />
            <LocalTimeField
                id="action_performed_at"
                label="When was it done? (optional)"
                value=performed_at
                error=errors.for_field("performed_at")
                empty_is_now=true
            />
            <SubmitButton id="log-action" busy>
                "Log action"
            </SubmitButton>
        </TitledForm>
    }
}

fn action_name(action: &ContainmentAction) -> String {
    format!("{} {}", action.kind.label(), action.target)
}

#[component]
fn ActionsTable(#[prop(into)] on_reverse: Callback<u32>) -> impl IntoView {
    let ws = use_workspace();
    let actions = ws.select(|r| r.containment.clone());
    move || {
        let actions = actions.get();
        if actions.is_empty() {
            return view! { <p class="empty">"No containment actions logged yet."</p> }.into_any();
        }
        let rows = actions
            .into_iter()
            .map(|action| {
                let name = action_name(&action);
                let id = action.id;
                let reversal = match action.reversal {
                    Some(reversal) => view! {
                        "Reversed " <LocalTime at=reversal.at /> " by " {reversal.by} ": "
                        <span class="text-block">{reversal.reason}</span>
                    }
                    .into_any(),
                    None => view! {
                        <button
                            type="button"
                            id=format!("reverse-{id}")
                            class="button button--secondary button--small"
                            on:click=move |_| on_reverse.run(id)
                        >
                            "Reverse"
                            <span class="visually-hidden">{format!(" {name}")}</span>
                        </button>
                    }
                    .into_any(),
                };
                view! {
                    <tr id=format!("action-{id}")>
                        <td>{action.kind.label()}</td>
                        <td class="headline">{action.target}</td>
                        <td>{action.result.label()}</td>
                        <td>{action.performed_by}</td>
                        <td><LocalTime at=action.performed_at /></td>
                        <td class="text-block">{action.note.unwrap_or_default()}</td>
                        <td>{reversal}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <DataTable
                label="Containment actions"
                id="containment-actions"
                columns=["Action", "Target", "Result", "By", "When", "Note", "Reversal"]
            >
                {rows}
            </DataTable>
        }
        .into_any()
    }
}

/// Undoing an action, say a block that hit a partner: which one, and why.
#[component]
fn ReverseAction(chosen: RwSignal<String>) -> impl IntoView {
    let ws = use_workspace();
    let open_actions = ws.select(|r| {
        r.containment.iter().filter(|a| a.reversal.is_none()).map(|a| (a.id, action_name(a))).collect::<Vec<_>>()
    });
    let reason = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("reverse-errors");
    let busy = RwSignal::new(false);

    let submit = move || {
        let Ok(action_id) = chosen.get_untracked().parse::<u32>() else {
            return errors.show_field("action_id", "Choose the action to reverse");
        };
        if reason.get_untracked().trim().is_empty() {
            return errors.show_field("reason", "Enter why the action is reversed");
        }
        let command = IncidentCommand::ReverseContainment { action_id, reason: reason.get_untracked() };
        ws.run(command, Errors::Form(errors), busy, move || {
            reason.set(String::new());
            chosen.set(String::new());
        });
    };

    view! {
        <Show when=move || open_actions.with(|a| !a.is_empty())>
            <TitledForm title="Reverse an action" heading_id="reverse-heading" errors targets=REVERSE_TARGETS submit>
                {move || {
                    let choices =
                        open_actions.get().into_iter().map(|(id, name)| Choice::new(id.to_string(), name)).collect();
                    view! {
                        <SelectField
                            id="reverse_action"
                            label="Action"
                            choices
                            value=chosen
                            error=errors.for_field("action_id")
                            placeholder="Choose an action"
                        />
                    }
                }}
                <TextArea
                    id="reverse_reason"
                    label="Why is it reversed?"
                    hint="At least 10 characters. Recorded in the audit trail."
                    value=reason
                    error=errors.for_field("reason")
                    rows=3
                />
                <SubmitButton id="reverse-action" busy secondary=true>
                    "Reverse action"
                </SubmitButton>
            </TitledForm>
        </Show>
    }
}

#[component]
pub fn ContainmentSection() -> impl IntoView {
    let chosen = RwSignal::new(String::new());
    // "Reverse" in a row chooses that action in the form below and takes the person to the reason.
    let on_reverse = move |id: u32| {
        chosen.set(id.to_string());
        dom::focus_after_render("reverse_reason");
    };
    view! {
        <Section id="containment" heading_id="containment-heading" title="Containment log">
            <ActionsTable on_reverse />
            <ReverseAction chosen />
            <LogAction />
        </Section>
    }
}
