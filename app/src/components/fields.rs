//! Form fields with a real label, an optional hint and an inline error wired up for assistive
//! technology (`aria-invalid`, `aria-describedby`). The inline error of field `X` has id `X-error`.

use leptos::html::Input;
use leptos::prelude::*;

/// The ids that describe a control: its hint, then its error when it has one.
pub fn described_by(id: &str, has_hint: bool, has_error: bool) -> Option<String> {
    let ids: Vec<String> = [has_hint.then(|| format!("{id}-hint")), has_error.then(|| format!("{id}-error"))]
        .into_iter()
        .flatten()
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

fn aria_invalid(error: Signal<Option<String>>) -> impl Fn() -> Option<&'static str> + Send + Sync + 'static {
    move || error.read().is_some().then_some("true")
}

#[component]
pub fn InlineError(id: String, error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|message| {
            view! {
                <p class="field-error" id=id.clone()>
                    <span class="visually-hidden">"Error: "</span>
                    {message}
                </p>
            }
        })
    }
}

#[component]
fn Hint(#[prop(into)] id: String, hint: Option<String>) -> impl IntoView {
    hint.map(|hint| view! { <p class="hint" id=format!("{id}-hint")>{hint}</p> })
}

fn field_class(error: Signal<Option<String>>) -> impl Fn() -> &'static str + Send + Sync + 'static {
    move || if error.read().is_some() { "field field--error" } else { "field" }
}

#[component]
pub fn TextField(
    #[prop(into)] id: String,
    label: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let has_hint = hint.is_some();
    let described = id.clone();
    view! {
        <div class=field_class(error)>
            <label for=id.clone()>{label}</label>
            <Hint id=id.clone() hint />
            <InlineError id=format!("{id}-error") error />
            <input
                type=input_type
                id=id.clone()
                name=id
                autocomplete=autocomplete
                bind:value=value
                aria-invalid=aria_invalid(error)
                aria-describedby=move || described_by(&described, has_hint, error.read().is_some())
            />
        </div>
    }
}

#[component]
pub fn TextArea(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = 6)] rows: u32,
) -> impl IntoView {
    let has_hint = hint.is_some();
    let described = id.clone();
    view! {
        <div class=field_class(error)>
            <label for=id.clone()>{label}</label>
            <Hint id=id.clone() hint />
            <InlineError id=format!("{id}-error") error />
            <textarea
                id=id.clone()
                name=id
                rows=rows
                bind:value=value
                aria-invalid=aria_invalid(error)
                aria-describedby=move || described_by(&described, has_hint, error.read().is_some())
            ></textarea>
        </div>
    }
}

/// A file picker limited to the accepted types, for several files unless `single`; the files
/// are read through `input`.
#[component]
pub fn FileField(
    #[prop(into)] id: String,
    label: &'static str,
    input: NodeRef<Input>,
    error: Signal<Option<String>>,
    #[prop(optional)] single: bool,
) -> impl IntoView {
    let hint = if single { crate::files::single_limits_hint() } else { crate::files::limits_hint() };
    let described = id.clone();
    view! {
        <div class=field_class(error)>
            <label for=id.clone()>{label}</label>
            <Hint id=id.clone() hint=Some(hint) />
            <InlineError id=format!("{id}-error") error />
            <input
                type="file"
                id=id.clone()
                name=id
                multiple=!single
                accept=shared::attachment::ACCEPT_ATTRIBUTE
                node_ref=input
                aria-invalid=aria_invalid(error)
                aria-describedby=move || described_by(&described, true, error.read().is_some())
            />
        </div>
    }
}
