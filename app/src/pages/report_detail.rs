use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::api::{DismissReportForm, LinkReportForm, OpenIncidentForm, ReportDetail};
use shared::incident::IncidentTitle;
use shared::reference::{Reference, ReferenceKind};
use shared::report::{ReportStatus, headline};

use super::record_page::RecordPage;
use super::to_incident::send_then_open_incident;
use crate::components::{
    AttachmentList, EmailIntakeDetails, FollowUpList, FormErrors, FormSection, LocalTime, StatusBadge, SubmitButton,
    TextArea, TextField, send,
};
use crate::{api, dom};

const DISMISSED_NOTICE_ID: &str = "report-dismissed";

fn or_not_given(value: Option<String>) -> String {
    value.unwrap_or_else(|| "Not given".to_owned())
}

/// Triage, first way: open an incident from this report and link the two.
#[component]
fn OpenIncident(report: Reference, suggested_title: String) -> impl IntoView {
    let title = RwSignal::new(suggested_title);
    let errors = FormErrors::with_summary_id("open-incident-errors");
    let busy = RwSignal::new(false);
    let navigate = use_navigate();

    let submit = move || {
        let form = OpenIncidentForm { title: title.get_untracked() };
        // Empty is allowed: the server then uses the report's headline.
        if !form.title.trim().is_empty()
            && let Err(message) = IncidentTitle::parse(&form.title)
        {
            errors.show_field("title", message);
            return;
        }
        let request = async move { api::open_incident(&report, &form).await };
        send_then_open_incident(busy, errors, "title", navigate.clone(), request);
    };

    view! {
        <FormSection
            class="panel"
            heading_id="open-incident-heading"
            title="Open a new incident"
            intro="This report is not linked to an incident yet."
            errors
            targets=&[("title", "incident_title")]
            submit
        >
            <TextField
                id="incident_title"
                label="Incident title"
                hint="Leave empty to use the report's first line."
                value=title
                error=errors.for_field("title")
            />
            <SubmitButton id="open-incident" busy busy_label="Opening…">
                "Open incident"
            </SubmitButton>
        </FormSection>
    }
}

/// Triage, second way: the report is about an incident the team already works on.
#[component]
fn LinkToIncident(report: Reference) -> impl IntoView {
    let incident = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("link-report-errors");
    let busy = RwSignal::new(false);
    let navigate = use_navigate();

    let submit = move || {
        let typed = incident.get_untracked();
        match typed.trim().parse::<Reference>() {
            _ if typed.trim().is_empty() => {
                return errors.show_field("incident", "Enter the incident reference");
            }
            Ok(reference) if reference.kind == ReferenceKind::Incident => {}
            _ => {
                return errors.show_field("incident", "Enter a reference such as INC-2026-000001");
            }
        }
        let form = LinkReportForm { incident: typed.trim().to_owned() };
        let request = async move { api::link_report(&report, &form).await };
        send_then_open_incident(busy, errors, "incident", navigate.clone(), request);
    };

    view! {
        <FormSection
            class="panel"
            heading_id="link-report-heading"
            title="Add to an existing incident"
            errors
            targets=&[("incident", "link_incident")]
            submit
        >
            <TextField
                id="link_incident"
                label="Incident reference"
                hint="For example INC-2026-000001. Several reports can belong to one incident."
                value=incident
                error=errors.for_field("incident")
            />
            <SubmitButton id="link-report" busy busy_label="Adding…">
                "Add to incident"
            </SubmitButton>
        </FormSection>
    }
}

/// Triage, third way: not taken further. The reporter reads the reason on their follow-up page.
#[component]
fn DismissReport(report: Reference, #[prop(into)] on_dismissed: Callback<ReportDetail>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("dismiss-report-errors");
    let busy = RwSignal::new(false);

    let submit = move || {
        let form = DismissReportForm { reason: reason.get_untracked() };
        if form.reason.trim().is_empty() {
            errors.show_field("reason", "Enter why this report is not taken further");
            return;
        }
        errors.clear();
        send(busy, async move { api::dismiss_report(&report, &form).await }, move |result| match result {
            Ok(updated) => on_dismissed.run(updated),
            Err(error) => errors.show_api_error(&error, "reason"),
        });
    };

    view! {
        <FormSection
            class="panel"
            heading_id="dismiss-report-heading"
            title="Dismiss this report"
            errors
            targets=&[("reason", "dismiss_reason")]
            submit
        >
            <TextArea
                id="dismiss_reason"
                label="Why is it not taken further?"
                hint="The reporter sees this reason on their follow-up page, so write it for them."
                value=reason
                error=errors.for_field("reason")
                rows=4
            />
            <SubmitButton id="dismiss-report" busy secondary=true busy_label="Dismissing…">
                "Dismiss report"
            </SubmitButton>
        </FormSection>
    }
}

