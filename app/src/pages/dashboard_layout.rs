use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

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
                    <A href="/dashboard/outbox">"Outbox"</A>
                    <a href="/report">"Public report form"</a>
                </nav>
            </div>
        </header>
        <main id="main" class="container" tabindex="-1">
            <Outlet />
        </main>
    }
}
