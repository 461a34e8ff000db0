use leptos::prelude::*;
use shared::api::OutboxEntry;

use crate::api::{self, outbox_email_url};
use crate::components::{DataTable, LocalTime, PageHeading, PagedList};

#[component]
fn OutboxTable(emails: Vec<OutboxEntry>) -> impl IntoView {
    let rows = emails
        .into_iter()
        .map(|email| {
            view! {
                <tr>
                    <td>{email.to.join(", ")}</td>
                    <td>{email.subject}</td>
                    <td><LocalTime at=email.written_at /></td>
                    <td>
                        <a href=outbox_email_url(&email.id) download=email.file>"Download .eml"</a>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! { <DataTable label="Outbox" columns=["To", "Subject", "Written", "Email file"]>{rows}</DataTable> }
}

/// In local mode emails are written to files instead of being sent; this lists them.
#[component]
pub fn OutboxPage() -> impl IntoView {
    let fetch = |cursor: Option<String>| async move { api::list_outbox(cursor.as_deref()).await };
    view! {
        <PageHeading title="Outbox" lead="Local mode writes emails to files instead of sending them. Newest first." />
        <PagedList fetch empty="No emails yet." let:emails>
            <OutboxTable emails />
        </PagedList>
    }
}
