//! The policy register: when the incident policy is next due for its yearly review, the reviews
//! held so far, and the form that records a review (which starts the next year's clock).

use leptos::prelude::*;
use shared::api::PolicyDetail;
use shared::deadlines::obligation::Obligation;
use shared::policy::{PolicyReview, PolicyReviewForm};

use crate::components::{
    Countdown, DataTable, FormErrors, FormSection, Loaded, LocalTime, LocalTimeField, Section, StandingBadge,
    SubmitButton, TextArea, send,
};
use crate::{api, clock, dom};

const REVIEW_TARGETS: &[(&str, &str)] =
    &[("reviewed_at", "review_at"), ("summary", "review_summary"), ("changes", "review_changes")];

/// The standing duties' open cycles, each counting down to its due time.
#[component]
fn DueDuties(duties: Vec<Obligation>) -> impl IntoView {
    let now = clock::ticking();
    let items = duties
        .into_iter()
        .map(|duty| {
            let standing = {
                let duty = duty.clone();
                Memo::new(move |_| duty.standing(now.get()))
            };
            let due = duty.due_at.map(|due| view! { <LocalTime at=due /> " " <Countdown due now /> });
            view! {
                <li class="obligation" data-obligation=duty.id.clone()>
                    <h3>{duty.rule.title.clone()} " " <span class="obligation-id">{duty.id.clone()}</span></h3>
                    <p class="obligation-standing"><StandingBadge standing /></p>
                    <dl class="details">
                        <dt>"Citation"</dt>
                        <dd>{duty.rule.citation.clone()}</dd>
                        <dt>"Due"</dt>
                        <dd id=format!("due-{}", duty.id)>{due}</dd>
                    </dl>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="obligations">{items}</ul> }
}

#[component]
fn ReviewHistory(reviews: Vec<PolicyReview>) -> impl IntoView {
    if reviews.is_empty() {
        return view! { <p class="empty">"No review recorded in Tocsin yet."</p> }.into_any();
    }
    let rows = reviews
        .into_iter()
        .rev()
        .map(|review| {
            view! {
                <tr>
                    <td><LocalTime at=review.reviewed_at /></td>
                    <td>{review.by}</td>
                    <td class="text-block">{review.summary}</td>
                    <td class="text-block">{review.changes.unwrap_or_else(|| "None".to_owned())}</td>
                    <td>{if review.communicated { "Yes" } else { "No" }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable
            label="Policy reviews"
            id="policy-reviews"
            columns=["Reviewed", "By", "Summary", "Changes", "Communicated"]
        >
            {rows}
        </DataTable>
    }
    .into_any()
}

#[component]
fn RecordReview(version: u64, on_recorded: Callback<PolicyDetail>) -> impl IntoView {
    let reviewed_at = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let changes = RwSignal::new(String::new());
    let communicated = RwSignal::new(false);
    let errors = FormErrors::with_summary_id("review-errors");
    let busy = RwSignal::new(false);

    let submit = move || {
        let Ok(reviewed_at) = clock::local_input_to_utc(&reviewed_at.get_untracked()) else {
            return errors.show_field("reviewed_at", "Enter a date and time, or leave it empty for now");
        };
        let form = PolicyReviewForm {
            reviewed_at,
            summary: summary.get_untracked(),
            changes: changes.get_untracked(),
            communicated: communicated.get_untracked(),
            expected_version: version,
        };
        send(busy, async move { api::review_policy(&form).await }, move |result| match result {
            Ok(detail) => {
                errors.clear();
                on_recorded.run(detail);
                dom::focus_after_render("policy-heading");
            }
            Err(error) => errors.show_api_error(&error, "summary"),
        });
    };

    view! {
        <FormSection
            class="panel"
            heading_id="review-heading"
            title="Record a review"
            intro="Recording a review meets this year's duty and starts the clock for the next one."
            errors
            targets=REVIEW_TARGETS
            submit
        >
            <LocalTimeField
                id="review_at"
                label="When was it reviewed? (optional)"
                value=reviewed_at
                error=errors.for_field("reviewed_at")
                empty_is_now=true
            />
            <TextArea
                id="review_summary"
                label="What was reviewed and found"
                hint="The sections read, who took part, what the last incidents taught."
                value=summary
                error=errors.for_field("summary")
                rows=4
            />
            <TextArea
                id="review_changes"
                label="Changes made (optional)"
                value=changes
                error=errors.for_field("changes")
                rows=3
            />
            <div class="radio checkbox">
                <input type="checkbox" id="review_communicated" bind:checked=communicated />
                <label for="review_communicated">"The updates were communicated to all stakeholders"</label>
            </div>
            <SubmitButton id="review-submit" busy busy_label="Recording…">
                "Record review"
            </SubmitButton>
        </FormSection>
    }
}

#[component]
fn Register(detail: PolicyDetail) -> impl IntoView {
    let current = RwSignal::new(detail);
    let on_recorded = Callback::new(move |detail: PolicyDetail| current.set(detail));
    move || {
        let PolicyDetail { register, version } = current.get();
        let open: Vec<Obligation> = register.obligations.iter().filter(|o| o.is_open()).cloned().collect();
        view! {
            <p>
                "Register " <strong>{register.reference.to_string()}</strong> ". Last reviewed "
                <LocalTime at=register.last_reviewed_at() /> "."
            </p>
            <Section heading_id="due-heading" title="Next review">
                <DueDuties duties=open />
            </Section>
            <Section heading_id="history-heading" title="Reviews">
                <ReviewHistory reviews=register.reviews />
            </Section>
            <RecordReview version on_recorded />
        }
    }
}

/// What the page says before the deadline checker's first run has made the register.
#[component]
fn NotSetUp() -> impl IntoView {
    view! {
        <p class="empty">
            "The register is set up by the deadline checker's first run, a minute or so after "
            "Tocsin starts. Reload this page shortly."
        </p>
    }
}

#[component]
pub fn PolicyPage() -> impl IntoView {
    dom::set_title("Policy");
    let detail = LocalResource::new(api::policy);
    view! {
        <h1 id="policy-heading" tabindex="-1">"Policy reviews"</h1>
        <p class="lead">
            "The incident policy is reviewed every year and after a major incident (policy §8). Reviews after an "
            "incident are that incident's obligations; the yearly one is kept here."
        </p>
        <Loaded data=detail not_found=NotSetUp let:detail>
            <Register detail />
        </Loaded>
    }
}
