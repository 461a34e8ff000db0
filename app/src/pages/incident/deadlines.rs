//! The deadlines: the notices and filings the rules require of this incident, each counting down
//! to its due time until it is met or judged not required, and the clock times that start them,
//! set by hand when the record does not know them or knows them wrong.

use chrono::{DateTime, Utc};
use leptos::html::Input;
use leptos::prelude::*;
use shared::deadlines::obligation::{Evidence, EvidenceKind, Obligation, ObligationStatus};
use shared::deadlines::rules::{Audience, Rule};
use shared::deadlines::timing::Anchor;
use shared::notices::{Notice, NoticeStatus};
use shared::people::group_digits;
use shared::record::IncidentCommand;
use shared::record::effects::coverage;
use shared::reference::Reference;

use super::filing::FilingPanel;
use super::inputs::{Choice, ObligationAction, SelectField, id_part};
use super::people::PeopleLeft;
use super::workspace::{Errors, FILE_FIELD, use_workspace};
use crate::components::{
    CheckedForm, Countdown, DataTable, ErrorSummary, FileField, FormErrors, LocalTime, LocalTimeField, LocalTimeOr,
    Section, StandingBadge, SubmitButton, TextArea, TextField, standing_name,
};
use crate::format::human_size;
use crate::{api, clock, dom, files};

const ANCHOR_TARGETS: &[(&str, &str)] =
    &[("anchor", "anchor_select"), ("at", "anchor_at"), ("reason", "anchor_reason")];
/// The ids of an obligation's fields, each followed by `_` and the obligation's id.
const OBLIGATION_TARGETS: &[(&str, &str)] = &[
    ("evidence_kind", "meet_evidence_kind"),
    ("evidence", "meet_evidence"),
    (FILE_FIELD, "meet_file"),
    ("met_at", "meet_met_at"),
    ("justification", "waive_justification"),
    ("reason", "reopen_reason"),
];

/// The id of an obligation's heading, which takes focus once it is met or judged not required.
fn heading_id(id: &str) -> String {
    format!("obligation-{}-title", id_part(id))
}

/// Who is told, and the authority filed with when there is one: "Regulator — the ICO".
fn who_is_told(rule: &Rule) -> String {
    let audiences: Vec<&str> = rule.notify.iter().map(|a| a.label()).collect();
    match &rule.recipient {
        Some(recipient) => format!("{} — {recipient}", audiences.join(", ")),
        None => audiences.join(", "),
    }
}

/// The evidence an obligation was met with: its text, or its file to download (never shown
/// inline, as it came from outside) with the file's size.
fn evidence_view(incident: &Reference, evidence: Evidence) -> AnyView {
    match evidence.file {
        Some(file) => {
            let save_as = evidence.value.clone();
            let meta = format!(" — {}, {}", file.kind.label(), human_size(file.size_bytes));
            view! {
                <a class="attachment-link" href=api::evidence_url(incident, &file.id) download=save_as>
                    {evidence.value}
                </a>
                <span class="attachment-meta">{meta}</span>
            }
            .into_any()
        }
        None => view! { <span class="text-block">{evidence.value}</span> }.into_any(),
    }
}

/// How an obligation ended: met (with its evidence), or not required (and why).
fn outcome(incident: &Reference, obligation: &Obligation) -> Option<AnyView> {
    match obligation.status.clone() {
        ObligationStatus::Open => None,
        ObligationStatus::Met { met_at, by, evidence } => {
            let timing = if obligation.met_on_time() == Some(false) { " (late)" } else { " (on time)" };
            let kind = evidence.kind.label();
            let evidence = evidence_view(incident, evidence);
            Some(
                view! {
                    <dt>"Met"</dt>
                    <dd>
                        <LocalTime at=met_at /> {timing} " by " {by} ". " {kind} ": " {evidence}
                    </dd>
                }
                .into_any(),
            )
        }
        ObligationStatus::NotRequired { reason, by, at } => {
            let who = match by {
                Some(by) => format!(" by {by}"),
                None => " as the facts changed".to_owned(),
            };
            Some(
                view! {
                    <dt>"Not required"</dt>
                    <dd>
                        "Judged " <LocalTime at /> {who} ": " <span class="text-block">{reason}</span>
                    </dd>
                }
                .into_any(),
            )
        }
    }
}

