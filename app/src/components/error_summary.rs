//! The errors of a form, shown both next to each field and in a summary at the top that takes
//! focus, so that keyboard and screen-reader users learn at once what to fix and can jump there.

use leptos::prelude::*;
use shared::api::ErrorCode;
use shared::validation::FieldError;

use crate::api::ApiError;
use crate::dom;

const SUMMARY_ID: &str = "error-summary";

#[derive(Debug, Clone, Copy, Default)]
pub struct FormErrors {
    fields: RwSignal<Vec<FieldError>>,
    /// Problems that belong to no field, such as the server being unreachable.
    general: RwSignal<Option<String>>,
}

impl FormErrors {
    pub fn clear(&self) {
        self.fields.set(Vec::new());
        self.general.set(None);
    }

    /// Shows these field errors (replacing earlier ones) and focuses the summary.
    pub fn show_fields(&self, fields: Vec<FieldError>) {
        self.general.set(None);
        self.fields.set(fields);
        dom::focus_after_render(SUMMARY_ID);
    }

    fn show_general(&self, message: String) {
        self.fields.set(Vec::new());
        self.general.set(Some(message));
        dom::focus_after_render(SUMMARY_ID);
    }

    /// Shows a failed request: field errors on their fields; a refused or failed upload without
    /// field details on `file_field`; anything else in the summary only.
    pub fn show_api_error(&self, error: &ApiError, file_field: &str) {
        let on_files = |message: String| self.show_fields(vec![FieldError { field: file_field.to_owned(), message }]);
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
    pub fn for_field(&self, field: &'static str) -> Signal<Option<String>> {
        let fields = self.fields;
        Signal::derive(move || {
            let messages: Vec<String> =
                fields.read().iter().filter(|e| e.field == field).map(|e| e.message.clone()).collect();
            (!messages.is_empty()).then(|| messages.join("; "))
        })
    }

    fn is_empty(&self) -> bool {
        self.fields.read().is_empty() && self.general.read().is_none()
    }
}

/// `targets` maps each wire field name to the id of the element that should take focus for it;
/// errors on fields not listed are shown as plain text.
#[component]
pub fn ErrorSummary(errors: FormErrors, targets: &'static [(&'static str, &'static str)]) -> impl IntoView {
    let target = move |field: &str| targets.iter().find(|(name, _)| *name == field).map(|(_, id)| *id);
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
                                dom::focus_by_id(id);
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
    view! {
        <Show when=move || !errors.is_empty()>
            <div
                id=SUMMARY_ID
                class="error-summary"
                role="alert"
                tabindex="-1"
                aria-labelledby="error-summary-title"
            >
                <h2 id="error-summary-title">"There is a problem"</h2>
                <ul>
                    {move || errors.general.get().map(|message| view! { <li>{message}</li> })}
                    {field_items}
                </ul>
            </div>
        </Show>
    }
}
