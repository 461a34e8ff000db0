//! Customer breach notices: compose one with every section the law asks for, choose its
//! recipients, preview it, ask a second member to approve it, and follow its sending live.

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::deadlines::obligation::Obligation;
use shared::notices::{DeliveryState, Notice, NoticeForm, NoticeProgress, NoticeStatus, RecipientsForm};
use shared::record::IncidentCommand;
use shared::workflow::investigation::LineError;

use super::inputs::{CheckboxGroup, Choice, CommandButton};
use super::notifications::EmailPreviewView;
use super::workspace::{Errors, use_workspace};
use crate::api;
use crate::components::{ErrorSummary, FormErrors, Section, SubmitButton, TextArea, TextField, TitledForm, on_submit};

const NOTICE_TARGETS: &[(&str, &str)] = &[
    ("subject", "notice_subject"),
    ("nature", "notice_nature"),
    ("consequences", "notice_consequences"),
    ("measures", "notice_measures"),
    ("advice", "notice_advice"),
    ("controller_information", "notice_controller_information"),
    ("contact", "notice_contact"),
    ("serves", "notice_serves"),
];
const RECIPIENT_TARGETS: &[(&str, &str)] = &[("recipients", "notice_csv"), ("jurisdictions", "notice_jurisdictions")];
/// How often a notice being sent shows its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

const NOTICES_HINT: &str = "A notice tells affected customers what happened, what it means for them and what to do. \
    A second team member approves it before it goes; each customer gets one message.";

#[component]
pub fn NoticesSection() -> impl IntoView {
    let ws = use_workspace();
    let notices = ws.select(|record| record.notices.clone());
    // Kept here: a card is drawn anew whenever its notice changes.
    let refused: RwSignal<BTreeMap<u32, Vec<LineError>>> = RwSignal::new(BTreeMap::new());
    view! {
        <Section id="customer-notices" heading_id="customer-notices-heading" title="Customer notices" hint=NOTICES_HINT>
            <For each=move || notices.get() key=|notice| format!("{notice:?}") let(notice)>
                <NoticeCard notice refused />
            </For>
            <NoticeEditor notice=None />
        </Section>
    }
}

fn status_label(notice: &Notice) -> String {
    match &notice.status {
        NoticeStatus::Draft => "Draft".to_owned(),
        NoticeStatus::AwaitingApproval { requested_by, .. } => {
            format!("Waiting for approval (asked by {requested_by})")
        }
        NoticeStatus::Approved { by, .. } if notice.finished.is_some() => format!("Sent (approved by {by})"),
        NoticeStatus::Approved { by, .. } => format!("Sending (approved by {by})"),
        NoticeStatus::Withdrawn { by, .. } => format!("Withdrawn by {by}"),
    }
}

#[component]
fn NoticeCard(notice: Notice, refused: RwSignal<BTreeMap<u32, Vec<LineError>>>) -> impl IntoView {
    let ws = use_workspace();
    let id = notice.id;
    let editable = matches!(notice.status, NoticeStatus::Draft | NoticeStatus::AwaitingApproval { .. });
    let sending = matches!(notice.status, NoticeStatus::Approved { .. });
    let recipients = notice.recipients.as_ref().map_or_else(
        || "No recipients chosen yet".to_owned(),
        |list| {
            let mut text = format!("{} recipient(s) {}", list.count, list.source_summary());
            if let Some(left_out) = list.left_out_summary() {
                text.push_str(&format!(
                    ". {left_out}: until they are told another way, the duties this notice serves stay open"
                ));
            }
            text
        },
    );
    let busy = RwSignal::new(false);
    let preview = RwSignal::new(None);
    let show_preview = move |_| {
        spawn_local(async move {
            preview.set(Some(api::notice_preview(&ws.reference, id).await.map_err(|e| e.to_string())));
        });
    };
    let can_ask = matches!(notice.status, NoticeStatus::Draft) && notice.recipients.is_some();
    let waiting = matches!(notice.status, NoticeStatus::AwaitingApproval { .. });
    view! {
        <article class="notice-card" id=format!("notice-{id}") aria-labelledby=format!("notice-{id}-heading")>
            <h3 id=format!("notice-{id}-heading")>{format!("Notice {id}: {}", notice.content.subject)}</h3>
            <p class="notice-status" id=format!("notice-{id}-status")>{status_label(&notice)}</p>
            <p>{recipients}</p>
            <div class="button-row">
                <button type="button" id=format!("notice-{id}-preview") class="button button--secondary" on:click=show_preview>
                    "Preview"
                </button>
                {can_ask.then(|| view! {
                    <CommandButton id=format!("notice-{id}-ask") class="button" busy
                        command=move || IncidentCommand::RequestNoticeApproval { notice_id: id }>
                        "Ask for approval"
                    </CommandButton>
                })}
                {waiting.then(|| view! {
                    <CommandButton id=format!("notice-{id}-approve") class="button" busy
                        command=move || IncidentCommand::ApproveNotice { notice_id: id }>
                        "Approve and send"
                    </CommandButton>
                })}
                {editable.then(|| view! {
                    <CommandButton id=format!("notice-{id}-withdraw") class="button button--secondary" busy
                        command=move || IncidentCommand::WithdrawNotice { notice_id: id }>
                        "Withdraw"
                    </CommandButton>
                })}
            </div>
            {move || preview.get().map(|answer| match answer {
                Ok(email) => view! { <EmailPreviewView email /> }.into_any(),
                Err(error) => view! { <p class="notice notice--error" role="alert">{error}</p> }.into_any(),
            })}
            {editable.then(|| view! {
                <RecipientsChooser notice_id=id refused />
                <details>
                    <summary id=format!("notice-{id}-edit")>"Edit this notice"</summary>
                    <NoticeEditor notice=Some(notice.clone()) />
                </details>
            })}
            {sending.then(|| view! { <Progress notice_id=id /> })}
        </article>
    }
}

