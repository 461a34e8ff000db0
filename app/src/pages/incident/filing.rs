//! A regulator filing on its obligation: each required item with the team's answer or one drafted
//! from the record, what is still missing, and recording the filing once made.

use leptos::prelude::*;
use shared::filings::{FilingDraft, FilingMethod};
use shared::record::IncidentCommand;

use super::inputs::{Choice, ObligationAction, SelectField};
use super::workspace::{Errors, use_workspace};
use crate::components::{
    ErrorSummary, FormErrors, LoadError, Loading, LocalTimeField, SubmitButton, TextArea, TextField, on_submit,
};
use crate::{api, clock};

/// The draft of obligation `id`, loaded again after every change to the incident.
#[component]
pub fn FilingPanel(id: String, part: String) -> impl IntoView {
    let ws = use_workspace();
    let draft = LocalResource::new({
        let id = id.clone();
        move || {
            ws.changes.track();
            let id = id.clone();
            async move { api::filing(&ws.reference, &id).await }
        }
    });
    view! {
        <Suspense fallback=|| view! { <Loading /> }>
            {move || draft.get().map(|answer| match answer {
                Ok(draft) => view! { <FilingForms draft part=part.clone() /> }.into_any(),
                Err(error) => view! { <LoadError error /> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn FilingForms(draft: FilingDraft, part: String) -> impl IntoView {
    let ws = use_workspace();
    let errors = FormErrors::with_summary_id(format!("filing-errors-{part}"));
    let busy = RwSignal::new(false);
    let answers: Vec<RwSignal<String>> = draft.items.iter().map(|item| RwSignal::new(item.answer.clone())).collect();
    let method = RwSignal::new(FilingMethod::Portal.as_str().to_owned());
    let reference = RwSignal::new(String::new());
    let filed_at = RwSignal::new(String::new());

    let save = {
        let (id, answers) = (draft.obligation.clone(), answers.clone());
        move || {
            let answers = answers.iter().map(|a| a.get_untracked()).collect();
            let command = IncidentCommand::SaveFiling { obligation: id.clone(), answers };
            ws.run(command, Errors::Form(errors), busy, || {});
        }
    };
    let record = {
        let id = draft.obligation.clone();
        move || {
            let Some(method) = FilingMethod::ALL.into_iter().find(|m| m.as_str() == method.get_untracked()) else {
                return;
            };
            let Ok(filed_at) = clock::local_input_to_utc(&filed_at.get_untracked()) else {
                return errors.show_field("filed_at", "Enter a date and time, or leave it empty for now");
            };
            let command = IncidentCommand::RecordFiling {
                obligation: id.clone(),
                filed_at,
                method,
                authority_reference: reference.get_untracked(),
            };
            ws.run(command, Errors::Form(errors), busy, || {});
        }
    };

    let missing = (!draft.missing.is_empty()).then(|| {
        let items = draft.missing.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view();
        view! {
            <div class="notice notice--warning" id=format!("filing-missing-{part}")>
                <p>"Still missing:"</p>
                <ul>{items}</ul>
            </div>
        }
    });
    let items = draft
        .items
        .iter()
        .zip(answers)
        .enumerate()
        .map(|(i, (item, answer))| {
            let hint = if item.drafted {
                "Drafted from the incident's record: check it, change it as needed."
            } else {
                "Leave it empty while it is not known: it shows as missing."
            };
            view! {
                <TextArea
                    id=format!("filing_{part}_answer_{i}")
                    label=item.requirement.clone()
                    hint=hint
                    value=answer
                    error=errors.for_field(format!("answer_{i}"))
                    rows=3
                />
            }
        })
        .collect_view();
    let methods = Choice::all(FilingMethod::ALL, FilingMethod::as_str, FilingMethod::label);
    let targets: &'static [(&'static str, &'static str)] =
        &[("authority_reference", "filing_reference"), ("filed_at", "filing_filed_at")];
    view! {
        <ErrorSummary errors targets id_suffix=format!("_{part}") heading=5 />
        {draft.recipient.map(|to| view! { <p><strong>"To: "</strong>{to}</p> })}
        {missing}
        <form novalidate on:submit=on_submit(save)>
            {items}
            <SubmitButton id=format!("filing_save_{part}") busy secondary=true>
                "Save the draft"
            </SubmitButton>
        </form>
        <ObligationAction legend="Record the filing" submit=record>
            <SelectField
                id=format!("filing_method_{part}")
                label="How it was filed"
                choices=methods
                value=method
                error=errors.for_field("method")
            />
            <TextField
                id=format!("filing_reference_{part}")
                label="The authority's reference"
                value=reference
                error=errors.for_field("authority_reference")
            />
            <LocalTimeField
                id=format!("filing_filed_at_{part}")
                label="When was it filed? (optional)"
                value=filed_at
                error=errors.for_field("filed_at")
                empty_is_now=true
            />
            <SubmitButton id=format!("filing_record_{part}") busy>
                "Record the filing"
            </SubmitButton>
        </ObligationAction>
    }
}
