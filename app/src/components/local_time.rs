use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::format::local_date_time;

/// A moment in the reader's local time, with the exact UTC instant in the markup.
#[component]
pub fn LocalTime(at: DateTime<Utc>) -> impl IntoView {
    view! { <time datetime=at.to_rfc3339()>{local_date_time(at)}</time> }
}

/// A moment that may not be known (yet): `otherwise` stands in for it, muted.
#[component]
pub fn LocalTimeOr(at: Option<DateTime<Utc>>, otherwise: &'static str) -> impl IntoView {
    match at {
        Some(at) => view! { <LocalTime at /> }.into_any(),
        None => view! { <span class="muted">{otherwise}</span> }.into_any(),
    }
}
