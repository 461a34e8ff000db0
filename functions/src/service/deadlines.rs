//! Deadlines: keeping obligation rows in step with incident records, the scheduled checker that
//! sends each reminder and escalation once, the obligations board and the monthly metrics.
//!
//! The checker claims steps before sending them: a claim is a conditional write on the row's
//! version, so of two runs that read the same row only one sends. A claim that is never
//! confirmed (the run died before sending) is retried after [`CLAIM_TIMEOUT_MINUTES`].

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use shared::access::SecurityEvent;
use shared::api::{EvidenceFileForm, IncidentDetail, MAX_PAGE_SIZE, ObligationEntry, ObligationFilter, Page};
use shared::deadlines::obligation::{Evidence, EvidenceFile, EvidenceKind, ObligationStatus, Step, StepKind, plan};
use shared::deadlines::rules::EscalationTarget;
use shared::metrics::{MonthMetrics, monthly};
use shared::record::meet_obligation;
use shared::reference::{Reference, ReferenceKind};
use shared::validation::ValidationErrors;

use super::access::{Actor, Caller};
use super::commit::Effects;
use super::error::ServiceError;
use super::services::{Services, Upload};
use crate::ports::{
    Deliveries, Delivery, DeliveryUpdate, ObligationRow, ObligationState, PageRequest, ScheduledObligation,
};

pub const CLAIM_TIMEOUT_MINUTES: i64 = 10;
/// Rows one run takes from the due index; the rest wait for the next run, minutes later.
pub const CHECKER_BATCH: u32 = 500;

/// What one checker run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckerRun {
    /// Rows read from the due index.
    pub rows_read: usize,
    pub reminders_sent: usize,
    pub escalations_sent: usize,
    pub superseded: usize,
    /// Rows another run (or an incident change) updated first; they come back on the next run.
    pub lost_races: usize,
    pub failures: usize,
}

fn entry(scheduled: ScheduledObligation) -> ObligationEntry {
    let sent = |reminder: bool| {
        scheduled
            .deliveries
            .iter()
            .filter(|(key, d)| d.sent_at.is_some() && key.starts_with("reminder-") == reminder)
            .count() as u32
    };
    ObligationEntry {
        reminders_sent: sent(true),
        escalations_sent: sent(false),
        incident: scheduled.row.subject,
        incident_title: scheduled.row.incident_title,
        response_lead: scheduled.row.response_lead,
        obligation: scheduled.row.obligation,
    }
}