/// The recipients: the register's people in scope of the duties the notice serves (within the
/// jurisdictions typed, if any), or a CSV file pasted here.
#[component]
fn RecipientsChooser(notice_id: u32, refused: RwSignal<BTreeMap<u32, Vec<LineError>>>) -> impl IntoView {
    let ws = use_workspace();
    let csv = RwSignal::new(String::new());
    let places = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id(format!("notice-{notice_id}-recipient-errors"));
    let busy = RwSignal::new(false);
    let choose = move |form: RecipientsForm| ws.choose_recipients(notice_id, form, errors, busy, refused);
    let left_out = move || refused.with(|all| all.get(&notice_id).cloned().unwrap_or_default());
    let submit = move || {
        choose(RecipientsForm::Csv { csv: csv.get_untracked() });
    };
    view! {
        <h4>"Recipients"</h4>
        <ErrorSummary errors targets=RECIPIENT_TARGETS heading=5 />
        <form novalidate on:submit=on_submit(move || {
            let jurisdictions =
                places.get_untracked().split([',', ' ']).filter(|p| !p.is_empty()).map(str::to_owned).collect();
            choose(RecipientsForm::Register { jurisdictions });
        })>
            <TextField
                id="notice_jurisdictions"
                label="Only people in these jurisdictions (optional)"
                hint="Such as DE for a notice in German, or US-CA, US-TX. Empty: everyone the notice serves."
                value=places
                error=errors.for_field("jurisdictions")
            />
            <SubmitButton id=format!("notice-{notice_id}-from-register") busy secondary=true>
                "Take recipients from the register"
            </SubmitButton>
        </form>
        <form novalidate on:submit=on_submit(submit)>
            <TextArea
                id="notice_csv"
                label="Or paste a CSV file"
                hint="A header naming email, and any of account, name and jurisdiction."
                value=csv
                error=errors.for_field("recipients")
                rows=4
            />
            <SubmitButton id=format!("notice-{notice_id}-import") busy secondary=true>
                "Import recipients"
            </SubmitButton>
        </form>
        <Show when=move || !left_out().is_empty()>
            <p>"Left out:"</p>
            <ul id=format!("notice-{notice_id}-refused")>
                {move || left_out().into_iter().map(|line| view! { <li>{line.to_string()}</li> }).collect_view()}
            </ul>
        </Show>
    }
}

/// The duties to tell individuals that a notice can serve: the open ones, and any it already serves.
fn duty_choices(obligations: &[Obligation], serves: &[String]) -> Vec<(Choice, RwSignal<bool>)> {
    obligations
        .iter()
        .filter(|o| o.rule.tells_individuals() && (o.is_open() || serves.contains(&o.id)))
        .map(|o| {
            let choice =
                Choice::new(o.id.clone(), format!("{} ({})", o.rule.title, o.id)).with_hint(o.rule.citation.clone());
            (choice, RwSignal::new(serves.contains(&o.id)))
        })
        .collect()
}

