//! What kind of incident, how bad, whether it is a breach, and which data is involved.

use leptos::prelude::*;
use shared::data_elements::vocabulary;
use shared::record::{IncidentCommand, VerdictChoice};
use shared::validation::ValidationErrors;
use shared::workflow::classification::{BreachVerdict, Category, DataCategory, Severity};

use super::inputs::{CheckboxGroup, Choice, RadioGroup, SelectField, split_list};
use super::workspace::{Errors, use_workspace};
use crate::clock;
use crate::components::{FormErrors, LocalTimeField, Section, SubmitButton, TextField, TitledForm};

const CLASSIFY_TARGETS: &[(&str, &str)] = &[("category", "category"), ("severity", "severity-critical")];
const VERDICT_TARGETS: &[(&str, &str)] = &[("verdict", "verdict-not_a_breach"), ("confirmed_at", "confirmed_at")];
const DATA_TARGETS: &[(&str, &str)] = &[("categories", "data_other")];

/// The vocabulary's elements as checkboxes, and the rest as a comma-separated text: the values
/// to show for a list of categories.
pub fn split_categories(categories: &[DataCategory]) -> (Vec<&'static str>, String) {
    let known: Vec<&'static str> = categories.iter().filter_map(|c| c.element()).map(|e| e.id.as_str()).collect();
    let others: Vec<String> = categories.iter().filter(|c| c.element().is_none()).map(DataCategory::label).collect();
    (known, others.join(", "))
}

/// One checkbox per element of the vocabulary, with what falls under it.
pub fn built_in_choices() -> Vec<(Choice, RwSignal<bool>)> {
    vocabulary()
        .iter()
        .map(|e| (Choice::new(e.id.clone(), e.label.clone()).with_hint(e.examples.clone()), RwSignal::new(false)))
        .collect()
}

/// What the checkboxes and the text of other categories say, as the list the server takes.
pub fn chosen_categories(boxes: &[(Choice, RwSignal<bool>)], others: &str) -> Vec<String> {
    boxes
        .iter()
        .filter(|(_, checked)| checked.get_untracked())
        .map(|(choice, _)| choice.value.clone())
        .chain(split_list(others))
        .collect()
}

pub fn show_categories(boxes: &[(Choice, RwSignal<bool>)], others: RwSignal<String>, categories: &[DataCategory]) {
    let (built_in, other_text) = split_categories(categories);
    for (choice, checked) in boxes {
        checked.set(built_in.contains(&choice.value.as_str()));
    }
    others.set(other_text);
}

#[component]
fn CategoryAndSeverity() -> impl IntoView {
    let ws = use_workspace();
    let saved = ws.select(|r| (r.classification.category, r.classification.severity));
    let category = RwSignal::new(String::new());
    let severity = RwSignal::new(String::new());
    Effect::new(move || {
        let (saved_category, saved_severity) = saved.get();
        category.set(saved_category.map(|c| c.as_str().to_owned()).unwrap_or_default());
        severity.set(saved_severity.map(|s| s.as_str().to_owned()).unwrap_or_default());
    });
    let errors = FormErrors::with_summary_id("classification-errors");
    let busy = RwSignal::new(false);

    let submit = move || {
        let chosen_category = Category::parse(&category.get_untracked());
        let chosen_severity = Severity::parse(&severity.get_untracked());
        let mut problems = ValidationErrors::default();
        if chosen_category.is_none() {
            problems.push("category", "Choose a category");
        }
        if chosen_severity.is_none() {
            problems.push("severity", "Choose a severity");
        }
        match (chosen_category, chosen_severity) {
            (Some(category), Some(severity)) => {
                ws.run(IncidentCommand::Classify { category, severity }, Errors::Form(errors), busy, || {})
            }
            _ => errors.show_fields(problems.0),
        }
    };

    let categories = Choice::all(Category::ALL, Category::as_str, Category::label);
    let severities =
        Severity::ALL.into_iter().map(|s| Choice::new(s.as_str(), s.label()).with_hint(s.meaning())).collect();
    view! {
        <TitledForm title="Category and severity" errors targets=CLASSIFY_TARGETS submit>
            <SelectField
                id="category"
                label="Category"
                choices=categories
                value=category
                error=errors.for_field("category")
                placeholder="Choose a category"
            />
            <RadioGroup
                name="severity"
                legend="Severity"
                choices=severities
                value=severity
                error=errors.for_field("severity")
            />
            <SubmitButton id="save-classification" busy>
                "Save category and severity"
            </SubmitButton>
        </TitledForm>
    }
}

