use leptos::prelude::*;
use shared::api::ReportReceipt;

use crate::components::AttachmentList;

pub const HEADING_ID: &str = "report-received-heading";

/// How the reporter gets back to their report: by the emailed link, or, without an email, by the
/// link shown here once.
fn follow_up_notice(receipt: &ReportReceipt) -> impl IntoView + use<> {
    match (&receipt.follow_up_url, receipt.receipt_emailed) {
        (Some(url), _) => view! {
            <div class="notice notice--warning">
                <h2>"Save your private follow-up link"</h2>
                <p>
                    "You did not give an email address, so this link is the only way to add information "
                    "to your report or see its status. Anyone with the link can do so: keep it private, "
                    "and save it now — it will not be shown again."
                </p>
                <p class="follow-up-url">
                    // A full page load, so the follow-up page reads its token from a fresh address.
                    <a id="follow-up-link" href=url.clone() rel="external">{url.clone()}</a>
                </p>
            </div>
        }
        .into_any(),
        (None, true) => view! {
            <p>
                "We have emailed you a receipt with a private follow-up link. Use it to add "
                "information or check the status of your report; do not share it."
            </p>
        }
        .into_any(),
        (None, false) => view! {
            <p>"Quote this reference if you contact us about this report."</p>
        }
        .into_any(),
    }
}

#[component]
pub fn ReportReceived(receipt: ReportReceipt, #[prop(into)] on_report_another: Callback<()>) -> impl IntoView {
    let notice = follow_up_notice(&receipt);
    let files = (!receipt.attachments.is_empty()).then(|| {
        view! {
            <h2>"Files you attached"</h2>
            <p class="hint">"The SHA-256 fingerprints show later that the files were not changed."</p>
            <AttachmentList attachments=receipt.attachments />
        }
    });
    view! {
        <div class="panel panel--success">
            <h1 id=HEADING_ID tabindex="-1">"Report received"</h1>
            <p class="reference-line">
                "Your reference is " <strong id="report-reference">{receipt.reference.to_string()}</strong>
            </p>
        </div>
        <p>"Keep this reference: our incident response team uses it to find your report."</p>
        {notice}
        {files}
        <h2>"What happens next"</h2>
        <p>
            "The response team reviews every report. If it is part of a wider incident, it is "
            "investigated together with related reports."
        </p>
        <button type="button" class="button button--secondary" on:click=move |_| on_report_another.run(())>
            "Report something else"
        </button>
    }
}