/// A new notice (`notice` absent) or a draft's content.
#[component]
fn NoticeEditor(notice: Option<Notice>) -> impl IntoView {
    let ws = use_workspace();
    let notice_id = notice.as_ref().map(|n| n.id);
    let start = notice.map(|n| NoticeForm::clone(&n.content));
    let start = start.unwrap_or_default();
    let field = |text: String| RwSignal::new(text);
    let (subject, nature, contact) = (field(start.subject), field(start.nature), field(start.contact));
    let (consequences, measures, advice) = (field(start.consequences), field(start.measures), field(start.advice));
    let controller_information = field(start.controller_information);
    let duties = duty_choices(&ws.detail.with_untracked(|d| d.record.obligations.clone()), &start.serves);
    let suffix = notice_id.map_or_else(|| "new".to_owned(), |id| id.to_string());
    let errors = FormErrors::with_summary_id(format!("notice-{suffix}-errors"));
    let busy = RwSignal::new(false);
    let submit = {
        let duties = duties.clone();
        move || {
            let form = NoticeForm {
                subject: subject.get_untracked(),
                nature: nature.get_untracked(),
                contact: contact.get_untracked(),
                consequences: consequences.get_untracked(),
                measures: measures.get_untracked(),
                advice: advice.get_untracked(),
                controller_information: controller_information.get_untracked(),
                serves: duties
                    .iter()
                    .filter(|(_, on)| on.get_untracked())
                    .map(|(choice, _)| choice.value.clone())
                    .collect(),
            };
            if let Err(problems) = form.parse() {
                return errors.show_fields(problems.0);
            }
            let clear = move || {
                if notice_id.is_none() {
                    for text in [subject, nature, contact, consequences, measures, advice, controller_information] {
                        text.set(String::new());
                    }
                }
            };
            ws.run(IncidentCommand::DraftNotice { notice_id, form }, Errors::Form(errors), busy, clear);
        }
    };
    let heading = if notice_id.is_some() { "Edit the notice" } else { "Compose a notice" };
    let save_id = format!("notice-{suffix}-save");
    // The compose form keeps the plain ids; each draft's editor, on the same page, suffixes its own.
    let id_suffix = notice_id.map(|id| format!("_{id}")).unwrap_or_default();
    let id = {
        let id_suffix = id_suffix.clone();
        move |name: &str| format!("notice_{name}{id_suffix}")
    };
    view! {
        <TitledForm title=heading errors targets=NOTICE_TARGETS id_suffix submit>
            <TextField id=id("subject") label="Subject" value=subject error=errors.for_field("subject") />
            <TextArea id=id("nature") label="What happened" hint="In plain language: what, when, what data." value=nature error=errors.for_field("nature") rows=4 />
            <TextArea id=id("consequences") label="Likely consequences" value=consequences error=errors.for_field("consequences") rows=3 />
            <TextArea id=id("measures") label="Measures taken and proposed" hint="Including what limits the harm." value=measures error=errors.for_field("measures") rows=3 />
            <TextArea id=id("advice") label="What the customer should do" value=advice error=errors.for_field("advice") rows=3 />
            <TextArea id=id("controller_information") label="Information for controllers (optional)"
                hint="Only where customers are themselves controllers of data you process for them: categories and numbers of their data subjects and records, timing, a contact for their own GDPR duties. Left out of the notice when empty."
                value=controller_information error=errors.for_field("controller_information") rows=3 />
            <TextArea id=id("contact") label="Who to contact" hint="The data protection officer or another contact point." value=contact error=errors.for_field("contact") rows=2 />
            <Show
                when={let none = duties.is_empty(); move || !none}
                fallback=|| view! { <p class="hint">"No duty to tell individuals has arisen yet: this notice would be voluntary."</p> }
            >
                <CheckboxGroup
                    name=id("serves")
                    legend="Which duties does this notice serve?"
                    hint="A duty is met when the campaign has reached every recipient, none failed or suppressed. Choose none for a voluntary notice."
                    choices=duties.clone()
                    error=errors.for_field("serves")
                />
            </Show>
            <SubmitButton id=save_id busy>
                "Save the draft"
            </SubmitButton>
        </TitledForm>
    }
}

/// Counts by state, refreshed every few seconds until every delivery is settled.
#[component]
fn Progress(notice_id: u32) -> impl IntoView {
    let ws = use_workspace();
    let progress: RwSignal<Option<NoticeProgress>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move {
            if let Ok(answer) = api::notice_progress(&ws.reference, notice_id).await {
                progress.set(Some(answer));
            }
        });
    };
    load();
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if progress.with_untracked(|p| p.as_ref().is_none_or(|p| !p.counts.settled())) {
                load();
            } else if ws
                .detail
                .with_untracked(|d| d.record.notices.iter().any(|n| n.id == notice_id && n.finished.is_none()))
            {
                // Every delivery is settled: the server records the result and the duties it meets
                // on the incident, which the page then shows.
                ws.reload();
            }
        },
        PROGRESS_EVERY,
    ) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <div id=format!("notice-{notice_id}-progress") role="status" aria-live="polite">
            {move || progress.get().map(|p| {
                let c = p.counts;
                let done = c.sent + c.failed + c.suppressed;
                view! {
                    <p>
                        <progress max=c.total() value=done>{format!("{done} of {}", c.total())}</progress>
                        {format!(" {} sent, {} failed, {} suppressed, {} waiting", c.sent, c.failed, c.suppressed, c.pending + c.sending)}
                    </p>
                    <p>{format!("{} delivered, {} bounced, {} complained", c.delivered, c.bounced, c.complained)}</p>
                    <Show when={let empty = p.problems.is_empty(); move || !empty}>
                        <table>
                            <caption>"Deliveries that need a look"</caption>
                            <thead><tr><th scope="col">"Recipient"</th><th scope="col">"State"</th><th scope="col">"Mail service"</th></tr></thead>
                            <tbody>
                                {p.problems.clone().into_iter().map(|d| view! {
                                    <tr>
                                        <td>{d.email}</td>
                                        <td>{match d.state {
                                            DeliveryState::Failed { reason, .. } => format!("Failed: {reason}"),
                                            DeliveryState::Suppressed { reason } => format!("Not sent: {reason}"),
                                            DeliveryState::Sent { .. } => "Sent".to_owned(),
                                            _ => "Waiting".to_owned(),
                                        }}</td>
                                        <td>{d.outcome.label()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </Show>
                }
            })}
        </div>
    }
}
