//! One incident, worked on from a single page: each part of the response is a section with its
//! own small forms, and every change goes through the incident's command endpoint.

mod classification;
mod containment;
mod deadlines;
mod export;
mod filing;
mod header;
mod inputs;
mod investigation;
mod notes;
mod notices;
mod notifications;
mod people;
mod phase;
mod review;
mod roles;
mod tasks;
mod timeline;
mod workspace;

use leptos::prelude::*;
use shared::api::IncidentDetail;

use super::record_page::RecordPage;
use crate::{api, dom};
use workspace::{NOTICE_ID, Workspace};

/// The sections, in page order, for the contents list.
const SECTIONS: &[(&str, &str)] = &[
    ("linked-reports", "Linked reports"),
    ("phase", "Phase"),
    ("deadlines", "Deadlines"),
    ("classification", "Classification"),
    ("roles", "Roles"),
    ("tasks", "Tasks"),
    ("investigation", "Investigation"),
    ("affected-accounts-section", "Affected accounts"),
    ("containment", "Containment log"),
    ("notifications", "Notifications"),
    ("customer-notices", "Customer notices"),
    ("notes", "Add a note"),
    ("review", "Post-incident review"),
    ("timeline-section", "Timeline"),
    ("export", "Export and audit"),
];

/// Refusals and conflicts from any section, in one place at the top.
#[component]
fn CommandNotice() -> impl IntoView {
    let ws = workspace::use_workspace();
    view! {
        <div id=NOTICE_ID role="alert" tabindex="-1">
            {move || {
                ws.notice.get().map(|message| {
                    view! {
                        <div class="notice notice--error">
                            <p>
                                <strong>"That change was not made"</strong>
                            </p>
                            <p>{message}</p>
                        </div>
                    }
                })
            }}
        </div>
    }
}

#[component]
fn Contents() -> impl IntoView {
    let links =
        SECTIONS.iter().map(|(id, label)| view! { <li><a href=format!("#{id}")>{*label}</a></li> }).collect_view();
    view! {
        <nav class="contents" aria-label="Sections of this incident">
            <ul>{links}</ul>
        </nav>
    }
}

#[component]
fn IncidentWorkspace(incident: IncidentDetail) -> impl IntoView {
    let ws = Workspace::new(incident);
    provide_context(ws);
    Effect::new(move || dom::set_title(&ws.detail.with(|d| format!("{} · {}", d.record.title, ws.reference))));
    // The version the page shows; browser tests wait on it to know a change has landed.
    let version = move || ws.detail.with(|d| d.version.to_string());
    view! {
        <div id="incident" data-version=version>
            <CommandNotice />
            <header::IncidentHeader />
            <Contents />
            <header::LinkedReports />
            <phase::PhaseSection />
            <deadlines::DeadlinesSection />
            <classification::ClassificationSection />
            <roles::RolesSection />
            <tasks::TasksSection />
            <investigation::InvestigationSection />
            <people::AffectedPeopleSection />
            <containment::ContainmentSection />
            <notifications::NotificationsSection />
            <notices::NoticesSection />
            <notes::NotesSection />
            <review::ReviewSection />
            <timeline::TimelineSection />
            <export::ExportSection />
        </div>
    }
}

/// One incident, by the reference in the address.
#[component]
pub fn IncidentDetailPage() -> impl IntoView {
    let fetch = |reference: String| async move { api::incident(&reference).await };
    view! {
        <RecordPage kind="Incident" back=("/dashboard/incidents", "All incidents") fetch let:incident>
            <IncidentWorkspace incident />
        </RecordPage>
    }
}
