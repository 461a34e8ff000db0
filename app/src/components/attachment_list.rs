use leptos::prelude::*;
use shared::api::AttachmentSummary;

use crate::api::attachment_url;
use crate::format::human_size;

/// Attached files with their type, size and SHA-256. The team gets download links; reporters
/// see names only. Files are always downloaded, never shown inline, as they are untrusted.
#[component]
pub fn AttachmentList(attachments: Vec<AttachmentSummary>, #[prop(optional)] downloadable: bool) -> impl IntoView {
    if attachments.is_empty() {
        return view! { <p class="muted">"No files attached."</p> }.into_any();
    }
    let items = attachments
        .into_iter()
        .map(|file| {
            let name = if downloadable {
                // The suggested name for saving; the server's Content-Disposition says the same.
                let save_as = file.file_name.clone();
                view! {
                    <a class="attachment-link" href=attachment_url(&file.id) download=save_as>
                        {file.file_name}
                    </a>
                }
                .into_any()
            } else {
                view! { <span class="attachment-name">{file.file_name}</span> }.into_any()
            };
            view! {
                <li>
                    {name}
                    <span class="attachment-meta">
                        {format!(" — {}, {}", file.kind.label(), human_size(file.size_bytes))}
                    </span>
                    <span class="sha256">"SHA-256: " <code>{file.sha256}</code></span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="attachments">{items}</ul> }.into_any()
}
