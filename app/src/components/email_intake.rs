use leptos::prelude::*;
use shared::inbound::{AuthVerdict, EmailIntake};

/// How a report or follow-up came by email: the sender's authentication and the files not taken.
/// Everything shown is text; the message's HTML never reaches the page.
#[component]
pub fn EmailIntakeDetails(intake: EmailIntake) -> impl IntoView {
    let verdict = |name: &'static str, verdict: AuthVerdict| {
        view! {
            <dt>{name}</dt>
            <dd class=format!("verdict verdict--{}", verdict.label().replace(' ', "-"))>{verdict.label()}</dd>
        }
    };
    let auth = intake.authentication;
    let forged = (auth.dmarc == AuthVerdict::Fail).then(|| {
        view! {
            <p class="notice notice--warning">
                "DMARC failed: the sender's address may be forged. No receipt was sent to it."
            </p>
        }
    });
    let refused = (!intake.refused_files.is_empty()).then(|| {
        let items = intake
            .refused_files
            .into_iter()
            .map(|file| view! { <li><span class="file-name">{file.file_name}</span> ": " {file.reason}</li> })
            .collect_view();
        view! {
            <p>"Files not taken:"</p>
            <ul class="refused-files">{items}</ul>
        }
    });
    view! {
        <section class="email-intake" aria-label="Sent by email">
            <p class="muted small">
                "Sent by email from " {intake.sender.unwrap_or_else(|| "an unknown sender".to_owned())}
                ", subject “" {intake.subject} "”"
            </p>
            {forged}
            <dl class="details details--compact">
                {verdict("SPF", auth.spf)}
                {verdict("DKIM", auth.dkim)}
                {verdict("DMARC", auth.dmarc)}
            </dl>
            {refused}
        </section>
    }
}
