//! The frame of a wide table.

use leptos::prelude::*;

/// Scrolls its table sideways on a narrow screen instead of the whole page. It takes focus and
/// carries a name, so keyboard users can scroll it too and screen readers announce it.
#[component]
pub fn TableFrame(#[prop(into)] label: String, children: Children) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label=label tabindex="0">
            {children()}
        </div>
    }
}
