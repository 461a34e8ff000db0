use leptos::prelude::*;

/// The frame of the pages outside the dashboard: the brand, linking to `home`, and what the site
/// is for there; nothing else to wander off to.
#[component]
pub fn SiteFrame(home: &'static str, tagline: &'static str, children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to main content"</a>
        <header class="site-header">
            <div class="container">
                <a class="brand" href=home>"Tocsin"</a>
                <span class="tagline">{tagline}</span>
            </div>
        </header>
        <main id="main" class="container container--narrow" tabindex="-1">
            {children()}
        </main>
    }
}

/// The frame of the pages reporters see: no dashboard links, nothing to sign in to. It knows no
/// router, so the public bundles (one page each) leave the router out.
#[component]
pub fn PublicLayout(children: Children) -> impl IntoView {
    view! {
        <SiteFrame home="/" tagline="Report a security problem">
            {children()}
        </SiteFrame>
        <footer class="site-footer">
            <div class="container container--narrow">
                <p>"Reports go straight to our incident response team. You do not need an account."</p>
            </div>
        </footer>
    }
}
