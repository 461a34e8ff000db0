use leptos::prelude::*;

/// The frame of the pages reporters see: no dashboard links, nothing to sign in to. It knows no
/// router, so the public bundles (one page each) leave the router out.
#[component]
pub fn PublicLayout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to main content"</a>
        <header class="site-header">
            <div class="container">
                <a class="brand" href="/">"Tocsin"</a>
                <span class="tagline">"Report a security problem"</span>
            </div>
        </header>
        <main id="main" class="container container--narrow" tabindex="-1">
            {children()}
        </main>
        <footer class="site-footer">
            <div class="container container--narrow">
                <p>"Reports go straight to our incident response team. You do not need an account."</p>
            </div>
        </footer>
    }
}
