//! The post-incident review: findings, root cause, what worked and what did not, follow-up
//! actions with owners and due dates, and the procedure updates. Read-only once completed.

use leptos::prelude::*;
use shared::record::IncidentCommand;
use shared::workflow::phase::Phase;
use shared::workflow::review::{FollowUpActionForm, Review, ReviewForm};

use super::workspace::{Errors, use_workspace};
use crate::components::{
    CheckedForm, DataTable, Field, FormErrors, InlineError, LocalTime, Section, SubmitButton, TextArea,
    control_attributes,
};
use crate::dom;

const TARGETS: &[(&str, &str)] = &[
    ("findings", "review_findings"),
    ("root_cause", "review_root_cause"),
    ("what_worked", "review_what_worked"),
    ("what_did_not", "review_what_did_not"),
    ("procedure_updates", "review_procedure_updates"),
    ("follow_up_actions.0", "review_action_0"),
    ("follow_up_actions.1", "review_action_1"),
    ("follow_up_actions.2", "review_action_2"),
    ("follow_up_actions.3", "review_action_3"),
    ("follow_up_actions.4", "review_action_4"),
    ("follow_up_actions.5", "review_action_5"),
    ("follow_up_actions.6", "review_action_6"),
    ("follow_up_actions.7", "review_action_7"),
    ("follow_up_actions.8", "review_action_8"),
    ("follow_up_actions.9", "review_action_9"),
];

/// One follow-up action row as typed.
#[derive(Debug, Clone, Copy)]
struct ActionRow {
    action: RwSignal<String>,
    owner: RwSignal<String>,
    due_on: RwSignal<String>,
}

impl ActionRow {
    fn new(form: FollowUpActionForm) -> Self {
        Self {
            action: RwSignal::new(form.action),
            owner: RwSignal::new(form.owner),
            due_on: RwSignal::new(form.due_on),
        }
    }

    fn form(&self) -> FollowUpActionForm {
        FollowUpActionForm {
            action: self.action.get_untracked(),
            owner: self.owner.get_untracked(),
            due_on: self.due_on.get_untracked(),
        }
    }
}

/// The saved review as the form shows it.
fn form_of(review: &Review) -> ReviewForm {
    let review = &review.draft;
    ReviewForm {
        findings: review.findings.clone(),
        root_cause: review.root_cause.clone(),
        what_worked: review.what_worked.clone(),
        what_did_not: review.what_did_not.clone(),
        follow_up_actions: review
            .follow_up_actions
            .iter()
            .map(|a| FollowUpActionForm {
                action: a.action.clone(),
                owner: a.owner.clone(),
                due_on: a.due_on.format("%Y-%m-%d").to_string(),
            })
            .collect(),
        procedure_updates: review.procedure_updates.clone(),
    }
}

/// One input of a follow-up action row; ids are numbered by row, such as `review_owner_2`.
#[component]
fn RowInput(
    id: String,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] error: Signal<Option<String>>,
) -> impl IntoView {
    let control = control_attributes(id.clone(), false, error);
    // The row's fieldset shows the error, so the field around the input does not.
    view! {
        <Field id label>
            <input {..control} type=input_type bind:value=value />
        </Field>
    }
}