/// How far a notice that serves a duty got: its campaign's counts, or where it stands, and the
/// people its list left out.
fn notice_coverage(notice: &Notice) -> String {
    let progress = match (&notice.finished, &notice.status) {
        (Some(r), _) => format!("{} sent, {} failed, {} suppressed", r.sent, r.failed, r.suppressed),
        (None, NoticeStatus::Approved { .. }) => "sending".to_owned(),
        (None, NoticeStatus::Withdrawn { .. }) => "withdrawn".to_owned(),
        (None, _) => "not approved yet".to_owned(),
    };
    match notice.recipients.as_ref().and_then(|list| list.left_out_summary()) {
        None => format!("Notice {}: {progress}", notice.id),
        Some(left_out) => format!("Notice {}: {progress}; {left_out}", notice.id),
    }
}

/// Marking an open obligation met, with its evidence, or not required, with a justification.
#[component]
fn ObligationActions(id: String, title: String) -> impl IntoView {
    let ws = use_workspace();
    let part = id_part(&id);
    let errors = FormErrors::with_summary_id(format!("obligation-errors-{part}"));
    let busy = RwSignal::new(false);
    let kind = RwSignal::new(EvidenceKind::MessageId.as_str().to_owned());
    let evidence = RwSignal::new(String::new());
    let file = NodeRef::<Input>::new();
    let is_file = move || kind.with(|kind| kind == EvidenceKind::File.as_str());
    let met_at = RwSignal::new(String::new());
    let justification = RwSignal::new(String::new());

    // Once met or not required, the obligation shows its outcome instead of these forms, so the
    // person is taken back to its heading.
    let heading = heading_id(&id);
    let on_done = move || dom::focus_after_render(heading.clone());
    let meet = {
        let on_done = on_done.clone();
        let id = id.clone();
        move || {
            let Some(evidence_kind) = EvidenceKind::ALL.into_iter().find(|k| k.as_str() == kind.get_untracked()) else {
                return errors.show_field("evidence_kind", "Choose the kind of evidence");
            };
            let Ok(met_at) = clock::local_input_to_utc(&met_at.get_untracked()) else {
                return errors.show_field("met_at", "Enter a date and time, or leave it empty for now");
            };
            if evidence_kind == EvidenceKind::File {
                // The server takes a file only as the file itself, never as a name typed in.
                let chosen = files::selected(file);
                let Some(first) = chosen.first().cloned() else {
                    return errors.show_field(FILE_FIELD, "Choose the file to upload as the evidence");
                };
                if let Some(message) = files::problem(&chosen) {
                    return errors.show_field(FILE_FIELD, message);
                }
                return ws.meet_with_file(id.clone(), met_at, first, errors, busy, on_done.clone());
            }
            let command = IncidentCommand::MeetObligation {
                id: id.clone(),
                met_at,
                evidence_kind,
                evidence: evidence.get_untracked(),
            };
            ws.run(command, Errors::Form(errors), busy, on_done.clone());
        }
    };
    let waive = move || {
        let command = IncidentCommand::WaiveObligation { id: id.clone(), justification: justification.get_untracked() };
        ws.run(command, Errors::Form(errors), busy, on_done.clone());
    };

    // Each button names its obligation for screen readers, as the page lists several.
    let (meet_for, waive_for) = (format!(": {title}"), format!(": {title}"));
    let kinds = Choice::all(EvidenceKind::ALL, EvidenceKind::as_str, EvidenceKind::label);
    // A file is sent as the file itself, so its kind takes a file input instead of the text.
    let field_id = |name: &str| format!("{name}_{part}");
    let (evidence_id, file_id) = (field_id("meet_evidence"), field_id("meet_file"));
    let (kind_id, met_at_id, meet_id) =
        (field_id("meet_evidence_kind"), field_id("meet_met_at"), field_id("meet_submit"));
    let (justification_id, waive_id) = (field_id("waive_justification"), field_id("waive_submit"));
    view! {
        <ErrorSummary errors targets=OBLIGATION_TARGETS id_suffix=format!("_{part}") heading=5 />
        <div class="obligation-actions">
            <ObligationAction legend="Mark it met" submit=meet>
                <SelectField
                    id=kind_id
                    label="Kind of evidence"
                    choices=kinds
                    value=kind
                    error=errors.for_field("evidence_kind")
                />
                <Show
                    when=is_file
                    fallback=move || view! {
                        <TextField
                            id=evidence_id.clone()
                            label="Evidence"
                            hint="The message id, the regulator's reference, or a short note."
                            value=evidence
                            error=errors.for_field("evidence")
                        />
                    }
                >
                    <FileField
                        id=file_id.clone()
                        label="Evidence file"
                        input=file
                        error=errors.for_field(FILE_FIELD)
                        single=true
                    />
                </Show>
                <LocalTimeField
                    id=met_at_id
                    label="When was it met? (optional)"
                    value=met_at
                    error=errors.for_field("met_at")
                    empty_is_now=true
                />
                <SubmitButton id=meet_id busy>
                    "Mark met"
                    <span class="visually-hidden">{meet_for.clone()}</span>
                </SubmitButton>
            </ObligationAction>
            <ReasonedAction
                legend="Not required"
                submit=waive
                field_id=justification_id
                label="Why is it not required?"
                hint="At least 10 characters. Recorded in the audit trail."
                value=justification
                error=errors.for_field("justification")
                button_id=waive_id
                button="Mark not required"
                busy
                title=waive_for
            />
        </div>
    }
}

