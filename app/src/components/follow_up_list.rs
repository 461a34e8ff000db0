use leptos::prelude::*;
use shared::api::FollowUp;

use super::{AttachmentList, EmailIntakeDetails, LocalTime};

/// What a reporter added after the report, oldest first.
#[component]
pub fn FollowUpList(follow_ups: Vec<FollowUp>, #[prop(optional)] downloadable: bool) -> impl IntoView {
    if follow_ups.is_empty() {
        return view! { <p class="muted">"Nothing added yet."</p> }.into_any();
    }
    let items = follow_ups
        .into_iter()
        .map(|follow_up| {
            view! {
                <li class="follow-up">
                    <p class="muted small">"Added " <LocalTime at=follow_up.received_at /></p>
                    {follow_up.message.map(|message| view! { <p class="text-block">{message}</p> })}
                    {follow_up.email.map(|intake| view! { <EmailIntakeDetails intake /> })}
                    {(!follow_up.attachments.is_empty())
                        .then(|| view! { <AttachmentList attachments=follow_up.attachments downloadable /> })}
                </li>
            }
        })
        .collect_view();
    view! { <ol class="follow-ups">{items}</ol> }.into_any()
}
