//! The frame of a dashboard page about one record, such as a report or an incident.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::ApiError;
use crate::components::Loaded;
use crate::dom;

/// The record the address names (`:reference`), loaded by `fetch` and shown by `children`,
/// under a link back to its list (`back`: where, and its text). The tab says `{kind} {reference}`
/// meanwhile; it loads again when the address names another.
#[component]
pub fn RecordPage<T, Fut, Fetch, V, F>(
    kind: &'static str,
    back: (&'static str, &'static str),
    fetch: Fetch,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
    Fetch: Fn(String) -> Fut + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    let params = use_params_map();
    let reference = Memo::new(move |_| params.read().get("reference").unwrap_or_default());
    Effect::new(move || dom::set_title(&format!("{kind} {}", reference.get())));
    let record = LocalResource::new(move || fetch(reference.get()));
    let (href, text) = back;
    view! {
        <p class="breadcrumb"><a href=href>{text}</a></p>
        <Loaded data=record let:record>
            {children(record)}
        </Loaded>
    }
}
