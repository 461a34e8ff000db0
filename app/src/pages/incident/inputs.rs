//! Form controls the incident sections share: radio groups, checkbox groups and selects, each
//! with a label or legend and its inline error wired up like the text fields in `components`;
//! the forms of an obligation, and the buttons that send a command on their own.

use leptos::prelude::*;
use shared::record::IncidentCommand;

use super::workspace::{Errors, use_workspace};
use crate::components::{Field, FieldSet, control_attributes, described_by, on_submit};

/// One choice of a radio group or select: the value sent, the label shown and an optional hint.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub hint: Option<String>,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self { value: value.into(), label: label.into(), hint: None }
    }

    /// One choice per value of an enum, sent as `value` and shown as `label`.
    pub fn all<T>(
        values: impl IntoIterator<Item = T>,
        value: fn(T) -> &'static str,
        label: fn(T) -> &'static str,
    ) -> Vec<Self>
    where
        T: Copy,
    {
        values.into_iter().map(|v| Self::new(value(v), label(v))).collect()
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A choice's `aria-describedby`: its own hint, then the group's hint and error.
fn choice_described_by(
    name: String,
    id: &str,
    own_hint: bool,
    group_hint: bool,
    error: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Send + Sync + use<> {
    let own = own_hint.then(|| format!("{id}-hint"));
    move || {
        let ids: Vec<String> =
            own.clone().into_iter().chain(described_by(&name, group_hint, error.read().is_some())).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A radio group in a fieldset; option `v` has id `{name}-{v}`, its hint `{name}-{v}-hint`.
#[component]
pub fn RadioGroup(
    #[prop(into)] name: String,
    legend: &'static str,
    choices: Vec<Choice>,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let options = choices
        .into_iter()
        .map(|choice| {
            let id = format!("{name}-{}", choice.value);
            let describedby = choice_described_by(name.clone(), &id, choice.hint.is_some(), false, error);
            view! {
                <div class="radio">
                    <input
                        type="radio"
                        id=id.clone()
                        name=name.clone()
                        value=choice.value
                        bind:group=value
                        aria-describedby=describedby
                    />
                    <div>
                        <label for=id.clone()>{choice.label}</label>
                        {choice.hint.map(|hint| view! { <p class="hint" id=format!("{id}-hint")>{hint}</p> })}
                    </div>
                </div>
            }
        })
        .collect_view();
    view! {
        <FieldSet name legend error>
            <div class="radios">{options}</div>
        </FieldSet>
    }
}

/// A group of checkboxes in a fieldset; box `v` has id `{name}-{v}`, its hint `{name}-{v}-hint`.
#[component]
pub fn CheckboxGroup(
    #[prop(into)] name: String,
    legend: &'static str,
    #[prop(optional, into)] hint: Option<String>,
    choices: Vec<(Choice, RwSignal<bool>)>,
    error: Signal<Option<String>>,
    /// Further fields of the group, such as a text input for choices not listed.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let has_hint = hint.is_some();
    let boxes = choices
        .into_iter()
        .map(|(choice, checked)| {
            let id = format!("{name}-{}", choice.value);
            let describedby = choice_described_by(name.clone(), &id, choice.hint.is_some(), has_hint, error);
            view! {
                <div class="radio checkbox">
                    <input
                        type="checkbox"
                        id=id.clone()
                        name=name.clone()
                        value=choice.value
                        bind:checked=checked
                        aria-describedby=describedby
                    />
                    <div>
                        <label for=id.clone()>{choice.label}</label>
                        {choice.hint.map(|hint| view! { <p class="hint" id=format!("{id}-hint")>{hint}</p> })}
                    </div>
                </div>
            }
        })
        .collect_view();
    view! {
        <FieldSet name legend hint error>
            <div class="radios">{boxes}</div>
            {children.map(|children| children())}
        </FieldSet>
    }
}

/// A select with a label; `placeholder` adds a first, empty choice.
#[component]
pub fn SelectField(
    #[prop(into)] id: String,
    label: &'static str,
    choices: Vec<Choice>,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let control = control_attributes(id.clone(), false, error);
    let placeholder = placeholder
        .map(|text| view! { <option value="" prop:selected=move || value.read().is_empty()>{text}</option> });
    let options = choices
        .into_iter()
        .map(|choice| {
            let option_value = choice.value.clone();
            view! {
                <option value=choice.value prop:selected=move || *value.read() == option_value>
                    {choice.label}
                </option>
            }
        })
        .collect_view();
    view! {
        <Field id label error>
            <select {..control} on:change=move |ev| value.set(event_target_value(&ev))>
                {placeholder}
                {options}
            </select>
        </Field>
    }
}

/// One thing to do about an obligation (mark it met, record its filing…): a form of its own,
/// named by `legend`, whose errors show in the obligation's summary.
#[component]
pub fn ObligationAction(legend: &'static str, submit: impl Fn() + 'static, children: Children) -> impl IntoView {
    view! {
        <form novalidate on:submit=on_submit(submit)>
            <fieldset class="obligation-action">
                <legend>{legend}</legend>
                {children()}
            </fieldset>
        </form>
    }
}

/// A button outside any form that sends the `command` of the moment, disabled while `busy`; a
/// refusal shows in the page's notice.
#[component]
pub fn CommandButton(
    #[prop(into)] id: String,
    class: &'static str,
    busy: RwSignal<bool>,
    command: impl Fn() -> IncidentCommand + 'static,
    children: Children,
) -> impl IntoView {
    let ws = use_workspace();
    view! {
        <button type="button" id=id class=class disabled=busy on:click=move |_| ws.run(command(), Errors::Notice, busy, || {})>
            {children()}
        </button>
    }
}

/// The items of a comma-separated list, trimmed, without empty ones.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';', '\n']).map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect()
}

/// An obligation's id as part of element ids: rule ids may hold `(`, `)` and `.`.
pub fn id_part(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}
