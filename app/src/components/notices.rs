//! What a view shows while its data loads, or when it could not load.

use leptos::prelude::*;

use crate::api::{self, ApiError};

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

/// Says, while `shown`, that what the person sent went through. It can take focus (`id`), so
/// that screen readers read it out.
#[component]
pub fn SuccessNotice(id: &'static str, shown: RwSignal<bool>, children: ChildrenFn) -> impl IntoView {
    view! {
        <Show when=move || shown.get()>
            <p id=id class="notice notice--success" role="status" tabindex="-1">
                {children()}
            </p>
        </Show>
    }
}

/// `children` with `data` once it has loaded, or why it could not be; `not_found`, when given,
/// stands in for a not-found answer. Loading again (another page, say) keeps the data shown
/// until the new data is in, so the page does not flash "Loading…".
#[component]
pub fn Loaded<T, V, F>(
    data: LocalResource<Result<T, ApiError>>,
    #[prop(optional, into)] not_found: Option<ViewFn>,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    view! {
        <Transition fallback=Loading>
            {move || {
                let (children, not_found) = (children.clone(), not_found.clone());
                Suspend::new(async move {
                    match data.await {
                        Ok(data) => children(data).into_any(),
                        Err(error) => match not_found.filter(|_| error.is_not_found()) {
                            Some(not_found) => not_found.run(),
                            None => view! { <LoadError error /> }.into_any(),
                        },
                    }
                })
            }}
        </Transition>
    }
}

/// How long a request runs before the app says it is still working on it.
const SLOW_AFTER: std::time::Duration = std::time::Duration::from_secs(4);

/// Says so when requests to the server take a while, so a slow network is not taken for a hang
/// (and nobody reloads a page, losing what they typed). Always in the page, as a live region
/// must be for its changes to be announced; empty while things are quick.
#[component]
pub fn StillWorking() -> impl IntoView {
    let in_flight = api::in_flight();
    let busy = Memo::new(move |_| in_flight.get() > 0);
    let slow = RwSignal::new(false);
    // Busy spells so far: a timer only speaks for the spell that started it.
    let spells = StoredValue::new(0_u64);
    Effect::new(move |_| {
        slow.set(false);
        if busy.get() {
            spells.update_value(|n| *n += 1);
            let spell = spells.get_value();
            set_timeout(
                move || {
                    if busy.get_untracked() && spells.get_value() == spell {
                        slow.set(true);
                    }
                },
                SLOW_AFTER,
            );
        }
    });
    view! {
        <div id="still-working" class="still-working" role="status">
            {move || slow.get().then_some(
                "Still working on it: the server is taking longer than usual. Keep this page open; \
                 nothing you typed is lost.",
            )}
        </div>
    }
}
