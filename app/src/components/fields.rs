//! Form fields with a real label, an optional hint and an inline error wired up for assistive
//! technology (`aria-invalid`, `aria-describedby`). The inline error of field `X` has id `X-error`.

use leptos::attr::Attribute;
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

/// A control's `aria-invalid`, following its error.
pub fn aria_invalid(error: Signal<Option<String>>) -> impl Fn() -> Option<&'static str> + Send + Sync + 'static {
    move || error.read().is_some().then_some("true")
}

/// A control's `aria-describedby`, following its error.
pub fn aria_describedby(
    id: String,
    has_hint: bool,
    error: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    move || described_by(&id, has_hint, error.read().is_some())
}

/// What ties a control to its field: its id and name, and its `aria-invalid` and
/// `aria-describedby` following its error (and its hint, when it has one).
pub fn control_attributes(id: String, has_hint: bool, error: Signal<Option<String>>) -> impl Attribute {
    let describedby = aria_describedby(id.clone(), has_hint, error);
    view! { <{..} id=id.clone() name=id aria-invalid=aria_invalid(error) aria-describedby=describedby /> }
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

/// What every kind of input shows around itself: its label, hint and inline error, then the
/// control (`children`, with id `id`), which names them with `aria_describedby`.
#[component]
pub fn Field(
    #[prop(into)] id: String,
    #[prop(into)] label: TextProp,
    #[prop(optional, into)] hint: MaybeProp<String>,
    #[prop(optional)] error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class=field_class(error)>
            <label for=id.clone()>{move || label.get()}</label>
            <Hint id=id.clone() hint=hint.get_untracked() />
            <InlineError id=format!("{id}-error") error />
            {children()}
        </div>
    }
}

/// The same around a group of controls (radio buttons, checkboxes): a fieldset named by its
/// legend, with id `name` (what an error summary links to); the group's hint and error ids start
/// with `name`.
#[component]
pub fn FieldSet(
    #[prop(into)] name: String,
    legend: &'static str,
    #[prop(optional, into)] hint: MaybeProp<String>,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <fieldset class=field_class(error) id=name.clone() tabindex="-1">
            <legend>{legend}</legend>
            <Hint id=name.clone() hint=hint.get_untracked() />
            <InlineError id=format!("{name}-error") error />
            {children()}
        </fieldset>
    }
}

/// A one-line text input; `error` may be left out for an input the server does not check.
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] label: TextProp,
    value: RwSignal<String>,
    #[prop(optional)] error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let control = control_attributes(id.clone(), hint.is_some(), error);
    view! {
        <Field id label hint error>
            <input {..control} type=input_type autocomplete=autocomplete bind:value=value />
        </Field>
    }
}

/// A date and time typed in the reader's local time; with `empty_is_now`, left empty it means
/// now (no time is sent, and the server takes the present), and the hint says so.
#[component]
pub fn LocalTimeField(
    #[prop(into)] id: String,
    label: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(optional)] empty_is_now: bool,
    /// Replaces the hint, for a time with more to say about it.
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    let hint =
        hint.unwrap_or(if empty_is_now { "In your local time. Leave empty for now." } else { "In your local time." });
    view! { <TextField id label hint value error input_type="datetime-local" /> }
}

#[component]
pub fn TextArea(
    #[prop(into)] id: String,
    #[prop(into)] label: TextProp,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = 6)] rows: u32,
) -> impl IntoView {
    let control = control_attributes(id.clone(), hint.is_some(), error);
    view! {
        <Field id label hint error>
            <textarea {..control} rows=rows bind:value=value></textarea>
        </Field>
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
    let control = control_attributes(id.clone(), true, error);
    view! {
        <Field id label hint error>
            <input
                {..control}
                type="file"
                multiple=!single
                accept=shared::attachment::ACCEPT_ATTRIBUTE
                node_ref=input
            />
        </Field>
    }
}