/// A judgement on an obligation that needs a written reason: the reason box and its button, which
/// names the obligation (`title`) for screen readers, as the page lists several.
#[component]
#[allow(clippy::too_many_arguments, reason = "a component's props")]
fn ReasonedAction(
    legend: &'static str,
    submit: impl Fn() + 'static,
    field_id: String,
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    button_id: String,
    button: &'static str,
    busy: RwSignal<bool>,
    title: String,
) -> impl IntoView {
    view! {
        <ObligationAction legend submit>
            <TextArea id=field_id label hint value error rows=3 />
            <SubmitButton id=button_id busy secondary=true>
                {button}
                <span class="visually-hidden">{title.clone()}</span>
            </SubmitButton>
        </ObligationAction>
    }
}

/// Opening a met or waived duty again, with the reason: people it covers were not all told.
#[component]
fn ReopenObligation(id: String, title: String) -> impl IntoView {
    let ws = use_workspace();
    let part = id_part(&id);
    let errors = FormErrors::with_summary_id(format!("reopen-errors-{part}"));
    let busy = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let heading = heading_id(&id);
    let submit = move || {
        let command = IncidentCommand::ReopenObligation { id: id.clone(), reason: reason.get_untracked() };
        let heading = heading.clone();
        ws.run(command, Errors::Form(errors), busy, move || dom::focus_after_render(heading));
    };
    let (reason_id, submit_id) = (format!("reopen_reason_{part}"), format!("reopen_submit_{part}"));
    view! {
        <details class="obligation-reopen">
            <summary>"Reopen this duty"</summary>
            <ErrorSummary errors targets=OBLIGATION_TARGETS id_suffix=format!("_{part}") heading=5 />
            <ReasonedAction
                legend="Reopen"
                submit
                field_id=reason_id
                label="Why is it open again?"
                hint="For example: some of the people it covers were not told. At least 10 characters, recorded in the audit trail."
                value=reason
                error=errors.for_field("reason")
                button_id=submit_id
                button="Reopen"
                busy
                title=format!(": {title}")
            />
        </details>
    }
}

