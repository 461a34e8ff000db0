use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Outlet};
use shared::access::{Action, Me};

use crate::api;
use crate::components::{LoadError, Loading};

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
/// API's 401 sends the browser to the sign-in page. The signed-in person is in the context for
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
                <Account me />
            </div>
        </header>
        <main id="main" class="container" tabindex="-1">
            <Outlet />
        </main>
    }
}
