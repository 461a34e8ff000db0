//! Who does what: current holders of each role, every hand-over kept with its time.

use leptos::prelude::*;
use shared::access::{Action, Me};
use shared::record::IncidentCommand;
use shared::workflow::roles::{Holder, Role};

use super::inputs::{Choice, CommandButton, SelectField};
use super::workspace::{Errors, use_workspace};
use crate::components::{DataTable, FormErrors, LocalTime, LocalTimeOr, Section, SubmitButton, TextField, TitledForm};

const TARGETS: &[(&str, &str)] = &[("role", "role"), ("person", "person")];

#[component]
fn CurrentHolders() -> impl IntoView {
    let ws = use_workspace();
    let roles = ws.select(|r| r.roles.clone());
    let busy = RwSignal::new(false);
    let rows = move || {
        let roles = roles.get();
        Role::ALL
            .into_iter()
            .map(|role| {
                let holders = roles
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.role == role && a.is_current())
                    .map(|(index, assignment)| {
                        let person = assignment.person.clone();
                        let id = format!("end-role-{}-{index}", role.as_str());
                        let unlinked = assignment.holder.account().is_none().then(|| {
                            view! { <span class="muted">" (no team account: the role gives no access)"</span> }
                        });
                        view! {
                            <li>
                                <span class="holder">{person.clone()}</span>
                                {unlinked}
                                " "
                                <CommandButton
                                    id=id
                                    class="button button--secondary button--small"
                                    busy
                                    command={
                                        let person = person.clone();
                                        move || IncidentCommand::EndRole { role, person: person.clone() }
                                    }
                                >
                                    "End"
                                    <span class="visually-hidden">
                                        {format!(" {person}'s role as {}", role.label().to_lowercase())}
                                    </span>
                                </CommandButton>
                            </li>
                        }
                    })
                    .collect::<Vec<_>>();
                let holders = if holders.is_empty() {
                    view! { <span class="muted">"Nobody"</span> }.into_any()
                } else {
                    view! { <ul class="holders">{holders}</ul> }.into_any()
                };
                view! {
                    <dt>{role.label()}</dt>
                    <dd id=format!("role-{}", role.as_str())>{holders}</dd>
                }
            })
            .collect_view()
    };
    view! { <dl class="details">{rows}</dl> }
}

#[component]
fn RoleHistory() -> impl IntoView {
    let ws = use_workspace();
    let roles = ws.select(|r| r.roles.clone());
    let rows = move || {
        roles
            .get()
            .into_iter()
            .map(|a| {
                view! {
                    <tr>
                        <td>{a.role.label()}</td>
                        <td>{a.person}</td>
                        <td><LocalTime at=a.assigned_at /></td>
                        <td>{a.assigned_by}</td>
                        <td><LocalTimeOr at=a.ended_at otherwise="Current" /></td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <Show
            when=move || roles.with(|r| !r.is_empty())
            fallback=|| view! { <p class="empty">"Nobody has been assigned yet."</p> }
        >
            <DataTable label="Roles" columns=["Role", "Person", "Assigned", "By", "Ended"]>{rows}</DataTable>
        </Show>
    }
}

#[component]
fn AssignRole() -> impl IntoView {
    let ws = use_workspace();
    let role = RwSignal::new(Role::ResponseLead.as_str().to_owned());
    let person = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("role-errors");
    let busy = RwSignal::new(false);

    let submit = move || {
        let Some(chosen) = Role::parse(&role.get_untracked()) else {
            return errors.show_field("role", "Choose a role");
        };
        if person.get_untracked().trim().is_empty() {
            return errors.show_field("person", "Enter the person's name or email address");
        }
        let command =
            IncidentCommand::AssignRole { role: chosen, person: person.get_untracked(), holder: Holder::NoAccount };
        ws.run(command, Errors::Form(errors), busy, move || person.set(String::new()));
    };

    let choices = Choice::all(Role::ALL, Role::as_str, Role::label);
    view! {
        <TitledForm
            title="Assign a role"
            hint="Assigning a role that has one holder hands it over; team members can be many."
            errors
            targets=TARGETS
            submit
        >
            <SelectField id="role" label="Role" choices value=role error=errors.for_field("role") />
            <TextField
                id="person"
                label="Person"
                hint="A team member's name or email address. Someone without a team account (outside counsel) holds the role but sees nothing by it."
                value=person
                error=errors.for_field("person")
            />
            <SubmitButton id="assign-role" busy>
                "Assign role"
            </SubmitButton>
        </TitledForm>
    }
}

/// Who may see the incident: the whole team, or only its participants (and admins). Leads and
/// admins change it; everyone sees which it is.
#[component]
fn Access() -> impl IntoView {
    let ws = use_workspace();
    let restricted = ws.select(|r| r.restricted);
    let busy = RwSignal::new(false);
    let may_restrict = use_context::<Me>().is_some_and(|me| me.role.may(Action::Restrict));
    let toggle = move || IncidentCommand::Restrict { restricted: !restricted.get_untracked() };
    view! {
        <p id="access">
            {move || {
                if restricted.get() {
                    "Restricted: only the people who opened it or hold a role, and admins, can see this incident."
                } else {
                    "Visible to the whole team."
                }
            }}
            " "
            {may_restrict.then(|| view! {
                <CommandButton id="restrict" class="button button--secondary button--small" busy command=toggle>
                    {move || if restricted.get() { "Open to the whole team" } else { "Restrict to participants" }}
                </CommandButton>
            })}
        </p>
    }
}

#[component]
pub fn RolesSection() -> impl IntoView {
    view! {
        <Section id="roles" heading_id="roles-heading" title="Roles">
            <Access />
            <CurrentHolders />
            <AssignRole />
            <h3>"History"</h3>
            <RoleHistory />
        </Section>
    }
}
