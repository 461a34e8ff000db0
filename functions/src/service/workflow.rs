//! The response team's work on incidents: triage, declaring, commands on the record, the timeline
//! and the audit trail. Every change goes through [`Services::change_incident`]: decide against the
//! record read, seal the events into the audit chain, and commit both atomically.

use std::collections::BTreeSet;

use shared::api::{
    ClockAnchor, DeclareIncidentForm, DismissReportForm, IncidentCommandRequest, IncidentDetail, LinkReportForm,
    MAX_PAGE_SIZE, OpenIncidentForm, Page, ReportDetail, TimelineEntry,
};
use shared::audit::{AuditBody, AuditEntry, AuditEvent, BrokenLink, ChainHead, ReportEvent, Verification, verify};
use shared::deadlines::timing::Anchor;
use shared::incident::IncidentTitle;
use shared::record::{
    Context, IncidentCommand, IncidentEvent, IncidentRecord, NOTE_MAX, Origin, decide, describe, opening,
};
use shared::reference::{Reference, ReferenceKind};
use shared::report::{ReportStatus, headline, parse_observed_at};
use shared::validation::{ValidationErrors, multi_line};
use shared::workflow::phase::{REASON_MAX, REASON_MIN};
use shared::workflow::roles::Holder;

use super::access::{Actor, Caller};
use super::commit::Effects;
use super::error::ServiceError;
use super::markdown::render_note;
use super::services::Services;
use crate::ports::{ChainAppend, PageRequest, ReportDismissal};

pub const TIMELINE_PAGE_MAX: u32 = 200;

impl Services {
    /// The incident as `caller` may see it.
    pub async fn incident(&self, caller: &Caller, reference: Reference) -> Result<IncidentDetail, ServiceError> {
        let (record, head) = self.visible_incident(caller, reference).await?;
        self.detail(record, head).await
    }

    pub(super) async fn detail(&self, record: IncidentRecord, head: ChainHead) -> Result<IncidentDetail, ServiceError> {
        let reports = self.incidents.incident_reports(record.reference).await?;
        let clock = ClockAnchor::of_record(&record);
        let detected =
            clock.iter().find(|c| c.anchor == Anchor::Detected).and_then(|c| c.at).unwrap_or(record.opened_at);
        // Incidents linked before report times were recorded still count their reports.
        let detected_at = shared::incident::detected_at(detected, reports.iter().map(|r| r.received_at));
        let moves = record.moves();
        Ok(IncidentDetail { record, version: head.seq, detected_at, reports, moves, clock })
    }

    /// A report waiting for triage, or a conflict that says what became of it.
    /// A report waiting for triage; one linked to an incident the caller may not see is not found.
    async fn untriaged_report(&self, caller: &Caller, report: Reference) -> Result<ReportDetail, ServiceError> {
        let detail = self.report(caller, report).await?;
        match (detail.status, detail.incident) {
            (ReportStatus::Received, None) => Ok(detail),
            (_, Some(incident)) => Err(ServiceError::Conflict(format!("{report} is already linked to {incident}"))),
            _ => Err(ServiceError::Conflict(format!("{report} was dismissed"))),
        }
    }

    pub async fn open_incident(
        &self,
        report: Reference,
        form: OpenIncidentForm,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let _one_at_a_time = self.opening_from_reports.lock().await;
        let detail = self.untriaged_report(caller, report).await?;
        let title = if form.title.trim().is_empty() { headline(&detail.description) } else { form.title };
        let opened = opening(&title, Origin::Report { report }, None, Some(caller.account.id.clone()))?;
        let effects = Effects { link_report: Some(report), ..Effects::default() };
        let linked = IncidentEvent::ReportLinked {
            report,
            received_at: Some(detail.received_at),
            observed_at: detail.observed_at,
        };
        let incident = self.create_incident(opened, |_, _| Ok(vec![linked]), caller.name(), effects).await?;
        self.notify_reporter(report, caller.name()).await;
        tracing::info!(%report, incident = %incident.record.reference, "incident opened from report");
        Ok(incident)
    }

