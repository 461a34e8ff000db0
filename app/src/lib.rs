//! Tocsin's browser app: the public report form, the reporter's follow-up page and the response
//! team's dashboard, rendered client-side with Leptos against the JSON API under `/api`.

mod api;
mod clock;
mod components;
mod dom;
mod files;
mod format;
mod pages;

use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::path;

use components::StillWorking;
use pages::{
    DashboardLayout, FollowUpPage, ForgotPasswordPage, InboundPage, IncidentDetailPage, IncidentsPage, MetricsPage,
    NotFoundPage, ObligationsPage, OutboxPage, PolicyPage, PublicLayout, ReportDetailPage, ReportPage, ReportsPage,
    ResetPasswordPage, SignInPage, TeamPage, WelcomePage,
};

/// Mounts `root` in place of the loading stand-in `index.html` paints while the bundle loads.
pub fn start<N: IntoView + 'static>(root: fn() -> N) {
    // Panics show up in the browser console with their message instead of "unreachable".
    console_error_panic_hook::set_once();
    if let Some(loading) = document().get_element_by_id("app-loading") {
        loading.remove();
    }
    leptos::mount::mount_to_body(root);
}

/// The report form in a bundle of its own (`app/report.html`, bin `tocsin-report`), which the
/// server and CloudFront send for `/` and `/report`: one page and no router, so a reporter loads a
/// fifth of the whole app.
#[component]
pub fn ReportApp() -> impl IntoView {
    view! {
        <PublicLayout>
            <ReportPage />
        </PublicLayout>
        <StillWorking />
    }
}

/// The reporter's follow-up page in a bundle of its own (`app/follow-up.html`, bin
/// `tocsin-follow-up`), sent for `/follow-up`.
#[component]
pub fn FollowUpApp() -> impl IntoView {
    view! {
        <PublicLayout>
            <FollowUpPage />
        </PublicLayout>
        <StillWorking />
    }
}

/// The public pages inside the whole app, for moving between them and the dashboard without a load.
#[component]
fn PublicFrame() -> impl IntoView {
    view! {
        <PublicLayout>
            <Outlet />
        </PublicLayout>
    }
}

/// The whole app: the public pages and the response team's dashboard.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=NotFoundPage>
                <ParentRoute path=path!("") view=PublicFrame>
                    <Route path=path!("") view=ReportPage />
                    <Route path=path!("report") view=ReportPage />
                    <Route path=path!("follow-up") view=FollowUpPage />
                </ParentRoute>
                <Route path=path!("sign-in") view=SignInPage />
                <Route path=path!("forgot-password") view=ForgotPasswordPage />
                <Route path=path!("reset-password") view=ResetPasswordPage />
                <Route path=path!("welcome") view=WelcomePage />
                <ParentRoute path=path!("dashboard") view=DashboardLayout>
                    <Route path=path!("") view=ReportsPage />
                    <Route path=path!("reports") view=ReportsPage />
                    <Route path=path!("reports/:reference") view=ReportDetailPage />
                    <Route path=path!("incidents") view=IncidentsPage />
                    <Route path=path!("incidents/:reference") view=IncidentDetailPage />
                    <Route path=path!("obligations") view=ObligationsPage />
                    <Route path=path!("metrics") view=MetricsPage />
                    <Route path=path!("policy") view=PolicyPage />
                    <Route path=path!("team") view=TeamPage />
                    <Route path=path!("inbound") view=InboundPage />
                    <Route path=path!("outbox") view=OutboxPage />
                </ParentRoute>
            </Routes>
            <StillWorking />
        </Router>
    }
}
