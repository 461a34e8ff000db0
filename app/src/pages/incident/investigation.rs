//! The investigation record: our failure or not, which data was accessed and how, how many
//! records and people, where they live, and the risk to them.

use leptos::prelude::*;
use shared::record::IncidentCommand;
use shared::workflow::investigation::{DataUse, InvestigationForm, RiskToPeople, YesNoUnknown};

use super::classification::{built_in_choices, chosen_categories, show_categories};
use super::inputs::{CheckboxGroup, Choice, RadioGroup, split_list};
use super::workspace::{Errors, use_workspace};
use crate::components::{FormErrors, FormSection, SubmitButton, TextArea, TextField};

const TARGETS: &[(&str, &str)] = &[
    ("our_failure", "our_failure-yes"),
    ("failure_detail", "failure_detail"),
    ("data_accessed", "data_accessed_other"),
    ("records_estimate", "records_estimate"),
    ("data_use", "data_use-viewed"),
    ("affected_estimate", "affected_estimate"),
    ("jurisdictions", "jurisdictions"),
    ("risk_to_people", "risk_to_people-not_assessed"),
];

const ANSWERS: [YesNoUnknown; 3] = [YesNoUnknown::Yes, YesNoUnknown::No, YesNoUnknown::Unknown];

fn answer_value(answer: YesNoUnknown) -> &'static str {
    match answer {
        YesNoUnknown::Yes => "yes",
        YesNoUnknown::No => "no",
        YesNoUnknown::Unknown => "unknown",
    }
}

fn count_text(count: Option<u64>) -> String {
    count.map(|n| n.to_string()).unwrap_or_default()
}

#[component]
pub fn InvestigationSection() -> impl IntoView {
    let ws = use_workspace();
    // The findings only: importing affected accounts does not reset what is being typed here,
    // unless it adds jurisdictions.
    let saved = ws.select(|r| r.investigation.findings.clone());
    let our_failure = RwSignal::new(String::new());
    let failure_detail = RwSignal::new(String::new());
    let accessed_boxes = built_in_choices();
    let accessed_other = RwSignal::new(String::new());
    let records_estimate = RwSignal::new(String::new());
    let use_boxes: Vec<(Choice, RwSignal<bool>)> =
        DataUse::ALL.into_iter().map(|u| (Choice::new(u.as_str(), u.label()), RwSignal::new(false))).collect();
    let affected_estimate = RwSignal::new(String::new());
    let jurisdictions = RwSignal::new(String::new());
    let risk = RwSignal::new(String::new());
    Effect::new({
        let (accessed_boxes, use_boxes) = (accessed_boxes.clone(), use_boxes.clone());
        move || {
            saved.with(|saved| {
                our_failure.set(answer_value(saved.our_failure).to_owned());
                failure_detail.set(saved.failure_detail.clone().unwrap_or_default());
                show_categories(&accessed_boxes, accessed_other, &saved.data_accessed);
                records_estimate.set(count_text(saved.records_estimate));
                for (choice, checked) in &use_boxes {
                    checked.set(saved.data_use.iter().any(|u| u.as_str() == choice.value));
                }
                affected_estimate.set(count_text(saved.affected_estimate));
                let codes: Vec<&str> = saved.jurisdictions.iter().map(|j| j.as_str()).collect();
                jurisdictions.set(codes.join(", "));
                risk.set(saved.risk_to_people.as_str().to_owned());
            })
        }
    });
    let errors = FormErrors::with_summary_id("investigation-errors");
    let busy = RwSignal::new(false);

    let submit = {
        let (accessed_boxes, use_boxes) = (accessed_boxes.clone(), use_boxes.clone());
        move || {
            let our_failure_value = our_failure.get_untracked();
            let form = InvestigationForm {
                our_failure: ANSWERS.into_iter().find(|a| answer_value(*a) == our_failure_value).unwrap_or_default(),
                failure_detail: failure_detail.get_untracked(),
                data_accessed: chosen_categories(&accessed_boxes, &accessed_other.get_untracked()),
                records_estimate: records_estimate.get_untracked(),
                data_use: DataUse::ALL
                    .into_iter()
                    .filter(|u| use_boxes.iter().any(|(c, checked)| c.value == u.as_str() && checked.get_untracked()))
                    .collect(),
                affected_estimate: affected_estimate.get_untracked(),
                jurisdictions: split_list(&jurisdictions.get_untracked()),
                risk_to_people: RiskToPeople::ALL
                    .into_iter()
                    .find(|r| r.as_str() == risk.get_untracked())
                    .unwrap_or_default(),
            };
            // The same rules as the server, so mistakes show without a round trip.
            if let Err(problems) = form.parse() {
                return errors.show_fields(problems.0);
            }
            ws.run(IncidentCommand::RecordInvestigation { form }, Errors::Form(errors), busy, || {});
        }
    };

    let answers = vec![Choice::new("yes", "Yes"), Choice::new("no", "No"), Choice::new("unknown", "Not known yet")];
    let risks = RiskToPeople::ALL
        .into_iter()
        .map(|r| {
            let choice = Choice::new(r.as_str(), r.label());
            if r == RiskToPeople::NotAssessed {
                choice.with_hint("Deadlines are worked out as if the risk were high until it is assessed.")
            } else {
                choice
            }
        })
        .collect();
    view! {
        <FormSection
            id="investigation"
            heading_id="investigation-heading"
            title="Investigation"
            errors
            targets=TARGETS
            submit
        >
            <RadioGroup
                name="our_failure"
                legend="Was it a failure of our technology or processes?"
                choices=answers
                value=our_failure
                error=errors.for_field("our_failure")
            />
            <TextArea
                id="failure_detail"
                label="What failed"
                hint="Needed when it was our failure: which technology or process."
                value=failure_detail
                error=errors.for_field("failure_detail")
                rows=4
            />
            <CheckboxGroup
                name="data_accessed"
                legend="Which data was accessed?"
                hint="Choose all that apply."
                choices=accessed_boxes
                error=errors.for_field("data_accessed")
            >
                <TextField
                    id="data_accessed_other"
                    label="Other data accessed (optional)"
                    hint="Separate kinds with commas."
                    value=accessed_other
                    error=Signal::derive(|| None)
                />
            </CheckboxGroup>
            <TextField
                id="records_estimate"
                label="How many records? (optional)"
                hint="A whole number, such as 1200. An estimate is fine."
                value=records_estimate
                error=errors.for_field("records_estimate")
            />
            <CheckboxGroup
                name="data_use"
                legend="What was done with the data?"
                hint="Choose all that apply."
                choices=use_boxes
                error=errors.for_field("data_use")
            />
            <TextField
                id="affected_estimate"
                label="How many people are affected? (optional)"
                hint="A whole number. An estimate is fine."
                value=affected_estimate
                error=errors.for_field("affected_estimate")
            />
            <TextField
                id="jurisdictions"
                label="Where do the affected people live? (optional)"
                hint="Country or region codes separated by commas, for example DE, FR, US-CA. \
                      They decide which regulators to notify."
                value=jurisdictions
                error=errors.for_field("jurisdictions")
            />
            <RadioGroup
                name="risk_to_people"
                legend="What is the risk to the people whose data was breached?"
                choices=risks
                value=risk
                error=errors.for_field("risk_to_people")
            />
            <SubmitButton id="save-investigation" busy>
                "Save investigation"
            </SubmitButton>
        </FormSection>
    }
}
