use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::api;

/// "You are": the name the dashboard records as the actor of every change, kept in this browser.
/// Sign-in replaces it later.
#[component]
fn ActorName() -> impl IntoView {
    let name = RwSignal::new(api::actor());
    let problem = Memo::new(move |_| api::actor_problem(&name.read()));
    Effect::new(move || api::set_actor(name.read().trim()));
    let described_by = move || {
        if problem.read().is_some() { "actor-name-hint actor-name-error" } else { "actor-name-hint" }
    };
    view! {
        <div class="actor">
            <label for="actor-name">"You are"</label>
            <input
                type="text"
                id="actor-name"
                name="actor-name"
                autocomplete="name"
                placeholder="Your name"
                aria-describedby=described_by
                aria-invalid=move || problem.read().is_some().then_some("true")
                bind:value=name
            />
            <span id="actor-name-hint" class="visually-hidden">
                "Recorded in the audit trail as the person making each change."
            </span>
            {move || {
                problem
                    .get()
                    .map(|message| {
                        view! {
                            <span id="actor-name-error" class="actor-error">
                                {format!("{message}. Changes are recorded as \"dashboard\" until it is fixed.")}
                            </span>
                        }
                    })
            }}
        </div>
    }
}

/// The frame of the response team's pages. There is no sign-in yet, which the banner says plainly.
#[component]
pub fn DashboardLayout() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to main content"</a>
        <div class="local-mode-banner" role="note">
            "Local mode: no sign-in yet. The server only listens on this machine (127.0.0.1)."
        </div>
        <header class="site-header">
            <div class="container">
                <a class="brand" href="/dashboard">"Tocsin"</a>
                <nav class="main-nav" aria-label="Dashboard">
                    <A href="/dashboard/reports">"Reports"</A>
                    <A href="/dashboard/incidents">"Incidents"</A>
                    <A href="/dashboard/obligations">"Obligations"</A>
                    <A href="/dashboard/metrics">"Metrics"</A>
                    <A href="/dashboard/policy">"Policy"</A>
                    <A href="/dashboard/outbox">"Outbox"</A>
                    <a href="/report">"Public report form"</a>
                </nav>
                <ActorName />
            </div>
        </header>
        <main id="main" class="container" tabindex="-1">
            <Outlet />
        </main>
    }
}
