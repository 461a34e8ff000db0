//! A part of a page.

use leptos::prelude::*;

/// A part of a page named by its `<h2>` (`aria-labelledby`), so that screen readers list it
/// among the page's regions and can jump to it.
#[component]
pub fn Section(
    heading_id: &'static str,
    title: &'static str,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <section id=id class=class aria-labelledby=heading_id>
            <h2 id=heading_id>{title}</h2>
            {children()}
        </section>
    }
}