#[component]
fn ObligationView(obligation: Obligation, now: Signal<DateTime<Utc>>) -> impl IntoView {
    let standing = {
        let obligation = obligation.clone();
        Memo::new(move |_| obligation.standing(now.get()))
    };
    let outcome = outcome(&use_workspace().reference, &obligation);
    let Obligation { id, rule, clock_started_at, due_at, warnings, status, .. } = obligation;
    let countdown = due_at.filter(|_| status == ObligationStatus::Open).map(|due| view! { " " <Countdown due now /> });
    let started = match clock_started_at {
        Some(at) => view! { <LocalTime at /> }.into_any(),
        None => view! { "not known yet" }.into_any(),
    };
    let served_by = rule.tells_individuals().then(|| {
        let duty = id.clone();
        let notices = use_workspace().select(move |r| {
            r.notices.iter().filter(|n| n.content.serves.contains(&duty)).map(notice_coverage).collect::<Vec<_>>()
        });
        let told_id = format!("told-{}", id_part(&id));
        let left_duty = id.clone();
        let duty = id.clone();
        let told = use_workspace().select(move |r| {
            let (told, scope) = r.obligations.iter().find(|o| o.id == duty).and_then(|o| coverage(r, o))?;
            Some((format!("{} of {} in its scope told", group_digits(told), group_digits(scope)), told >= scope))
        });
        view! {
            <dt>"Customer notices"</dt>
            <dd id=format!("served-by-{}", id_part(&id))>
                {move || notices.with(|n| if n.is_empty() { "None serves it yet".to_owned() } else { n.join("; ") })}
            </dd>
            {move || told.get().map(|(text, complete)| view! {
                <dt>"People told"</dt>
                <dd id=told_id.clone()>{text}</dd>
                {(!complete).then(|| view! { <dt>"Not yet told"</dt><dd><PeopleLeft duty=left_duty.clone() /></dd> })}
            })}
        }
    });
    let warnings = (!warnings.is_empty()).then(|| {
        let items = warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view();
        view! { <ul class="obligation-warnings">{items}</ul> }
    });
    let contents = (!rule.contents.is_empty()).then(|| {
        let summary = format!("What it must contain ({} items)", rule.contents.len());
        let items = rule.contents.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view();
        view! {
            <details class="obligation-contents">
                <summary>{summary}</summary>
                <ul>{items}</ul>
            </details>
        }
    });
    let filing = (status == ObligationStatus::Open && rule.notify.contains(&Audience::Regulator)).then(|| {
        view! {
            <details class="obligation-filing">
                <summary id=format!("filing-{}", id_part(&id))>"Prepare the filing"</summary>
                <FilingPanel id=id.clone() part=id_part(&id) />
            </details>
        }
    });
    let actions = match &status {
        ObligationStatus::Open => {
            Some(view! { <ObligationActions id=id.clone() title=rule.title.clone() /> }.into_any())
        }
        // What the facts ruled out, or the record met by itself, is not reopened by hand.
        ObligationStatus::NotRequired { by: None, .. } => None,
        _ if rule.met_by.is_some() => None,
        _ => Some(view! { <ReopenObligation id=id.clone() title=rule.title.clone() /> }.into_any()),
    };
    let (element_id, told) = (format!("obligation-{}", id_part(&id)), who_is_told(&rule));
    view! {
        <li
            class="obligation"
            id=element_id
            data-obligation=id.clone()
            data-standing=move || standing_name(standing.get())
        >
            <h4 id=heading_id(&id) tabindex="-1">
                {rule.title} " " <span class="obligation-id">{id.clone()}</span>
            </h4>
            <p class="obligation-standing">
                <StandingBadge standing />
                {countdown}
            </p>
            <dl class="details">
                <dt>"Citation"</dt>
                <dd>{rule.citation}</dd>
                <dt>"Who is told"</dt>
                <dd>{told}</dd>
                <dt>"Deadline"</dt>
                <dd>{rule.deadline.describe()}</dd>
                <dt>"Clock starts"</dt>
                <dd>{rule.anchor.label()} ": " {started}</dd>
                <dt>"Due"</dt>
                <dd><LocalTimeOr at=due_at otherwise="When the clock starts" /></dd>
                {served_by}
                {outcome}
            </dl>
            {rule.note.map(|note| view! { <p class="hint">{note}</p> })}
            {warnings}
            {contents}
            {filing}
            {actions}
        </li>
    }
}

/// One obligation, shown again only when it changes: the forms of the others keep what is typed.
#[component]
fn ObligationItem(id: String, now: Signal<DateTime<Utc>>) -> impl IntoView {
    let ws = use_workspace();
    let obligation = ws.select(move |r| r.obligations.iter().find(|o| o.id == id).cloned());
    move || obligation.get().map(|obligation| view! { <ObligationView obligation now /> })
}

#[component]
fn ObligationList(now: Signal<DateTime<Utc>>) -> impl IntoView {
    let ws = use_workspace();
    // Open ones soonest due first, then those waiting for their clock, then the rest.
    let ids = ws.select(|r| {
        let mut obligations: Vec<&Obligation> = r.obligations.iter().collect();
        obligations.sort_by_key(|o| (!o.is_open(), o.due_at.is_none(), o.due_at));
        obligations.into_iter().map(|o| o.id.clone()).collect::<Vec<_>>()
    });
    view! {
        <Show
            when=move || ids.with(|ids| !ids.is_empty())
            fallback=|| view! {
                <p class="empty">
                    "No obligations yet. They appear once the classification and the investigation "
                    "show which duties apply."
                </p>
            }
        >
            <ol class="obligations" aria-labelledby="obligations-heading">
                <For each=move || ids.get() key=|id| id.clone() let:id>
                    <ObligationItem id now />
                </For>
            </ol>
        </Show>
    }
}

