//! The errors of a form, shown both next to each field and in a summary at the top that takes
//! focus, so that keyboard and screen-reader users learn at once what to fix and can jump there.

use leptos::prelude::*;
use shared::api::ErrorCode;
use shared::validation::FieldError;

use crate::api::ApiError;
use crate::dom;

const SUMMARY_ID: &str = "error-summary";

#[derive(Debug, Clone, Copy)]
pub struct FormErrors {
    fields: RwSignal<Vec<FieldError>>,
    /// Problems that belong to no field, such as the server being unreachable.
    general: RwSignal<Option<String>>,
    /// The summary's id: pages with several forms give each summary its own.
    summary_id: StoredValue<String>,
}

impl Default for FormErrors {
    fn default() -> Self {
        Self::with_summary_id(SUMMARY_ID)
    }
}

impl FormErrors {
    /// Errors for one of several forms on a page; `summary_id` must be unique on the page.
    pub fn with_summary_id(summary_id: impl Into<String>) -> Self {
        Self {
            fields: RwSignal::new(Vec::new()),
            general: RwSignal::new(None),
            summary_id: StoredValue::new(summary_id.into()),
        }
    }

    pub fn clear(&self) {
        self.fields.set(Vec::new());
        self.general.set(None);
    }

    /// Shows these field errors (replacing earlier ones) and focuses the summary.
    pub fn show_fields(&self, fields: Vec<FieldError>) {
        self.general.set(None);
        self.fields.set(fields);
        self.focus_summary();
    }

    /// Shows one problem on `field`, and focuses the summary.
    pub fn show_field(&self, field: &str, message: impl Into<String>) {
        self.show_fields(vec![FieldError { field: field.to_owned(), message: message.into() }]);
    }

    /// Shows the problems found before sending, or clears the errors when there are none: true
    /// when the form may go.
    pub fn check(&self, problems: Vec<FieldError>) -> bool {
        let none = problems.is_empty();
        if none {
            self.clear();
        } else {
            self.show_fields(problems);
        }
        none
    }

    /// Shows a problem that belongs to no field, and focuses the summary.
    pub fn show_general(&self, message: String) {
        self.fields.set(Vec::new());
        self.general.set(Some(message));
        self.focus_summary();
    }

    /// A form taken off the page while its request was under way has no summary left to focus.
    fn focus_summary(&self) {
        if let Some(id) = self.summary_id.try_get_value() {
            dom::focus_after_render(id);
        }
    }

    /// Shows a failed request: field errors on their fields; a refused or failed upload without
    /// field details on `file_field`; anything else in the summary only.
    pub fn show_api_error(&self, error: &ApiError, file_field: &str) {
        let on_files = |message: String| self.show_field(file_field, message);
        match error {
            ApiError::Server { body, .. } if !body.fields.is_empty() => self.show_fields(body.fields.clone()),
            ApiError::Server { body, .. }
                if matches!(body.code, ErrorCode::PayloadTooLarge | ErrorCode::UnsupportedMediaType) =>
            {
                on_files(body.message.clone())
            }
            ApiError::Upload { .. } => on_files(error.to_string()),
            other => self.show_general(other.to_string()),
        }
    }

    /// The inline message of one field: all its errors, as the server may name several files.
    pub fn for_field(&self, field: impl Into<String>) -> Signal<Option<String>> {
        let messages = self.messages_for(field);
        Signal::derive(move || {
            let messages = messages.get();
            (!messages.is_empty()).then(|| messages.join("; "))
        })
    }

    /// Every message of one field, for a field that lists its problems (such as a file's bad lines).
    pub fn messages_for(&self, field: impl Into<String>) -> Signal<Vec<String>> {
        let fields = self.fields;
        let field = field.into();
        Signal::derive(move || fields.read().iter().filter(|e| e.field == field).map(|e| e.message.clone()).collect())
    }

    fn is_empty(&self) -> bool {
        self.fields.read().is_empty() && self.general.read().is_none()
    }
}

/// `targets` maps each wire field name to the id of the element that should take focus for it;
/// errors on fields not listed are shown as plain text. A form repeated on the page, once per
/// item, gives its element ids the item's `id_suffix`. `heading` is the level of the summary's
/// heading, one below the heading of the part of the page the form is in.
#[component]
pub fn ErrorSummary(
    errors: FormErrors,
    targets: &'static [(&'static str, &'static str)],
    #[prop(optional, into)] id_suffix: String,
    #[prop(default = 2)] heading: u8,
) -> impl IntoView {
    let target =
        move |field: &str| targets.iter().find(|(name, _)| *name == field).map(|(_, id)| format!("{id}{id_suffix}"));
    let field_items = move || {
        errors
            .fields
            .get()
            .into_iter()
            .map(|error| match target(&error.field) {
                Some(id) => view! {
                    <li>
                        <a
                            href=format!("#{id}")
                            on:click=move |ev| {
                                // Focus rather than jump: the link alone would scroll but leave focus behind.
                                ev.prevent_default();
                                dom::focus_by_id(&id);
                            }
                        >
                            {error.message}
                        </a>
                    </li>
                }
                .into_any(),
                None => view! { <li>{error.message}</li> }.into_any(),
            })
            .collect_view()
    };
    let summary_id = errors.summary_id.get_value();
    let title_id = format!("{summary_id}-title");
    view! {
        <Show when=move || !errors.is_empty()>
            <div
                id=summary_id.clone()
                class="error-summary"
                role="alert"
                tabindex="-1"
                aria-labelledby=title_id.clone()
            >
                {match heading {
                    0..=2 => view! { <h2 id=title_id.clone()>"There is a problem"</h2> }.into_any(),
                    3 => view! { <h3 id=title_id.clone()>"There is a problem"</h3> }.into_any(),
                    4 => view! { <h4 id=title_id.clone()>"There is a problem"</h4> }.into_any(),
                    _ => view! { <h5 id=title_id.clone()>"There is a problem"</h5> }.into_any(),
                }}
                <ul>
                    {move || errors.general.get().map(|message| view! { <li>{message}</li> })}
                    {field_items.clone()}
                </ul>
            </div>
        </Show>
    }
}