#[component]
fn ReportDetails(report: ReportDetail, #[prop(into)] on_dismissed: Callback<ReportDetail>) -> impl IntoView {
    let incident = match report.incident {
        Some(incident) => {
            let incident = incident.to_string();
            view! { <a href=format!("/dashboard/incidents/{incident}")>{incident.clone()}</a> }.into_any()
        }
        None if report.status == ReportStatus::Dismissed => view! { "None" }.into_any(),
        None => view! { "None yet" }.into_any(),
    };
    let triage = (report.status == ReportStatus::Received).then(|| {
        view! {
            <OpenIncident report=report.reference suggested_title=headline(&report.description) />
            <LinkToIncident report=report.reference />
            <DismissReport report=report.reference on_dismissed />
        }
    });
    let dismissal = report.dismissal_reason.map(|reason| {
        view! {
            <div id=DISMISSED_NOTICE_ID class="notice notice--warning" tabindex="-1">
                <h2>"Dismissed"</h2>
                <p class="muted">"The reporter was told:"</p>
                <p id="dismissal-reason" class="text-block">{reason}</p>
            </div>
        }
    });
    let observed_at = match report.observed_at {
        Some(at) => view! { <LocalTime at /> }.into_any(),
        None => view! { "Not given" }.into_any(),
    };
    view! {
        <h1>"Report " {report.reference.to_string()} " " <StatusBadge status=report.status /></h1>
        {dismissal}
        <dl class="details">
            <dt>"Received"</dt>
            <dd><LocalTime at=report.received_at /></dd>
            <dt>"Reporter"</dt>
            <dd>{report.reporter_kind.label()}</dd>
            <dt>"Name"</dt>
            <dd>{or_not_given(report.reporter_name)}</dd>
            <dt>"Email"</dt>
            <dd>{or_not_given(report.reporter_email)}</dd>
            <dt>"Noticed"</dt>
            <dd>{observed_at}</dd>
            <dt>"Affected system or account"</dt>
            <dd class="text-block">{or_not_given(report.affected_system)}</dd>
            <dt>"Incident"</dt>
            <dd id="report-incident">{incident}</dd>
        </dl>
        {report.email.map(|intake| view! { <EmailIntakeDetails intake /> })}
        <h2>"What happened"</h2>
        <p class="text-block">{report.description}</p>
        <h2>"Steps to reproduce"</h2>
        <p class="text-block">{or_not_given(report.steps_to_reproduce)}</p>
        <h2>"Attachments"</h2>
        <p class="hint">"Files come from outside: they download rather than open, and may be hostile."</p>
        <AttachmentList attachments=report.attachments downloadable=true />
        <h2>"Added by the reporter"</h2>
        <FollowUpList follow_ups=report.follow_ups downloadable=true />
        {triage}
    }
}

/// One loaded report; a dismissal replaces it with the server's answer in place.
#[component]
fn LoadedReport(report: ReportDetail) -> impl IntoView {
    let current = RwSignal::new(report);
    let on_dismissed = move |updated: ReportDetail| {
        current.set(updated);
        dom::focus_after_render(DISMISSED_NOTICE_ID);
    };
    move || view! { <ReportDetails report=current.get() on_dismissed /> }
}

/// One report, by the reference in the address.
#[component]
pub fn ReportDetailPage() -> impl IntoView {
    let fetch = |reference: String| async move { api::report(&reference).await };
    view! {
        <RecordPage kind="Report" back=("/dashboard/reports", "All reports") fetch let:report>
            <LoadedReport report />
        </RecordPage>
    }
}
