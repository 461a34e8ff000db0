use leptos::prelude::*;
use leptos_router::components::Outlet;

/// The frame of the pages reporters see: no dashboard links, nothing to sign in to.
#[component]
pub fn PublicLayout() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to main content"</a>
        <header class="site-header">
            <div class="container">
                <a class="brand" href="/">"Tocsin"</a>
                <span class="tagline">"Report a security problem"</span>
            </div>
        </header>
        <main id="main" class="container container--narrow" tabindex="-1">
            <Outlet />
        </main>
        <footer class="site-footer">
            <div class="container container--narrow">
                <p>"Reports go straight to our incident response team. You do not need an account."</p>
            </div>
        </footer>
    }
}