#[component]
fn ClockTable() -> impl IntoView {
    let ws = use_workspace();
    let anchors = Memo::new(move |_| ws.detail.with(|d| d.clock.clone()));
    let rows = move || {
        anchors
            .get()
            .into_iter()
            .map(|anchor| {
                let source = anchor.source.unwrap_or_default();
                view! {
                    <tr id=format!("anchor-{}", anchor.anchor)>
                        <th scope="row">{anchor.anchor.label()}</th>
                        <td><LocalTimeOr at=anchor.at otherwise="Not known" /></td>
                        <td>{source}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <DataTable
            label="Deadline clock"
            id="clock"
            labelled_by="clock-heading"
            columns=["Event", "When", "Source"]
        >
            {rows}
        </DataTable>
    }
}

/// Setting a clock time the record does not know, correcting one it knows wrong (with a reason),
/// or clearing a time set by hand so that the record's own applies again.
#[component]
fn SetAnchor() -> impl IntoView {
    let ws = use_workspace();
    let anchors = Memo::new(move |_| ws.detail.with(|d| d.clock.clone()));
    let anchor = RwSignal::new(String::new());
    let at = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("anchor-errors");
    let busy = RwSignal::new(false);
    let chosen = move || anchors.with(|all| all.iter().find(|a| a.anchor.to_string() == *anchor.read()).cloned());
    // Choosing a time shows what is recorded, so that a correction starts from it.
    Effect::new(move || at.set(chosen().and_then(|a| a.at).map(clock::utc_to_local_input).unwrap_or_default()));

    let send = move |at: Option<DateTime<Utc>>| {
        let Ok(chosen) = Anchor::try_from(anchor.get_untracked()) else {
            return errors.show_field("anchor", "Choose the event whose time to set");
        };
        let command = IncidentCommand::SetAnchor { anchor: chosen, at, reason: reason.get_untracked() };
        ws.run(command, Errors::Form(errors), busy, move || reason.set(String::new()));
    };
    let submit = move || match clock::local_input_to_utc(&at.get_untracked()) {
        Ok(Some(at)) => send(Some(at)),
        _ => errors.show_field("at", "Enter the date and time"),
    };

    let choices = Anchor::INCIDENT.into_iter().map(|a| Choice::new(a.to_string(), a.label())).collect();
    view! {
        <h4>"Set or correct a time"</h4>
        <CheckedForm errors targets=ANCHOR_TARGETS heading=5 submit>
            <SelectField
                id="anchor_select"
                label="Event"
                choices
                value=anchor
                error=errors.for_field("anchor")
                placeholder="Choose an event"
            />
            <LocalTimeField
                id="anchor_at"
                label="When"
                value=at
                error=errors.for_field("at")
            />
            <TextArea
                id="anchor_reason"
                label="Reason"
                hint="Needed to correct or clear a time already known. At least 10 characters, \
                      recorded in the audit trail."
                value=reason
                error=errors.for_field("reason")
                rows=3
            />
            <div class="button-group">
                <SubmitButton id="anchor_submit" busy>
                    "Set time"
                </SubmitButton>
                <Show when=move || chosen().is_some_and(|a| a.set_by_hand)>
                    <button
                        type="button"
                        id="anchor_clear"
                        class="button button--secondary"
                        disabled=busy
                        on:click=move |_| send(None)
                    >
                        "Clear the time set by hand"
                    </button>
                </Show>
            </div>
        </CheckedForm>
    }
}

#[component]
pub fn DeadlinesSection() -> impl IntoView {
    let now = clock::ticking();
    view! {
        <Section
            id="deadlines"
            heading_id="deadlines-heading"
            title="Deadlines"
            hint="The notices and filings the rules require of this incident. Each falls due a set time after one of the clock times below."
        >
            <h3 id="obligations-heading">"Obligations"</h3>
            <ObligationList now />
            <h3 id="clock-heading">"Clock"</h3>
            <ClockTable />
            <SetAnchor />
        </Section>
    }
}
