use leptos::prelude::*;
use shared::inbound::{InboundMessage, InboundOutcome};

use crate::api;
use crate::components::{DataTable, LocalTime, PageHeading, PagedList, one_page};

fn outcome(message: &InboundMessage) -> AnyView {
    match &message.outcome {
        InboundOutcome::Report { reference } => {
            view! { "New report " <a href=format!("/dashboard/reports/{reference}")>{reference.to_string()}</a> }
                .into_any()
        }
        InboundOutcome::FollowUp { reference } => {
            view! { "Added to " <a href=format!("/dashboard/reports/{reference}")>{reference.to_string()}</a> }
                .into_any()
        }
        InboundOutcome::Rejected { reason } => view! { <strong>"Refused: "</strong> {reason.clone()} }.into_any(),
    }
}

#[component]
fn InboundTable(messages: Vec<InboundMessage>) -> impl IntoView {
    let rows = messages
        .into_iter()
        .map(|message| {
            let kept = message.kept_at.clone().unwrap_or_else(|| "not kept".to_owned());
            view! {
                <tr>
                    <td><LocalTime at=message.received_at /></td>
                    <td>{message.sender.clone().unwrap_or_else(|| "unknown".to_owned())}</td>
                    <td>{message.subject.clone()}</td>
                    <td>{outcome(&message)}</td>
                    <td class="small muted">{kept}</td>
                </tr>
            }
        })
        .collect_view();
    let columns = ["Received", "From", "Subject", "Became", "Message kept at"];
    view! { <DataTable label="Inbound email" columns>{rows}</DataTable> }
}

/// Every message sent to the security address, newest first: a refused one stays visible here
/// with its reason, and its raw message is kept.
#[component]
pub fn InboundPage() -> impl IntoView {
    let fetch = |_: Option<String>| async { api::inbound_messages().await.map(one_page) };
    view! {
        <PageHeading
            title="Inbound email"
            lead="Messages sent to the security address, newest first, and what each became."
        />
        <PagedList fetch empty="No email has come in yet." let:messages>
            <InboundTable messages />
        </PagedList>
    }
}