impl Services {
    /// Sends the reminders and escalations due by `now`, each once. The EventBridge-scheduled
    /// Lambda and the local timer both call this.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<CheckerRun, ServiceError> {
        // Keeps the standing duties' cycles open (and sets the register up on a first run).
        if let Err(error) = self.keep_policy_register().await {
            tracing::error!(%error, "the policy register could not be brought up to date; the next run retries");
        }
        let due = self.obligations.due_obligations(now, CHECKER_BATCH).await?;
        let mut run = CheckerRun { rows_read: due.len(), ..CheckerRun::default() };
        for scheduled in due {
            let (subject, id) = (scheduled.row.subject, scheduled.row.obligation.id.clone());
            if let Err(error) = self.check_one(scheduled, now, &mut run).await {
                run.failures += 1;
                tracing::error!(%subject, obligation = %id, %error, "deadline check failed; the next run retries it");
            }
        }
        if run.reminders_sent + run.escalations_sent + run.failures > 0 {
            tracing::info!(?run, "deadline check");
        }
        Ok(run)
    }

    async fn check_one(
        &self,
        scheduled: ScheduledObligation,
        now: DateTime<Utc>,
        run: &mut CheckerRun,
    ) -> Result<(), ServiceError> {
        let claim_timeout = Duration::minutes(CLAIM_TIMEOUT_MINUTES);
        let done = |key: &str| {
            scheduled
                .deliveries
                .get(key)
                .is_some_and(|d| d.sent_at.is_some() || d.superseded || now - d.claimed_at < claim_timeout)
        };
        let plan = plan(&scheduled.row.obligation, &done, now);
        let mut deliveries = scheduled.deliveries.clone();
        // Superseded steps are settled for good; the others are claimed until their sends are done.
        let claims = plan.superseded.iter().map(|step| (step, true)).chain(plan.send.iter().map(|step| (step, false)));
        for (step, superseded) in claims {
            let claim = Delivery {
                claimed_at: now,
                sent_at: None,
                superseded,
                recipients: Vec::new(),
                message_ids: Vec::new(),
            };
            deliveries.insert(step.key.clone(), claim);
        }
        // Until the sends are confirmed, come back when the claim would expire.
        let retry_at = (!plan.send.is_empty()).then(|| now + claim_timeout);
        let claim_next = [plan.next_at, retry_at].into_iter().flatten().min();
        let (subject, id) = (scheduled.row.subject, scheduled.row.obligation.id.as_str());
        let claim = DeliveryUpdate {
            subject,
            obligation: id,
            expected_version: scheduled.version,
            deliveries: &deliveries,
            next_check_at: claim_next,
        };
        if !self.obligations.update_delivery(claim).await? {
            run.lost_races += 1;
            return Ok(());
        }
        run.superseded += plan.superseded.len();
        if plan.send.is_empty() {
            return Ok(());
        }
        for step in &plan.send {
            let (recipients, message_ids) = self.send_step(&scheduled.row, step, now).await?;
            let delivery = deliveries.get_mut(&step.key).expect("claimed above");
            delivery.sent_at = Some(now);
            delivery.recipients = recipients;
            delivery.message_ids = message_ids;
            match step.kind {
                StepKind::Reminder => run.reminders_sent += 1,
                StepKind::Escalation(_) => run.escalations_sent += 1,
            }
        }
        self.confirm(subject, id, scheduled.version + 1, deliveries, plan.next_at).await
    }

    /// Records the sends. An incident change may have rewritten the row meanwhile; then the
    /// confirmation is merged into the row as it is now.
    async fn confirm(
        &self,
        subject: Reference,
        id: &str,
        mut version: u64,
        ours: Deliveries,
        mut next_at: Option<DateTime<Utc>>,
    ) -> Result<(), ServiceError> {
        let mut deliveries = ours.clone();
        for _ in 0..5 {
            let update = DeliveryUpdate {
                subject,
                obligation: id,
                expected_version: version,
                deliveries: &deliveries,
                next_check_at: next_at,
            };
            if self.obligations.update_delivery(update).await? {
                return Ok(());
            }
            let Some(current) = self.obligations.scheduled_obligation(subject, id).await? else { return Ok(()) };
            version = current.version;
            deliveries = current.deliveries;
            deliveries.extend(ours.iter().filter(|(_, d)| d.sent_at.is_some()).map(|(k, d)| (k.clone(), d.clone())));
            // The row changed, so let the next run plan it afresh.
            next_at = current.next_check_at.map(|_| self.clock.now());
        }
        Err(anyhow::anyhow!("could not record the sent reminders of {subject} {id} after 5 attempts").into())
    }

    fn recipients(&self, row: &ObligationRow, kind: StepKind) -> Vec<String> {
        let contacts = &self.deadline_contacts;
        let lead = row.response_lead.as_ref().and_then(|name| contacts.people.get(name)).cloned();
        let mut to = match kind {
            StepKind::Reminder => contacts.team.iter().cloned().chain(lead).collect(),
            StepKind::Escalation(EscalationTarget::ResponseLead) => {
                lead.map_or_else(|| contacts.team.clone(), |l| vec![l])
            }
            StepKind::Escalation(EscalationTarget::Management) => contacts.management.clone(),
        };
        to.sort();
        to.dedup();
        to
    }

    async fn send_step(
        &self,
        row: &ObligationRow,
        step: &Step,
        now: DateTime<Utc>,
    ) -> Result<(Vec<String>, Vec<String>), ServiceError> {
        let to = self.recipients(row, step.kind);
        if to.is_empty() {
            tracing::warn!(subject = %row.subject, obligation = %row.obligation.id, "no address to send a deadline notice to");
            return Ok((to, Vec::new()));
        }
        let url = match row.subject.kind {
            ReferenceKind::Policy => format!("{}/dashboard/policy", self.public_url),
            _ => format!("{}/dashboard/incidents/{}", self.public_url, row.subject),
        };
        let email = self.templates.deadline_notice(to.clone(), row, step, now, &url)?;
        let message_id = self.mailer.send(&email).await?;
        Ok((to, vec![message_id]))
    }

    /// One page of the obligations board.
    /// Obligations across the incidents the caller may see; a page may come back shorter than
    /// asked, and its cursor still leads on.
    pub async fn obligations(
        &self,
        caller: &Caller,
        filter: ObligationFilter,
        page: PageRequest,
    ) -> Result<Page<ObligationEntry>, ServiceError> {
        let state = match filter {
            ObligationFilter::Open => ObligationState::Open,
            ObligationFilter::Met => ObligationState::Met,
            ObligationFilter::NotRequired => ObligationState::NotRequired,
        };
        let page = self.obligations.obligations_by_state(state, page).await?;
        let mut items: Vec<ObligationEntry> = page.items.into_iter().map(entry).collect();
        let subjects: Vec<Reference> = items.iter().map(|entry| entry.incident).collect();
        let hidden = self.hidden_from(caller, &subjects).await?;
        items.retain(|entry| !hidden.contains(&entry.incident));
        Ok(Page { items, next_cursor: page.next_cursor })
    }

    /// Figures for the last 13 months of detected incidents, newest month first.
    pub async fn metrics(&self) -> Result<Vec<MonthMetrics>, ServiceError> {
        let now = self.clock.now();
        let since = now - Duration::days(400);
        let mut records = Vec::new();
        let mut cursor = None;
        'pages: loop {
            let page = self.incidents.list_incidents(PageRequest { cursor, limit: MAX_PAGE_SIZE }).await?;
            for summary in page.items {
                if summary.opened_at < since {
                    break 'pages;
                }
                if let Some((record, _)) = self.incidents.incident(summary.reference).await? {
                    records.push(record);
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(monthly(&records, now))
    }
}

impl Services {
    /// Marks an obligation met with one file as its evidence. The file is checked like a report's
    /// attachments and stored first; if the incident cannot take the change, it is removed again.
    pub async fn meet_obligation_with_file(
        &self,
        incident: Reference,
        obligation: String,
        form: EvidenceFileForm,
        uploads: Vec<Upload>,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let uploads = self.with_ticketed_uploads(uploads, &form.uploads).await?;
        if uploads.len() != 1 {
            let mut errors = ValidationErrors::default();
            errors.push("attachments", "Attach exactly one file as the evidence");
            return Err(errors.into());
        }
        let stored = self.store_uploads(uploads).await?;
        let file = stored[0].clone();
        let evidence = Evidence {
            kind: EvidenceKind::File,
            value: file.file_name.clone(),
            file: Some(EvidenceFile { id: file.id, kind: file.kind, size_bytes: file.size_bytes, sha256: file.sha256 }),
        };
        let result = self
            .change_incident(
                incident,
                Some(form.expected_version),
                Actor::Member(caller),
                |record, ctx| meet_obligation(record, obligation, form.met_at, evidence, ctx),
                Effects::default(),
            )
            .await;
        if result.is_err() {
            self.discard(&stored).await;
        }
        result
    }

    /// An evidence file of an incident, by the id its obligation records.
    pub async fn evidence_file(
        &self,
        caller: &Caller,
        incident: Reference,
        id: &str,
    ) -> Result<(String, EvidenceFile, Vec<u8>), ServiceError> {
        let (record, _) = self.visible_incident(caller, incident).await?;
        let (name, file) = record
            .obligations
            .iter()
            .filter_map(|o| match &o.status {
                ObligationStatus::Met { evidence: Evidence { value, file: Some(file), .. }, .. } if file.id == id => {
                    Some((value.clone(), file.clone()))
                }
                _ => None,
            })
            .next()
            .ok_or(ServiceError::NotFound)?;
        let bytes = self.attachments.get(&file.id).await?.ok_or(ServiceError::NotFound)?;
        let what = format!("evidence {name:?} of {incident}");
        self.log_security(caller.name(), SecurityEvent::Exported { what }).await?;
        Ok((name, file, bytes))
    }
}
