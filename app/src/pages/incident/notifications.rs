//! Telling people: the stakeholder list, status updates to it (previewed before they go), and a
//! preview of the internal notification IT and management got when the incident opened.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::notifications::{EmailPreview, NotificationKind, StatusUpdateForm};
use shared::record::IncidentCommand;

use super::workspace::{Errors, use_workspace};
use crate::api;
use crate::components::{FormErrors, Section, SubmitButton, TextArea, TitledForm};

const STAKEHOLDER_TARGETS: &[(&str, &str)] = &[("stakeholders", "stakeholders")];
const UPDATE_TARGETS: &[(&str, &str)] = &[("message", "update_message")];

#[component]
pub fn NotificationsSection() -> impl IntoView {
    view! {
        <Section id="notifications" heading_id="notifications-heading" title="Notifications">
            <StakeholdersForm />
            <StatusUpdateForm />
        </Section>
    }
}

/// One address per line; the server checks each and says which is wrong.
#[component]
fn StakeholdersForm() -> impl IntoView {
    let ws = use_workspace();
    let saved = ws.select(|record| record.stakeholders.clone());
    let addresses = RwSignal::new(saved.get_untracked().join("\n"));
    let errors = FormErrors::with_summary_id("stakeholder-errors");
    let busy = RwSignal::new(false);
    let submit = move || {
        let emails = addresses.get_untracked().lines().map(str::to_owned).collect();
        let on_done = move || addresses.set(saved.get_untracked().join("\n"));
        ws.run(IncidentCommand::SetStakeholders { emails }, Errors::Form(errors), busy, on_done);
    };
    view! {
        <TitledForm title="Stakeholders" errors targets=STAKEHOLDER_TARGETS submit>
            <TextArea
                id="stakeholders"
                label="Who gets status updates"
                hint="One email address per line."
                value=addresses
                error=errors.for_field("stakeholders")
                rows=3
            />
            <SubmitButton id="save-stakeholders" busy secondary=true>
                "Save stakeholders"
            </SubmitButton>
        </TitledForm>
    }
}

#[component]
fn StatusUpdateForm() -> impl IntoView {
    let ws = use_workspace();
    let stakeholders = ws.select(|record| record.stakeholders.len());
    let message = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("update-errors");
    let busy = RwSignal::new(false);
    // With no stakeholders there is nobody to send to: the button stays disabled, as while busy.
    let unavailable = Signal::derive(move || busy.get() || stakeholders.get() == 0);
    let preview: RwSignal<Option<Result<EmailPreview, String>>> = RwSignal::new(None);
    let show_preview = move |kind: NotificationKind| {
        let form = StatusUpdateForm { message: message.get_untracked() };
        spawn_local(async move {
            let answer = api::preview_notification(&ws.reference, kind, &form).await;
            preview.set(Some(answer.map_err(|error| error.to_string())));
        });
    };
    let preview_button = move |id: &'static str, kind: NotificationKind, label: &'static str| {
        view! {
            <button type="button" id=id class="button button--secondary" on:click=move |_| show_preview(kind)>
                {label}
            </button>
        }
    };
    let submit = move || {
        if message.get_untracked().trim().is_empty() {
            return errors.show_field("message", "Enter the update");
        }
        ws.post_update(message.get_untracked(), errors, busy, move || {
            message.set(String::new());
            preview.set(None);
        });
    };
    view! {
        <TitledForm title="Status update" errors targets=UPDATE_TARGETS submit>
            <TextArea
                id="update_message"
                label="Update"
                hint="Markdown. Each stakeholder gets it by email, and it goes on the timeline."
                value=message
                error=errors.for_field("message")
                rows=5
            />
            <div class="button-row">
                {preview_button("preview-update", NotificationKind::Stakeholder, "Preview")}
                <SubmitButton id="send-update" busy=unavailable>
                    {move || match stakeholders.get() {
                        0 => "Add stakeholders to send updates".to_owned(),
                        1 => "Send to 1 stakeholder".to_owned(),
                        n => format!("Send to {n} stakeholders"),
                    }}
                </SubmitButton>
                {preview_button("preview-internal", NotificationKind::Internal, "Preview the internal notification")}
            </div>
        </TitledForm>
        {move || preview.get().map(|answer| match answer {
            Ok(email) => view! { <EmailPreviewView email /> }.into_any(),
            Err(error) => view! { <p class="notice notice--error" role="alert">{error}</p> }.into_any(),
        })}
    }
}

/// The text part as a mail client would show it: nothing in it becomes markup here.
#[component]
pub(super) fn EmailPreviewView(email: EmailPreview) -> impl IntoView {
    let to = if email.to.is_empty() { "no one yet".to_owned() } else { email.to.join(", ") };
    view! {
        <div id="email-preview" class="email-preview" role="region" aria-label="Email preview">
            <p><strong>"To: "</strong>{to}</p>
            <p><strong>"Subject: "</strong>{email.subject}</p>
            <pre>{email.text}</pre>
        </div>
    }
}
