use leptos::prelude::*;
use shared::record::IncidentCommand;

use super::workspace::{Errors, use_workspace};
use crate::components::{FormErrors, FormSection, SubmitButton, TextArea};

const TARGETS: &[(&str, &str)] = &[("markdown", "note_markdown")];

/// A free-text note for the timeline, in Markdown.
#[component]
pub fn NotesSection() -> impl IntoView {
    let ws = use_workspace();
    let markdown = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("note-errors");
    let busy = RwSignal::new(false);

    let submit = move || {
        if markdown.get_untracked().trim().is_empty() {
            return errors.show_field("markdown", "Enter the note");
        }
        let command = IncidentCommand::AddNote { markdown: markdown.get_untracked() };
        ws.run(command, Errors::Form(errors), busy, move || markdown.set(String::new()));
    };

    view! {
        <FormSection id="notes" heading_id="notes-heading" title="Add a note" errors targets=TARGETS submit>
            <TextArea
                id="note_markdown"
                label="Note"
                hint="Markdown: **bold**, *italic*, lists, links and `code`; HTML is shown as text. \
                      Notes appear on the timeline and cannot be edited."
                value=markdown
                error=errors.for_field("markdown")
                rows=5
            />
            <SubmitButton id="add-note" busy>
                "Add note"
            </SubmitButton>
        </FormSection>
    }
}