fn verdict_value(verdict: BreachVerdict) -> &'static str {
    match verdict {
        BreachVerdict::NotABreach => "not_a_breach",
        BreachVerdict::Suspected => "suspected",
        BreachVerdict::Confirmed { .. } => "confirmed",
    }
}

fn verdict_choice(value: &str) -> Option<VerdictChoice> {
    match value {
        "not_a_breach" => Some(VerdictChoice::NotABreach),
        "suspected" => Some(VerdictChoice::Suspected),
        "confirmed" => Some(VerdictChoice::Confirmed),
        _ => None,
    }
}

#[component]
fn Verdict() -> impl IntoView {
    let ws = use_workspace();
    let saved = ws.select(|r| r.classification.verdict);
    let verdict = RwSignal::new(String::new());
    let confirmed_at = RwSignal::new(String::new());
    Effect::new(move || {
        let saved = saved.get();
        verdict.set(verdict_value(saved).to_owned());
        confirmed_at.set(match saved {
            BreachVerdict::Confirmed { confirmed_at } => clock::utc_to_local_input(confirmed_at),
            _ => String::new(),
        });
    });
    let errors = FormErrors::with_summary_id("verdict-errors");
    let busy = RwSignal::new(false);

    let submit = move || {
        let Some(choice) = verdict_choice(&verdict.get_untracked()) else {
            return errors.show_field("verdict", "Choose a verdict");
        };
        let confirmed = match clock::local_input_to_utc(&confirmed_at.get_untracked()) {
            Ok(at) => at.filter(|_| choice == VerdictChoice::Confirmed),
            Err(()) => return errors.show_field("confirmed_at", "Enter a date and time, or leave it empty"),
        };
        ws.run(
            IncidentCommand::SetVerdict { verdict: choice, confirmed_at: confirmed },
            Errors::Form(errors),
            busy,
            || {},
        );
    };

    let choices = vec![
        Choice::new("not_a_breach", "Not a breach").with_hint("No personal or sensitive data was exposed."),
        Choice::new("suspected", "Suspected breach").with_hint("Still being investigated."),
        Choice::new("confirmed", "Confirmed breach").with_hint("Confirmation starts the clock for telling customers."),
    ];
    view! {
        <TitledForm title="Breach verdict" errors targets=VERDICT_TARGETS submit>
            <RadioGroup
                name="verdict"
                legend="Was data breached?"
                choices
                value=verdict
                error=errors.for_field("verdict")
            />
            <LocalTimeField
                id="confirmed_at"
                label="When was the breach confirmed? (optional)"
                hint="For a confirmed breach, in your local time. Leave empty for now."
                value=confirmed_at
                error=errors.for_field("confirmed_at")
            />
            <SubmitButton id="save-verdict" busy>
                "Save verdict"
            </SubmitButton>
        </TitledForm>
    }
}

#[component]
fn DataInvolved() -> impl IntoView {
    let ws = use_workspace();
    let saved = ws.select(|r| r.classification.data_categories.clone());
    let boxes = built_in_choices();
    let others = RwSignal::new(String::new());
    Effect::new({
        let boxes = boxes.clone();
        move || saved.with(|categories| show_categories(&boxes, others, categories))
    });
    let errors = FormErrors::with_summary_id("data-errors");
    let busy = RwSignal::new(false);

    let submit = {
        let boxes = boxes.clone();
        move || {
            let categories = chosen_categories(&boxes, &others.get_untracked());
            ws.run(IncidentCommand::SetDataCategories { categories }, Errors::Form(errors), busy, || {});
        }
    };

    view! {
        <TitledForm title="Data involved" errors targets=DATA_TARGETS submit>
            <CheckboxGroup
                name="data"
                legend="Which kinds of data are involved?"
                hint="Choose all that apply."
                choices=boxes
                error=errors.for_field("categories")
            >
                <TextField
                    id="data_other"
                    label="Other kinds of data (optional)"
                    hint="Only what the list above does not name, separated by commas: for example Payroll, Customer support tickets"
                    value=others
                    error=Signal::derive(|| None)
                />
            </CheckboxGroup>
            <SubmitButton id="save-data-categories" busy>
                "Save data involved"
            </SubmitButton>
        </TitledForm>
    }
}

#[component]
pub fn ClassificationSection() -> impl IntoView {
    view! {
        <Section id="classification" heading_id="classification-heading" title="Classification">
            <CategoryAndSeverity />
            <Verdict />
            <DataInvolved />
        </Section>
    }
}
