//! The reporter's view of their own report, reached through the private link they were given.
//! The token travels in the URL fragment, so it never reaches a server log; it goes to the API
//! as a bearer token.

use leptos::html::Input;
use leptos::prelude::*;
use shared::api::{FollowUpForm, FollowUpView};
use shared::report::parse_follow_up_message;
use shared::validation::ValidationErrors;

use crate::components::{
    AttachmentList, CheckedForm, FileField, FollowUpList, FormErrors, Loaded, LocalTime, Section, SubmitButton,
    SuccessNotice, TextArea, send,
};
use crate::{api, dom, files};

const FIELD_TARGETS: &[(&str, &str)] = &[("message", "follow_up_message"), ("attachments", "follow_up_attachments")];
const ADDED_NOTICE_ID: &str = "follow-up-added";

#[component]
fn InvalidLink() -> impl IntoView {
    view! {
        <h1>"This link is not valid or has expired"</h1>
        <p>
            "Check that you copied the whole link from your receipt. If you still cannot get in, "
            "send a new report and mention your earlier reference."
        </p>
        <p><a href="/report">"Report a security problem"</a></p>
    }
}

#[component]
fn ReportOverview(report: FollowUpView) -> impl IntoView {
    view! {
        <h1>"Your report " <span class="nowrap">{report.reference.to_string()}</span></h1>
        <dl class="details">
            <dt>"Status"</dt>
            <dd id="follow-up-status">{report.status_label}</dd>
            <dt>"Received"</dt>
            <dd><LocalTime at=report.received_at /></dd>
            {report.dismissal_reason.map(|reason| {
                view! {
                    <dt>"Why it was closed"</dt>
                    <dd id="dismissal-reason" class="text-block">{reason}</dd>
                }
            })}
        </dl>
        <h2>"What you told us"</h2>
        <p class="text-block">{report.description}</p>
        <h2>"Files you attached"</h2>
        <AttachmentList attachments=report.attachments />
        <h2>"Information you added"</h2>
        <FollowUpList follow_ups=report.follow_ups />
    }
}

#[component]
fn AddInformationForm(token: String, #[prop(into)] on_added: Callback<()>) -> impl IntoView {
    let message = RwSignal::new(String::new());
    let attachments = NodeRef::<Input>::new();
    let errors = FormErrors::default();
    let busy = RwSignal::new(false);
    let progress = RwSignal::new(api::Progress::Sending);
    let added = RwSignal::new(false);

    let submit = move || {
        added.set(false);
        let chosen = files::selected(attachments);
        let mut problems = ValidationErrors::default();
        if let Err(message) = parse_follow_up_message(&message.get_untracked(), !chosen.is_empty()) {
            problems.push("message", message);
        }
        if let Some(message) = files::problem(&chosen) {
            problems.push("attachments", message);
        }
        if !errors.check(problems.0) {
            return;
        }
        progress.set(api::Progress::Sending);
        let token = token.clone();
        // `uploads` is filled by `api::submit_follow_up` when files go straight to storage.
        let form = FollowUpForm { message: message.get_untracked(), uploads: Vec::new() };
        let request = async move { api::submit_follow_up(&token, form, &chosen, move |now| progress.set(now)).await };
        send(busy, request, move |result| match result {
            Ok(_) => {
                message.set(String::new());
                files::clear(attachments);
                added.set(true);
                dom::focus_after_render(ADDED_NOTICE_ID);
                on_added.run(());
            }
            Err(error) => errors.show_api_error(&error, "attachments"),
        });
    };

    view! {
        <Section class="add-information" heading_id="add-information-heading" title="Add information">
            <SuccessNotice id=ADDED_NOTICE_ID shown=added>
                "Thank you: your information was added to the report."
            </SuccessNotice>
            <CheckedForm errors targets=FIELD_TARGETS submit>
                <TextArea
                    id="follow_up_message"
                    label="What else should we know?"
                    hint="Add a message, files, or both."
                    value=message
                    error=errors.for_field("message")
                />
                <FileField
                    id="follow_up_attachments"
                    label="Attach files (optional)"
                    input=attachments
                    error=errors.for_field("attachments")
                />
                <SubmitButton
                    id="submit-follow-up"
                    busy
                    busy_label=Signal::derive(move || progress.get().to_string())
                >
                    "Send information"
                </SubmitButton>
            </CheckedForm>
        </Section>
    }
}

/// The report behind one token; created afresh when the token changes.
#[component]
fn FollowUpReport(token: String) -> impl IntoView {
    let report = LocalResource::new({
        let token = token.clone();
        move || {
            let token = token.clone();
            async move { api::follow_up_view(&token).await }
        }
    });
    let loaded = move || matches!(*report.read(), Some(Ok(_)));
    view! {
        <Loaded data=report not_found=InvalidLink let:report>
            <ReportOverview report />
        </Loaded>
        // Outside the transition, so a reload after sending keeps the form and its thank-you note.
        <Show when=loaded>
            <AddInformationForm token=token.clone() on_added=move || report.refetch() />
        </Show>
    }
}

#[component]
pub fn FollowUpPage() -> impl IntoView {
    dom::set_title("Your report");
    let token = RwSignal::new(location_hash().unwrap_or_default());
    // Pasting another follow-up link into this tab changes only the fragment, which reloads nothing.
    let listener =
        window_event_listener(leptos::ev::hashchange, move |_| token.set(location_hash().unwrap_or_default()));
    on_cleanup(move || listener.remove());
    move || match token.get() {
        token if token.is_empty() => view! { <InvalidLink /> }.into_any(),
        token => view! { <FollowUpReport token /> }.into_any(),
    }
}