#[component]
fn ReviewEditor(phase: Memo<Phase>) -> impl IntoView {
    let ws = use_workspace();
    let saved = ws.select(|r| r.review.clone());
    let findings = RwSignal::new(String::new());
    let root_cause = RwSignal::new(String::new());
    let what_worked = RwSignal::new(String::new());
    let what_did_not = RwSignal::new(String::new());
    let procedure_updates = RwSignal::new(String::new());
    let rows = RwSignal::new(Vec::<ActionRow>::new());
    Effect::new(move || {
        let form = saved.with(form_of);
        findings.set(form.findings);
        root_cause.set(form.root_cause);
        what_worked.set(form.what_worked);
        what_did_not.set(form.what_did_not);
        procedure_updates.set(form.procedure_updates);
        rows.set(form.follow_up_actions.into_iter().map(ActionRow::new).collect());
    });
    let errors = FormErrors::with_summary_id("review-errors");
    let busy = RwSignal::new(false);

    let typed = move || ReviewForm {
        findings: findings.get_untracked(),
        root_cause: root_cause.get_untracked(),
        what_worked: what_worked.get_untracked(),
        what_did_not: what_did_not.get_untracked(),
        follow_up_actions: rows.get_untracked().iter().map(ActionRow::form).collect(),
        procedure_updates: procedure_updates.get_untracked(),
    };
    let save = move |then: Box<dyn FnOnce()>| {
        let form = typed();
        if let Err(problems) = form.parse() {
            return errors.show_fields(problems.0);
        }
        ws.run(IncidentCommand::SaveReview { form }, Errors::Form(errors), busy, then);
    };
    let submit = move || {
        save(Box::new(|| {}));
    };
    // Completing takes what is on screen: it is saved first when it differs from the saved review.
    let complete = move |_| {
        let finish = move || ws.run(IncidentCommand::CompleteReview, Errors::Form(errors), busy, || {});
        if saved.with_untracked(form_of) == typed() {
            finish();
        } else {
            save(Box::new(finish));
        }
    };
    let add_row = move |_| {
        rows.update(|rows| rows.push(ActionRow::new(FollowUpActionForm::default())));
        let id = format!("review_action_{}", rows.read_untracked().len() - 1);
        request_animation_frame(move || dom::focus_by_id(&id));
    };

    let row_views = move || {
        rows.get()
            .into_iter()
            .enumerate()
            .map(|(index, row)| {
                let error = errors.for_field(format!("follow_up_actions.{index}"));
                let remove = move |_| {
                    rows.update(|rows| {
                        rows.remove(index);
                    })
                };
                view! {
                    <fieldset class=move || {
                        if error.read().is_some() { "action-row field--error" } else { "action-row" }
                    }>
                        <legend>{format!("Follow-up action {}", index + 1)}</legend>
                        <InlineError id=format!("review_action_{index}-error") error />
                        <RowInput id=format!("review_action_{index}") label="Action" value=row.action error />
                        <RowInput id=format!("review_owner_{index}") label="Owner" value=row.owner />
                        <RowInput
                            id=format!("review_due_{index}")
                            label="Due date"
                            value=row.due_on
                            input_type="date"
                        />
                        <button
                            type="button"
                            id=format!("remove-review-action-{index}")
                            class="button button--secondary button--small"
                            on:click=remove
                        >
                            {format!("Remove action {}", index + 1)}
                        </button>
                    </fieldset>
                }
            })
            .collect_view()
    };

    view! {
        <CheckedForm errors targets=TARGETS heading=3 submit>
            <TextArea id="review_findings" label="Findings" value=findings error=errors.for_field("findings") />
            <TextArea id="review_root_cause" label="Root cause" value=root_cause error=errors.for_field("root_cause") />
            <TextArea
                id="review_what_worked"
                label="What worked"
                value=what_worked
                error=errors.for_field("what_worked")
                rows=4
            />
            <TextArea
                id="review_what_did_not"
                label="What did not work"
                value=what_did_not
                error=errors.for_field("what_did_not")
                rows=4
            />
            <h3>"Follow-up actions"</h3>
            <p class="hint">"Each with an owner and a due date."</p>
            {row_views}
            <p>
                <button type="button" id="add-review-action" class="button button--secondary" on:click=add_row>
                    "Add action"
                </button>
            </p>
            <TextArea
                id="review_procedure_updates"
                label="Procedure updates"
                hint="What changes in the incident procedures. Write \"none needed\" if so."
                value=procedure_updates
                error=errors.for_field("procedure_updates")
                rows=4
            />
            <div class="button-group">
                <SubmitButton id="save-review" busy secondary=true>
                    "Save draft"
                </SubmitButton>
                <button type="button" id="complete-review" class="button" disabled=busy on:click=complete>
                    "Complete review"
                </button>
            </div>
            <Show when=move || phase.get() != Phase::LessonsLearned>
                <p class="hint">"The review can be drafted any time and completed in the lessons-learned phase."</p>
            </Show>
        </CheckedForm>
    }
}

#[component]
fn CompletedReview(review: Review) -> impl IntoView {
    let actions = review
        .draft
        .follow_up_actions
        .into_iter()
        .map(|a| {
            view! {
                <tr>
                    <td>{a.action}</td>
                    <td>{a.owner}</td>
                    <td>{a.due_on.format("%Y-%m-%d").to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    let completed = review.completed_at.map(|at| {
        view! {
            <p id="review-completed">
                "Completed " <LocalTime at /> " by " {review.completed_by.clone().unwrap_or_default()} "."
            </p>
        }
    });
    view! {
        {completed}
        <dl class="details details--stacked">
            <dt>"Findings"</dt>
            <dd class="text-block">{review.draft.findings}</dd>
            <dt>"Root cause"</dt>
            <dd class="text-block">{review.draft.root_cause}</dd>
            <dt>"What worked"</dt>
            <dd class="text-block">{review.draft.what_worked}</dd>
            <dt>"What did not work"</dt>
            <dd class="text-block">{review.draft.what_did_not}</dd>
            <dt>"Procedure updates"</dt>
            <dd class="text-block">{review.draft.procedure_updates}</dd>
        </dl>
        <h3>"Follow-up actions"</h3>
        <DataTable label="Follow-up actions" columns=["Action", "Owner", "Due"]>{actions}</DataTable>
    }
}

#[component]
pub fn ReviewSection() -> impl IntoView {
    let ws = use_workspace();
    let phase = ws.select(|r| r.phase);
    let completed = ws.select(|r| r.review.is_complete());
    view! {
        <Section id="review" heading_id="review-heading" title="Post-incident review">
            {move || {
                if completed.get() {
                    let review = ws.detail.with_untracked(|d| d.record.review.clone());
                    view! { <CompletedReview review /> }.into_any()
                } else {
                    view! { <ReviewEditor phase /> }.into_any()
                }
            }}
        </Section>
    }
}