    pub async fn link_report(
        &self,
        report: Reference,
        form: LinkReportForm,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let incident: Reference =
            form.incident.trim().parse().ok().filter(|r: &Reference| r.kind == ReferenceKind::Incident).ok_or_else(
                || ServiceError::field("incident", "Enter an incident reference such as INC-2026-000001"),
            )?;
        let detail = self.untriaged_report(caller, report).await?;
        let effects = Effects { link_report: Some(report), ..Effects::default() };
        let linked = IncidentEvent::ReportLinked {
            report,
            received_at: Some(detail.received_at),
            observed_at: detail.observed_at,
        };
        let linked = self
            .change_incident(incident, None, Actor::Member(caller), |_, _| Ok(vec![linked]), effects)
            .await
            .map_err(|error| match error {
                ServiceError::NotFound => ServiceError::field("incident", format!("There is no incident {incident}")),
                other => other,
            })?;
        self.notify_reporter(report, caller.name()).await;
        Ok(linked)
    }

    pub async fn dismiss_report(
        &self,
        report: Reference,
        form: DismissReportForm,
        caller: &Caller,
    ) -> Result<ReportDetail, ServiceError> {
        let reason = multi_line(&form.reason, "Reason", REASON_MIN, REASON_MAX)
            .map_err(|message| ServiceError::field("reason", message))?;
        self.untriaged_report(caller, report).await?;
        let previous = self.audit.audit_head(report).await?;
        let event = AuditEvent::Report(ReportEvent::Dismissed { reason: reason.clone() });
        let chain = ChainAppend::seal(previous, report, self.clock.now(), caller.name(), [event]);
        self.reports.commit_dismissal(ReportDismissal { report, reason, chain }).await?;
        self.notify_reporter(report, caller.name()).await;
        self.stored_report(report).await
    }

