//! The top of a dashboard page.

use leptos::prelude::*;

use crate::dom;

/// The page's `<h1>`, which also names the tab, and `lead`, what the page is for.
#[component]
pub fn PageHeading(title: &'static str, #[prop(optional)] lead: Option<&'static str>) -> impl IntoView {
    dom::set_title(title);
    view! {
        <h1>{title}</h1>
        {lead.map(|lead| view! { <p class="lead">{lead}</p> })}
    }
}
