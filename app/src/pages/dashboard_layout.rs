use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Outlet};
use shared::access::{Action, Me, SignInForm};

use super::sign_in::PasswordAndCode;
use crate::components::{CheckedForm, FormErrors, LoadError, Loading, SubmitButton, send};
use crate::{api, dom};

const REAUTH_TARGETS: &[(&str, &str)] = &[("password", "reauth_password"), ("code", "reauth_code")];

/// Shown over the page when the session ends while someone works (30 idle minutes, 12 hours, or
/// signed out elsewhere): they sign in again on the spot, and the page behind, with whatever they
/// typed, stays as it was. A modal `<dialog>` keeps focus in itself; Escape does not close it.
#[component]
fn SessionEndedDialog(email: String) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("reauth-errors");
    let busy = RwSignal::new(false);
    let showing = api::session_ended();
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if showing.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
                dom::focus_after_render("reauth_password");
            }
        } else {
            dialog.close();
        }
    });
    let submit = move || {
        let form = SignInForm { email: email.clone(), password: password.get_untracked(), code: code.get_untracked() };
        let request = async move {
            // Each code works once: whatever the answer, this one is spent.
            code.set(String::new());
            api::sign_in(&form).await
        };
        send(busy, request, move |result| match result {
            Ok(_) => {
                password.set(String::new());
                errors.clear();
            }
            Err(error) => errors.show_api_error(&error, "code"),
        });
    };
    view! {
        <dialog
            node_ref=dialog
            id="session-ended"
            class="dialog"
            aria-labelledby="session-ended-title"
            on:cancel=|ev: leptos::ev::Event| ev.prevent_default()
        >
            <h2 id="session-ended-title">"Your session has ended"</h2>
            <p>
                "Sessions end after 30 idle minutes or 12 hours. Sign in again to carry on: this page "
                "and everything you typed on it stay as they are. Then send what you were sending again."
            </p>
            <CheckedForm errors targets=REAUTH_TARGETS heading=3 submit>
                <PasswordAndCode password code errors ids=("reauth_password", "reauth_code") />
                <SubmitButton id="reauth-submit" busy busy_label="Signing in…">
                    "Sign in and carry on"
                </SubmitButton>
            </CheckedForm>
        </dialog>
    }
}

/// The signed-in person and the way out.
#[component]
fn Account(me: Me) -> impl IntoView {
    let sign_out = move |_| {
        spawn_local(async move {
            // Whatever the server says, this browser is done: leave for the sign-in page.
            let _ = api::sign_out().await;
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_href("/sign-in");
            }
        })
    };
    view! {
        <div class="account">
            <span id="signed-in-as">{me.name} " (" {me.role.label()} ")"</span>
            <button type="button" id="sign-out" class="button-link" on:click=sign_out>"Sign out"</button>
        </div>
    }
}

/// The frame of the response team's pages, shown once a session is confirmed; without one the
/// API's 401 sends the browser to the sign-in page (and once there was one, the dialog above asks
/// to sign in again). The signed-in person is in the context for
/// pages that offer actions by role.
#[component]
pub fn DashboardLayout() -> impl IntoView {
    let session = LocalResource::new(api::session);
    view! {
        <a class="skip-link" href="#main">"Skip to main content"</a>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(me) => view! { <Dashboard me /> }.into_any(),
                    Err(error) => view! { <main id="main" class="container"><LoadError error /></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Dashboard(me: Me) -> impl IntoView {
    let manages_team = me.role.may(Action::ManageTeam);
    provide_context(me.clone());
    view! {
        <header class="site-header">
            <div class="container">
                <a class="brand" href="/dashboard">"Tocsin"</a>
                <nav class="main-nav" aria-label="Dashboard">
                    <A href="/dashboard/reports">"Reports"</A>
                    <A href="/dashboard/inbound">"Inbound email"</A>
                    <A href="/dashboard/incidents">"Incidents"</A>
                    <A href="/dashboard/obligations">"Obligations"</A>
                    <A href="/dashboard/metrics">"Metrics"</A>
                    <A href="/dashboard/policy">"Policy"</A>
                    {manages_team.then(|| view! {
                        <A href="/dashboard/team">"Team"</A>
                        <A href="/dashboard/outbox">"Outbox"</A>
                    })}
                    <a href="/report">"Public report form"</a>
                </nav>
                <Account me=me.clone() />
            </div>
        </header>
        <SessionEndedDialog email=me.email />
        <main id="main" class="container" tabindex="-1">
            <Outlet />
        </main>
    }
}
