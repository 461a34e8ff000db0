//! What a view shows while its data loads, or when it could not load.

use leptos::prelude::*;

use crate::api::ApiError;

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

#[component]
pub fn LoadError(error: ApiError) -> impl IntoView {
    view! {
        <div class="notice notice--error" role="alert">
            <h2>"This could not be loaded"</h2>
            <p>{error.to_string()}</p>
        </div>
    }
}