    pub async fn declare_incident(
        &self,
        form: DeclareIncidentForm,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let now = self.clock.now();
        let mut errors = ValidationErrors::default();
        let title = errors.collect("title", IncidentTitle::parse(&form.title));
        let detected_at = if form.detected_at.trim().is_empty() {
            Some(None)
        } else {
            errors.collect("detected_at", parse_observed_at(&form.detected_at, now).map(Some))
        };
        let summary = if form.summary.trim().is_empty() {
            Some(None)
        } else {
            errors.collect("summary", multi_line(&form.summary, "Summary", 1, NOTE_MAX).map(Some))
        };
        let (Some(title), Some(detected_at), Some(summary)) = (title, detected_at, summary) else {
            return Err(errors.into());
        };
        let opened = IncidentEvent::Opened {
            title: title.into_inner(),
            origin: Origin::Declared,
            detected_at,
            by_account: Some(caller.account.id.clone()),
        };
        let then = |_: &IncidentRecord, _: &Context<'_>| {
            Ok(summary.into_iter().map(|markdown| IncidentEvent::NoteAdded { markdown }).collect())
        };
        self.create_incident(opened, then, caller.name(), Effects::default()).await
    }

    /// A change the caller asks of an incident, decided on one read of its record: whether they
    /// may see it, may restrict it, and what the command changes.
    pub async fn command(
        &self,
        incident: Reference,
        request: IncidentCommandRequest,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let (record, head) = self.visible_incident(caller, incident).await?;
        if let IncidentCommand::Restrict { restricted } = request.command {
            self.ensure_may_restrict(&record, restricted, caller).await?;
        }
        let command = match request.command {
            IncidentCommand::AssignRole { role, person, .. } => {
                let (person, holder) = self.team_member_named(&person).await?;
                IncidentCommand::AssignRole { role, person, holder }
            }
            command => command,
        };
        let change = |record: &IncidentRecord, ctx: &Context<'_>| decide(record, command, ctx);
        let member = Actor::Member(caller);
        self.change_read(record, head, Some(request.expected_version), member, change, Effects::default()).await
    }

    /// The account a role holder is named by: an active member's email address, or the name of
    /// exactly one; someone the team has no account for (outside counsel) keeps only their name,
    /// and gets no access by holding the role.
    async fn team_member_named(&self, person: &str) -> Result<(String, Holder), ServiceError> {
        let wanted = person.trim();
        let team: Vec<_> = self.accounts.accounts().await?.into_iter().filter(|a| !a.disabled).collect();
        if let Some(account) = team.iter().find(|a| a.email.eq_ignore_ascii_case(wanted)) {
            return Ok((account.name.clone(), Holder::Account { id: account.id.clone() }));
        }
        let named: Vec<_> = team.iter().filter(|a| a.name.trim().eq_ignore_ascii_case(wanted)).collect();
        match named.as_slice() {
            [] => Ok((wanted.to_owned(), Holder::NoAccount)),
            [account] => Ok((account.name.clone(), Holder::Account { id: account.id.clone() })),
            _ => Err(ServiceError::field(
                "person",
                format!(
                    "{} team members are called {wanted}: enter the email address of the one you mean",
                    named.len()
                ),
            )),
        }
    }

    /// The incident's audit trail as a timeline, oldest first, `after_seq` exclusive.
    pub async fn timeline(
        &self,
        caller: &Caller,
        subject: Reference,
        after_seq: u64,
        limit: u32,
    ) -> Result<Page<TimelineEntry>, ServiceError> {
        // The security log has its own use case, for the roles that may read it.
        if subject.kind == ReferenceKind::Security {
            return Err(ServiceError::NotFound);
        }
        self.ensure_visible(subject, caller).await?;
        self.chain_page(subject, after_seq, limit).await
    }

    /// A year's security log, oldest first, in pages like a timeline.
    pub async fn security_log(
        &self,
        year: i32,
        after_seq: u64,
        limit: u32,
    ) -> Result<Page<TimelineEntry>, ServiceError> {
        self.chain_page(Reference::new(ReferenceKind::Security, year, 1), after_seq, limit).await
    }

    async fn chain_page(
        &self,
        subject: Reference,
        after_seq: u64,
        limit: u32,
    ) -> Result<Page<TimelineEntry>, ServiceError> {
        if self.audit.audit_head(subject).await?.is_none() {
            return Err(ServiceError::NotFound);
        }
        let limit = limit.clamp(1, TIMELINE_PAGE_MAX);
        let mut entries = self.audit.audit_entries(subject, after_seq, limit + 1).await?;
        let next_cursor = (entries.len() > limit as usize).then(|| {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.seq.to_string()).unwrap_or_default()
        });
        let items = entries
            .into_iter()
            .map(|entry| {
                let body: AuditBody = serde_json::from_str(&entry.body)
                    .map_err(|e| anyhow::anyhow!("audit entry {} of {subject} is unreadable: {e}", entry.seq))?;
                Ok(timeline_entry(body, entry.hash))
            })
            .collect::<Result<_, ServiceError>>()?;
        Ok(Page { items, next_cursor })
    }

    /// Checks a subject's whole audit chain against its head.
    pub async fn verify_audit(&self, caller: &Caller, subject: Reference) -> Result<Verification, ServiceError> {
        self.ensure_visible(subject, caller).await?;
        Ok(self.audit_trail(subject).await?.1)
    }

    /// A subject's whole chain in order, and its verification against the stored head.
    pub(super) async fn audit_trail(
        &self,
        subject: Reference,
    ) -> Result<(Vec<AuditEntry>, Verification), ServiceError> {
        const PAGE: u32 = 1_000;
        let head = self.audit.audit_head(subject).await?;
        let mut entries: Vec<AuditEntry> = Vec::new();
        loop {
            let after = entries.last().map_or(0, |e| e.seq);
            let page = self.audit.audit_entries(subject, after, PAGE).await?;
            let done = page.len() < PAGE as usize;
            entries.extend(page);
            if done {
                break;
            }
        }
        if head.is_none() && entries.is_empty() && !self.subject_exists(subject).await? {
            return Err(ServiceError::NotFound);
        }
        let verification = verify(subject, &entries, head.as_ref());
        Ok((entries, verification))
    }

    /// Every chain the store holds (incidents, reports, the policy register, each year's security
    /// log), and every record that must have one: an incident, a dismissed report or the register
    /// whose chain is gone counts as broken, as does an entry with no head.
    pub async fn verify_all_audit_chains(&self) -> Result<Vec<Verification>, ServiceError> {
        let mut must_have_chain = BTreeSet::new();
        if let Some((register, _)) = self.register.policy_register().await? {
            must_have_chain.insert(register.reference);
        }
        let mut cursor = None;
        loop {
            let page = self.incidents.list_incidents(PageRequest { cursor, limit: MAX_PAGE_SIZE }).await?;
            must_have_chain.extend(page.items.iter().map(|incident| incident.reference));
            let Some(next) = page.next_cursor else { break };
            cursor = Some(next);
        }
        let mut cursor = None;
        loop {
            let dismissed = Some(ReportStatus::Dismissed);
            let page = self.reports.list_reports(dismissed, PageRequest { cursor, limit: MAX_PAGE_SIZE }).await?;
            must_have_chain.extend(page.items.iter().map(|report| report.reference));
            let Some(next) = page.next_cursor else { break };
            cursor = Some(next);
        }
        let mut subjects: BTreeSet<Reference> = self.audit.audit_subjects().await?.into_iter().collect();
        subjects.extend(must_have_chain.iter().copied());
        let mut results = Vec::with_capacity(subjects.len());
        for subject in subjects {
            let mut verification = self.audit_trail(subject).await?.1;
            if verification.head.is_none() && verification.entries_checked == 0 && must_have_chain.contains(&subject) {
                verification.broken =
                    Some(BrokenLink { seq: 1, problem: "the record exists but its audit chain is gone".into() });
            }
            results.push(verification);
        }
        Ok(results)
    }

    async fn subject_exists(&self, subject: Reference) -> Result<bool, ServiceError> {
        Ok(match subject.kind {
            ReferenceKind::Incident => self.incidents.incident(subject).await?.is_some(),
            ReferenceKind::Report => self.reports.report(subject).await?.is_some(),
            ReferenceKind::Policy => {
                self.register.policy_register().await?.is_some_and(|(r, _)| r.reference == subject)
            }
            ReferenceKind::Security => self.audit.audit_head(subject).await?.is_some(),
        })
    }
}

fn timeline_entry(body: AuditBody, hash: String) -> TimelineEntry {
    let (summary, note_html) = match &body.event {
        AuditEvent::Incident(IncidentEvent::NoteAdded { markdown }) => ("Note".to_owned(), Some(render_note(markdown))),
        AuditEvent::Incident(event @ IncidentEvent::NotificationSent { message: Some(markdown), .. }) => {
            (describe(event), Some(render_note(markdown)))
        }
        AuditEvent::Incident(event) => (describe(event), None),
        AuditEvent::Report(ReportEvent::Dismissed { reason }) => (format!("Report dismissed: {reason}"), None),
        AuditEvent::Report(ReportEvent::ReporterNotified { status, .. }) => {
            (format!("Reporter emailed the new status: {}", status.label()), None)
        }
        AuditEvent::Policy(event) => (shared::policy::describe(event), None),
        AuditEvent::Security(event) => (event.describe(), None),
    };
    TimelineEntry { seq: body.seq, at: body.at, actor: body.actor, summary, note_html, hash }
}
