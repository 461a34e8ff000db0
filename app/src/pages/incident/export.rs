use leptos::prelude::*;
use shared::audit::Verification;

use super::workspace::use_workspace;
use crate::api;
use crate::components::{Section, send};

const HASH_PREFIX: usize = 12;

fn verdict(verification: &Verification) -> String {
    match (&verification.broken, &verification.head) {
        (Some(broken), _) => format!("Broken at entry {}: {}", broken.seq, broken.problem),
        (None, Some(head)) => format!(
            "Intact: {} entries, head {}",
            verification.entries_checked,
            head.hash.chars().take(HASH_PREFIX).collect::<String>()
        ),
        (None, None) => format!("Intact: {} entries", verification.entries_checked),
    }
}

/// The incident report as files, and a check that nobody changed the audit trail behind the app.
#[component]
pub fn ExportSection() -> impl IntoView {
    let ws = use_workspace();
    let result = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let file_name = move |extension: &str| format!("{}.{extension}", ws.reference);

    let verify = move |_| {
        result.set(None);
        send(busy, async move { api::verify_audit(&ws.reference).await }, move |answer| {
            result.set(Some(match answer {
                Ok(verification) => (verification.is_intact(), verdict(&verification)),
                Err(error) => (false, format!("The audit trail could not be checked: {error}")),
            }))
        });
    };

    view! {
        <Section id="export" heading_id="export-heading" title="Export and audit">
            <p>"The incident report with its full timeline, for counsel, insurers or regulators."</p>
            <ul class="export-links">
                <li>
                    <a id="export-markdown" href=api::export_url(&ws.reference, "md") download=file_name("md")>
                        "Download as Markdown"
                    </a>
                </li>
                <li>
                    <a id="export-html" href=api::export_url(&ws.reference, "html") download=file_name("html")>
                        "Download as HTML"
                    </a>
                </li>
            </ul>
            <p class="hint">"Every change is chained by SHA-256 hashes, so an edit outside Tocsin breaks the chain."</p>
            <button
                type="button"
                id="verify-audit"
                class="button button--secondary"
                disabled=busy
                on:click=verify
            >
                {move || if busy.get() { "Verifying…" } else { "Verify audit trail" }}
            </button>
            <p id="audit-result" role="status" class=move || match result.get() {
                Some((true, _)) => "audit-result audit-result--intact",
                Some((false, _)) => "audit-result audit-result--broken",
                None => "audit-result",
            }>
                {move || result.get().map(|(_, text)| text)}
            </p>
        </Section>
    }
}
