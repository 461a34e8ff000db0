//! A part of a page.

use leptos::prelude::*;

use super::{CheckedForm, FormErrors};

/// A part of a page named by its `<h2>` (`aria-labelledby`), so that screen readers list it
/// among the page's regions and can jump to it; `hint` says under the heading what it is for.
#[component]
pub fn Section(
    heading_id: &'static str,
    title: &'static str,
    // Not `optional`, which would take only a `&str`: `FormSection` hands on its own options.
    #[prop(default = None, into)] id: Option<&'static str>,
    #[prop(default = None, into)] class: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <section id=id class=class aria-labelledby=heading_id>
            <h2 id=heading_id>{title}</h2>
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
            {children()}
        </section>
    }
}

/// A part of a page that is one form: `intro` says what it is for, and the form's error summary
/// takes the heading level below the section's.
#[component]
pub fn FormSection(
    heading_id: &'static str,
    title: &'static str,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] class: Option<&'static str>,
    #[prop(optional)] intro: Option<&'static str>,
    errors: FormErrors,
    targets: &'static [(&'static str, &'static str)],
    submit: impl Fn() + Send + 'static,
    children: Children,
) -> impl IntoView {
    view! {
        <Section id class heading_id title>
            {intro.map(|intro| view! { <p>{intro}</p> })}
            <CheckedForm errors targets heading=3 submit>
                {children()}
            </CheckedForm>
        </Section>
    }
}

/// A form of its own within a section: its `<h3>` title and `hint`, then the form, whose error
/// summary takes the heading level below (`id_suffix` as for `ErrorSummary`).
#[component]
pub fn TitledForm(
    #[prop(into)] title: TextProp,
    #[prop(optional)] heading_id: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    errors: FormErrors,
    targets: &'static [(&'static str, &'static str)],
    #[prop(optional, into)] id_suffix: String,
    submit: impl Fn() + 'static,
    children: Children,
) -> impl IntoView {
    view! {
        <h3 id=heading_id>{move || title.get()}</h3>
        {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        <CheckedForm errors targets id_suffix heading=4 submit>
            {children()}
        </CheckedForm>
    }
}
