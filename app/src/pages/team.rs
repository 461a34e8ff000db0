//! The team (admins only): who has an account, with which role; invitations, role changes and
//! disabling. The server refuses to leave the team without an admin.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::access::{AccountChange, InvitationForm, TeamMember, TeamRole};

use crate::components::{
    DataTable, ErrorSummary, Field, FormErrors, Loaded, LocalTime, Section, SubmitButton, TextField, on_submit, send,
};
use crate::{api, dom};

const INVITE_TARGETS: &[(&str, &str)] = &[("email", "invite_email"), ("name", "invite_name"), ("role", "invite_role")];

#[component]
fn RoleSelect(id: String, value: RwSignal<String>) -> impl IntoView {
    let options = TeamRole::ALL
        .into_iter()
        .map(|role| view! { <option value=role.as_str()>{role.label()}</option> })
        .collect_view();
    view! { <select id=id bind:value=value>{options}</select> }
}

/// One account's row; its changes go through at once and the row shows the answer.
#[component]
fn MemberRow(member: TeamMember, errors: FormErrors) -> impl IntoView {
    let current = RwSignal::new(member);
    let role = RwSignal::new(current.get_untracked().role.as_str().to_owned());
    let change = move |change: AccountChange| {
        let id = current.get_untracked().id;
        spawn_local(async move {
            match api::change_account(&id, &change).await {
                Ok(updated) => {
                    errors.clear();
                    role.set(updated.role.as_str().to_owned());
                    current.set(updated);
                }
                Err(error) => {
                    role.set(current.get_untracked().role.as_str().to_owned());
                    errors.show_api_error(&error, "role");
                }
            }
        })
    };
    let on_role = move |_| {
        let Ok(new_role) = TeamRole::parse(&role.get_untracked()) else { return };
        if new_role != current.get_untracked().role {
            change(AccountChange { role: Some(new_role), disabled: None });
        }
    };
    let toggle = move |_| change(AccountChange { role: None, disabled: Some(!current.get_untracked().disabled) });
    let select_id = format!("role-{}", current.get_untracked().id);
    view! {
        <tr data-account=move || current.read().email.clone()>
            <td>{move || current.read().name.clone()}</td>
            <td>{move || current.read().email.clone()}</td>
            <td>
                <label class="visually-hidden" for=select_id.clone()>
                    {move || format!("Role of {}", current.read().name)}
                </label>
                <span on:change=on_role><RoleSelect id=select_id value=role /></span>
            </td>
            <td>{move || if current.read().disabled { "Disabled" } else { "Active" }}</td>
            <td><LocalTime at=current.get_untracked().created_at /></td>
            <td>
                <button type="button" class="button button--secondary" on:click=toggle>
                    {move || if current.read().disabled { "Enable" } else { "Disable" }}
                </button>
            </td>
        </tr>
    }
}

#[component]
fn Members(members: Vec<TeamMember>) -> impl IntoView {
    let errors = FormErrors::with_summary_id("team-errors");
    let rows = members.into_iter().map(|member| view! { <MemberRow member errors /> }).collect_view();
    let columns = ["Name", "Email", "Role", "Status", "Joined", "Access"];
    view! {
        <ErrorSummary errors targets=&[] />
        <DataTable label="Team accounts" id="team" columns>{rows}</DataTable>
    }
}

#[component]
fn Invite() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(TeamRole::Member.as_str().to_owned());
    let errors = FormErrors::with_summary_id("invite-errors");
    let sent = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move || {
        let form =
            InvitationForm { email: email.get_untracked(), name: name.get_untracked(), role: role.get_untracked() };
        send(busy, async move { api::invite(&form).await }, move |result| match result {
            Ok(invitation) => {
                errors.clear();
                email.set(String::new());
                name.set(String::new());
                sent.set(Some(format!("Invitation sent to {}.", invitation.email)));
            }
            Err(error) => errors.show_api_error(&error, "email"),
        });
    };
    view! {
        <Section class="panel" heading_id="invite-heading" title="Invite someone">
            <p>"They get a link by email that works once, for a week, to choose a password and set up a second factor."</p>
            <ErrorSummary errors targets=INVITE_TARGETS heading=3 />
            <p role="status" id="invite-sent">{move || sent.get()}</p>
            <form novalidate on:submit=on_submit(submit)>
                <TextField id="invite_email" label="Email address" value=email error=errors.for_field("email") input_type="email" />
                <TextField id="invite_name" label="Name" hint="As it appears in incident roles and the audit trail." value=name error=errors.for_field("name") />
                <Field id="invite_role" label="Role">
                    <RoleSelect id="invite_role".to_owned() value=role />
                </Field>
                <SubmitButton id="invite-submit" busy>"Send invitation"</SubmitButton>
            </form>
        </Section>
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    dom::set_title("Team");
    let members = LocalResource::new(api::team);
    view! {
        <h1 tabindex="-1">"Team"</h1>
        <p class="lead">
            "Members work on reports and incidents; leads also hold the yearly policy review; admins also "
            "manage the team; auditors read everything and change nothing. A changed account is signed out."
        </p>
        <Loaded data=members let:members>
            <Members members />
        </Loaded>
        <Invite />
    }
}
