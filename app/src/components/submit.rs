//! Sending a form: the browser's own submission stopped, one request at a time, and a submit
//! button that stays disabled while the request runs.

use std::future::Future;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{ErrorSummary, FormErrors};

/// A form's submit handler: `handle` runs instead of the browser's own submission, which would
/// load another page.
pub fn on_submit(handle: impl Fn() + 'static) -> impl Fn(SubmitEvent) + 'static {
    move |ev: SubmitEvent| {
        ev.prevent_default();
        handle();
    }
}

/// A form the app checks itself (`novalidate`, so the browser shows no messages of its own),
/// with the summary of its `errors` above it (`targets`, `id_suffix` and `heading` as for
/// `ErrorSummary`). `submit` runs instead of the browser's own submission.
#[component]
pub fn CheckedForm(
    errors: FormErrors,
    targets: &'static [(&'static str, &'static str)],
    #[prop(optional, into)] id_suffix: String,
    #[prop(default = 2)] heading: u8,
    #[prop(optional)] class: Option<&'static str>,
    submit: impl Fn() + 'static,
    children: Children,
) -> impl IntoView {
    view! {
        <ErrorSummary errors targets id_suffix heading />
        <form class=class novalidate on:submit=on_submit(submit)>
            {children()}
        </form>
    }
}

/// Sends `request` with `busy` set while it runs, then hands its answer to `then`. While a
/// request is under way another sends nothing, so a second click cannot send twice.
pub fn send<T: 'static>(
    busy: RwSignal<bool>,
    request: impl Future<Output = T> + 'static,
    then: impl FnOnce(T) + 'static,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    spawn_local(async move {
        let answer = request.await;
        // Cleared before `then`, which may send again (completing a review saves it first).
        busy.set(false);
        then(answer);
    });
}

/// A form's submit button, disabled while `busy`. `busy_label`, when given, replaces the label
/// meanwhile, so that the person sees the form is on its way ("Sending…").
#[component]
pub fn SubmitButton(
    #[prop(into)] id: String,
    #[prop(into)] busy: Signal<bool>,
    #[prop(optional)] secondary: bool,
    #[prop(optional, into)] busy_label: Option<Signal<String>>,
    children: ChildrenFn,
) -> impl IntoView {
    let class = if secondary { "button button--secondary" } else { "button" };
    let label = match busy_label {
        Some(busy_label) => {
            (move || if busy.get() { busy_label.get().into_any() } else { children().into_any() }).into_any()
        }
        None => children().into_any(),
    };
    view! {
        <button type="submit" id=id class=class disabled=busy>
            {label}
        </button>
    }
}
