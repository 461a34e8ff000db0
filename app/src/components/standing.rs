//! Where an obligation stands and how long it has left, both following the time.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::deadlines::obligation::Standing;

use crate::format::time_to_due;

/// The standing's name in markup: its CSS class and `data-standing`.
pub fn standing_name(standing: Standing) -> &'static str {
    match standing {
        Standing::Overdue => "overdue",
        Standing::DueSoon => "due_soon",
        Standing::Open => "open",
        Standing::Waiting => "waiting",
        Standing::Met => "met",
        Standing::NotRequired => "not_required",
    }
}

/// A standing as a coloured label; the text carries the meaning, the colour only helps. Screen
/// readers hear it when it changes, such as when a duty falls overdue.
#[component]
pub fn StandingBadge(#[prop(into)] standing: Signal<Standing>) -> impl IntoView {
    view! {
        <span
            class=move || format!("badge badge--standing-{}", standing_name(standing.get()))
            aria-live="polite"
        >
            {move || standing.get().label()}
        </span>
    }
}

/// The time left until `due`, or past it. Not a live region: read out every minute, it would
/// drown everything else.
#[component]
pub fn Countdown(due: DateTime<Utc>, #[prop(into)] now: Signal<DateTime<Utc>>) -> impl IntoView {
    // Memos, so that the page changes once a minute however often `now` ticks.
    let text = Memo::new(move |_| time_to_due(due, now.get()));
    let overdue = Memo::new(move |_| due <= now.get());
    view! {
        <span class=move || if overdue.get() { "countdown countdown--overdue" } else { "countdown" }>
            {move || text.get()}
        </span>
    }
}
