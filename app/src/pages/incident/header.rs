use leptos::prelude::*;
use shared::record::Origin;

use super::workspace::use_workspace;
use crate::components::{LocalTime, PhaseBadge, ReportsTable, Section};

fn origin_text(origin: &Origin) -> String {
    match origin {
        Origin::Report { report } => format!("Opened from report {report}"),
        Origin::Declared => "Declared by the team".to_owned(),
        Origin::Alert { source } => format!("Opened by an alert from {source}"),
    }
}

/// The incident at a glance: title, reference, phase and when it started.
#[component]
pub fn IncidentHeader() -> impl IntoView {
    let ws = use_workspace();
    let title = ws.select(|r| r.title.clone());
    let phase = ws.select(|r| r.phase);
    let opened = ws.select(|r| (r.opened_at, r.opened_by.clone(), origin_text(&r.origin)));
    let detected_at = Memo::new(move |_| ws.detail.with(|d| d.detected_at));
    let classification = ws.select(|r| r.classification.clone());
    let risk = ws.select(|r| r.investigation.findings.risk_to_people);
    view! {
        <h1 id="incident-title">{move || title.get()}</h1>
        <dl class="details">
            <dt>"Reference"</dt>
            <dd id="incident-reference">{ws.reference.to_string()}</dd>
            <dt>"Phase"</dt>
            <dd>{move || view! { <PhaseBadge phase=phase.get() id="incident-phase" /> }}</dd>
            <dt>"Severity"</dt>
            <dd id="incident-severity">
                {move || classification.with(|c| c.severity.map_or("Not classified yet", |s| s.label()))}
            </dd>
            <dt>"Category"</dt>
            <dd>{move || classification.with(|c| c.category.map_or("Not classified yet", |c| c.label()))}</dd>
            <dt>"Breach verdict"</dt>
            <dd id="incident-verdict">{move || classification.with(|c| c.verdict.label())}</dd>
            <dt>"Risk to people"</dt>
            <dd id="incident-risk">{move || risk.get().label()}</dd>
            <dt>"Opened"</dt>
            <dd>
                {move || {
                    let (at, by, origin) = opened.get();
                    view! { <LocalTime at /> " by " {by} ". " {origin} }
                }}
            </dd>
            <dt>"Detected"</dt>
            <dd>{move || view! { <LocalTime at=detected_at.get() /> }}</dd>
        </dl>
    }
}

#[component]
pub fn LinkedReports() -> impl IntoView {
    let ws = use_workspace();
    let reports = Memo::new(move |_| ws.detail.with(|d| d.reports.clone()));
    view! {
        <Section id="linked-reports" heading_id="linked-reports-heading" title="Linked reports">
            {move || {
                let reports = reports.get();
                if reports.is_empty() {
                    view! { <p class="empty">"No reports are linked to this incident."</p> }.into_any()
                } else {
                    view! { <ReportsTable reports /> }.into_any()
                }
            }}
        </Section>
    }
}
