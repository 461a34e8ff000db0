use leptos::prelude::*;
use shared::workflow::phase::Phase;

/// An incident's response phase as a label; the text carries the meaning, the colour only helps.
#[component]
pub fn PhaseBadge(phase: Phase, #[prop(optional)] id: Option<&'static str>) -> impl IntoView {
    view! { <span id=id class=format!("badge badge--phase badge--{}", phase.as_str())>{phase.label()}</span> }
}
