//! Customer breach notices: recipients chosen, the email composed from the `customer_notice`
//! template, approved by a second member, then sent as a campaign. Each recipient's delivery
//! moves pending → sending → sent or failed only by conditional writes, so a crash, a rerun or a
//! second sender never sends anyone two messages; sending keeps to the configured rate.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use serde::Serialize;
use shared::api::NoticeRecipientsSaved;
use shared::deadlines::jurisdiction::jurisdiction_pattern_ok;
use shared::deadlines::rules::Rule;
use shared::notices::{
    DeliveryKind, DeliveryState, DeliveryView, Notice, NoticeProgress, Recipient, RecipientList, RecipientSource,
    RecipientsForm, RegisterSelection, csv_recipients,
};
use shared::notifications::EmailPreview;
use shared::record::effects::{campaign_finished, coverage_reopened, covers};
use shared::record::{IncidentEvent, IncidentRecord, WorkflowError};
use shared::reference::Reference;
use shared::workflow::investigation::line_errors_on;
use uuid::Uuid;

use super::access::{Actor, Caller};
use super::commit::Effects;
use super::error::ServiceError;
use super::services::Services;
use crate::ports::{
    Campaign, DELIVERY_TAG, DeliveryPage, DeliveryRow, Email, MailEventReport, SentLookup, Told, ToldBy, ToldCounts,
};

/// Jurisdiction patterns as typed (`de`, `US-CA`, `EU`), upper-cased and checked.
fn parse_patterns(raw: Vec<String>) -> Result<Vec<String>, ServiceError> {
    let mut patterns = Vec::new();
    for pattern in raw.iter().map(|p| p.trim().to_ascii_uppercase()).filter(|p| !p.is_empty()) {
        if !jurisdiction_pattern_ok(&pattern) {
            return Err(ServiceError::field(
                "jurisdictions",
                format!("{pattern:?} is not a country (DE), a region (US-CA), EU or EEA"),
            ));
        }
        patterns.push(pattern);
    }
    Ok(patterns)
}

/// Who Tocsin is on an incident's timeline when it acts by itself.
const TOCSIN: &str = "Tocsin";
/// Deliveries read per query while sending.
const BATCH: u32 = 100;
/// People read from the register per query when choosing recipients.
const REGISTER_PAGE: u32 = 1_000;
/// The problem deliveries the dashboard lists.
const PROBLEMS_SHOWN: usize = 100;

/// What one sending run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SendRun {
    pub sent: u32,
    pub failed: u32,
    pub suppressed: u32,
    /// Interrupted deliveries settled from the mailer's record.
    pub recovered: u32,
    /// Campaigns that ended in this run.
    pub finished: Vec<String>,
    /// The run stopped at its time budget with work left for the next one.
    pub out_of_time: bool,
}

/// A delivery's tag value: `<list>.<seq>`, allowed in SES tags as it is.
fn delivery_tag(list: &str, seq: u32) -> String {
    format!("{list}.{seq}")
}

/// How long a sending run started by an approval may go on; the scheduled runs carry on after.
const SENDING_RUN: Duration = Duration::from_secs(15 * 60);

/// Sends approved notices as soon as they are approved: each wake-up ([`Services::sending`]) runs
/// one sending run. Ends when the services are dropped. A scheduled run at the same time is safe:
/// each delivery is claimed by a conditional write.
pub async fn send_when_woken(services: Weak<Services>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        let Some(services) = services.upgrade() else { return };
        if let Err(error) = services.send_notices(SENDING_RUN).await {
            tracing::error!(%error, "sending customer notices failed; the scheduled run carries on");
        }
    }
}

impl Services {
    /// Takes the notice's recipients from the register (everyone in scope of the duties it
    /// serves, within the jurisdictions chosen) or a CSV file, as a new list (the old one stays
    /// unused), which asks for approval anew.
    pub async fn set_notice_recipients(
        &self,
        reference: Reference,
        notice_id: u32,
        form: RecipientsForm,
        caller: &Caller,
    ) -> Result<NoticeRecipientsSaved, ServiceError> {
        let detail = self.incident(caller, reference).await?;
        let notice = detail.record.editable_notice(notice_id).map_err(ServiceError::from)?;
        let list = format!("{reference}.N{notice_id}.{}", Uuid::now_v7().simple());
        let (chosen, refused) = match form {
            RecipientsForm::Csv { csv } => {
                let (recipients, refused) =
                    csv_recipients(&csv).map_err(|lines| line_errors_on("recipients", &lines))?;
                self.notices.insert_recipients(&list, 1, &recipients).await?;
                let left_out = u32::try_from(refused.len()).unwrap_or(u32::MAX);
                let because = BTreeMap::from([("no usable email address".to_owned(), left_out)]);
                let chosen = RecipientList {
                    list,
                    count: recipients.len() as u32,
                    source: RecipientSource::Csv,
                    left_out,
                    left_out_because: if left_out > 0 { because } else { BTreeMap::new() },
                    jurisdictions: Vec::new(),
                    already_told: 0,
                };
                (chosen, refused)
            }
            RecipientsForm::Register { jurisdictions } => {
                let jurisdictions = parse_patterns(jurisdictions)?;
                let served: Vec<(&str, &Rule)> = notice
                    .content
                    .serves
                    .iter()
                    .filter_map(|id| detail.record.obligations.iter().find(|o| &o.id == id))
                    .map(|o| (o.id.as_str(), &o.rule))
                    .collect();
                let selection = self.select_from_register(reference, &list, &served, jurisdictions.clone()).await?;
                let chosen = RecipientList {
                    list,
                    count: selection.taken,
                    source: RecipientSource::Register,
                    left_out: selection.left_out_count(),
                    left_out_because: selection.left_out.clone(),
                    jurisdictions,
                    already_told: selection.already_told,
                };
                (chosen, selection.examples)
            }
        };
        let count = chosen.count;
        let incident = self
            .change_incident(
                reference,
                None,
                Actor::Member(caller),
                |record, _| {
                    record.editable_notice(notice_id)?;
                    Ok(vec![IncidentEvent::NoticeRecipientsSet { notice_id, recipients: chosen }])
                },
                Effects::default(),
            )
            .await?;
        Ok(NoticeRecipientsSaved { incident, count, refused })
    }

    /// Reads the register a page at a time and writes the list's deliveries as it goes.
    async fn select_from_register(
        &self,
        incident: Reference,
        list: &str,
        served: &[(&str, &Rule)],
        jurisdictions: Vec<String>,
    ) -> Result<RegisterSelection, ServiceError> {
        let mut selection = RegisterSelection::new(served, jurisdictions);
        let mut after: Option<String> = None;
        loop {
            let page = self.people.people(&incident, after.as_deref(), REGISTER_PAGE).await?;
            let first_seq = selection.taken + 1;
            let recipients: Vec<Recipient> = page.people.iter().filter_map(|p| selection.take(p)).collect();
            if !recipients.is_empty() {
                self.notices.insert_recipients(list, first_seq, &recipients).await?;
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        if selection.taken == 0 {
            let why = if selection.left_out.is_empty() && selection.already_told > 0 {
                format!("Everyone in scope was already told ({})", selection.already_told)
            } else if selection.left_out.is_empty() {
                "No one in the register is in scope of the duties this notice serves".to_owned()
            } else {
                let reasons: Vec<String> = selection.left_out.iter().map(|(why, n)| format!("{n} {why}")).collect();
                format!("No one in scope can be sent an email: {}", reasons.join(", "))
            };
            return Err(ServiceError::field("recipients", why));
        }
        Ok(selection)
    }

    fn compose_notice(
        &self,
        record: &IncidentRecord,
        notice: &Notice,
        list: &str,
        recipient: &DeliveryRow,
    ) -> anyhow::Result<Email> {
        let content = &notice.content;
        let who = &recipient.recipient;
        let context = minijinja::context! {
            name => who.name,
            account => who.account,
            incident => record.reference.to_string(),
            notice => content,
            sender_name => self.sender_name,
        };
        let mut email =
            self.templates.render("customer_notice", &who.email, &content.subject, &context, "customer-notice")?;
        email.tags.push(("incident".to_owned(), record.reference.to_string()));
        email.tags.push((DELIVERY_TAG.to_owned(), delivery_tag(list, recipient.seq)));
        Ok(email)
    }

    /// A notice of an incident the caller may see, and the incident's record, read once.
    async fn visible_notice(
        &self,
        caller: &Caller,
        reference: Reference,
        notice_id: u32,
    ) -> Result<(IncidentRecord, Notice), ServiceError> {
        let (record, _) = self.visible_incident(caller, reference).await?;
        let notice = record.notice(notice_id).map_err(ServiceError::from)?.clone();
        Ok((record, notice))
    }

    /// The notice as its first recipient would get it (or a sample recipient, before any are chosen).
    pub async fn preview_notice(
        &self,
        caller: &Caller,
        reference: Reference,
        notice_id: u32,
    ) -> Result<EmailPreview, ServiceError> {
        let (record, notice) = self.visible_notice(caller, reference, notice_id).await?;
        let (list, first) = match &notice.recipients {
            Some(chosen) => {
                let first =
                    self.notices.deliveries(&chosen.list, DeliveryPage::any_state(0, 1)).await?.into_iter().next();
                (chosen.list.clone(), first)
            }
            None => (String::new(), None),
        };
        let first = first.unwrap_or_else(|| DeliveryRow {
            seq: 1,
            recipient: Recipient {
                email: "customer@example.com".to_owned(),
                name: Some("Alex Example".to_owned()),
                account: None,
                jurisdiction: None,
                person: None,
                data_elements: Vec::new(),
            },
            state: DeliveryState::Pending,
            outcome: Default::default(),
        });
        let email = self.compose_notice(&record, &notice, &list, &first)?;
        let to = notice.recipients.as_ref().map(|r| format!("{} recipient(s)", r.count)).unwrap_or_default();
        Ok(EmailPreview {
            to: vec![first.recipient.email, to],
            subject: email.subject,
            text: email.text,
            html: email.html,
        })
    }

    /// How far the notice's sending is, and the deliveries that need a look.
    pub async fn notice_progress(
        &self,
        caller: &Caller,
        reference: Reference,
        notice_id: u32,
    ) -> Result<NoticeProgress, ServiceError> {
        let (_, notice) = self.visible_notice(caller, reference, notice_id).await?;
        let Some(chosen) = &notice.recipients else { return Ok(NoticeProgress::default()) };
        // One pass over the deliveries gives both the counts and the problems.
        let mut progress = NoticeProgress::default();
        let mut after = 0;
        loop {
            let rows = self.notices.deliveries(&chosen.list, DeliveryPage::any_state(after, 500)).await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            for row in rows {
                progress.counts.add(&row.state, row.outcome);
                let problem = matches!(row.state, DeliveryState::Failed { .. } | DeliveryState::Suppressed { .. })
                    || row.outcome.suppresses();
                if problem && progress.problems.len() < PROBLEMS_SHOWN {
                    progress.problems.push(DeliveryView {
                        seq: row.seq,
                        email: row.recipient.email,
                        name: row.recipient.name,
                        state: row.state,
                        outcome: row.outcome,
                    });
                }
            }
        }
        Ok(progress)
    }

    /// Sends what every active campaign has pending, within `budget`; what is left waits for the
    /// next run. Interrupted deliveries are settled first, never sent blindly again.
    pub async fn send_notices(&self, budget: Duration) -> Result<SendRun, ServiceError> {
        let deadline = tokio::time::Instant::now() + budget;
        let mut pacing =
            tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(self.campaigns.per_second.max(1))));
        pacing.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut run = SendRun::default();
        for campaign in self.notices.active_campaigns().await? {
            let Some((record, _)) = self.incidents.incident(campaign.incident).await? else { continue };
            let Some(notice) = record.notices.iter().find(|n| n.campaign() == Some(campaign.list.as_str())) else {
                tracing::error!(list = %campaign.list, "an active campaign has no approved notice; skipped");
                continue;
            };
            self.settle_interrupted(&campaign, &mut run).await?;
            let mut after = 0;
            'list: loop {
                let rows = self
                    .notices
                    .deliveries(&campaign.list, DeliveryPage::in_state(DeliveryKind::Pending, after, BATCH))
                    .await?;
                let Some(last) = rows.last() else { break };
                after = last.seq;
                for row in rows {
                    if tokio::time::Instant::now() >= deadline {
                        run.out_of_time = true;
                        break 'list;
                    }
                    self.deliver(&record, notice, &campaign, row, &mut pacing, &mut run).await?;
                }
            }
            if run.out_of_time {
                return Ok(run);
            }
            self.finish_if_settled(&campaign, &mut run).await?;
        }
        Ok(run)
    }

    async fn deliver(
        &self,
        record: &IncidentRecord,
        notice: &Notice,
        campaign: &Campaign,
        row: DeliveryRow,
        pacing: &mut tokio::time::Interval,
        run: &mut SendRun,
    ) -> Result<(), ServiceError> {
        let list = &campaign.list;
        if let Some(reason) = self.notices.suppression(&row.recipient.email).await? {
            if self.notices.move_delivery(list, row.seq, &row.state, &DeliveryState::Suppressed { reason }).await? {
                run.suppressed += 1;
            }
            return Ok(());
        }
        // Paced before the claim, so a claimed delivery is sent at once: a sender that dies
        // between the two leaves nothing claimed and unsent for long.
        pacing.tick().await;
        let claimed = DeliveryState::Sending { claimed_at: self.clock.now() };
        if !self.notices.move_delivery(list, row.seq, &row.state, &claimed).await? {
            return Ok(()); // another sender took it
        }
        let sent = match self.compose_notice(record, notice, list, &row) {
            Ok(email) => self.mailer.send(&email).await,
            Err(error) => Err(error),
        };
        let at = self.clock.now();
        let settled = match sent {
            Ok(message_id) => {
                run.sent += 1;
                DeliveryState::Sent { message_id, at }
            }
            Err(error) => {
                run.failed += 1;
                tracing::error!(%list, seq = row.seq, %error, "a customer notice was not sent");
                DeliveryState::Failed { reason: format!("{error:#}"), at }
            }
        };
        // Only this run holds the claim, so the move cannot lose; if the store fails here, the
        // claim goes stale and the next run settles it from the mailer's record.
        self.notices.move_delivery(list, row.seq, &claimed, &settled).await?;
        Ok(())
    }

    /// Deliveries claimed long ago and never settled: the run that claimed them stopped between
    /// claiming and recording the result.
    async fn settle_interrupted(&self, campaign: &Campaign, run: &mut SendRun) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let mut after = 0;
        loop {
            let rows = self
                .notices
                .deliveries(&campaign.list, DeliveryPage::in_state(DeliveryKind::Sending, after, BATCH))
                .await?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.seq;
            for row in rows {
                let DeliveryState::Sending { claimed_at } = row.state else { continue };
                if now - claimed_at < self.campaigns.stale_after {
                    continue;
                }
                let settled = match self.mailer.sent_with_tag(&delivery_tag(&campaign.list, row.seq)).await? {
                    SentLookup::Sent { message_id } => {
                        run.recovered += 1;
                        DeliveryState::Sent { message_id, at: claimed_at }
                    }
                    SentLookup::NotSent => DeliveryState::Pending,
                    SentLookup::Unknown if now - claimed_at >= self.campaigns.unconfirmed_after => {
                        DeliveryState::Failed { reason: UNCONFIRMED.to_owned(), at: now }
                    }
                    SentLookup::Unknown => continue,
                };
                self.notices.move_delivery(&campaign.list, row.seq, &row.state, &settled).await?;
            }
        }
    }

    /// Ends a campaign whose deliveries are all settled: the people it told are counted in the
    /// register, the result goes on the timeline, and the duties it serves are met once everyone
    /// in their scope has been told.
    async fn finish_if_settled(&self, campaign: &Campaign, run: &mut SendRun) -> Result<(), ServiceError> {
        let counts = self.notices.delivery_counts(&campaign.list).await?;
        if !counts.settled() {
            return Ok(());
        }
        let at = self.clock.now();
        let notice_id = campaign.notice_id;
        let told = self.count_told(campaign, at).await?;
        let finished = self
            .change_incident(
                campaign.incident,
                None,
                Actor::Tocsin(TOCSIN),
                |record, _| {
                    if record.notice(notice_id)?.finished.is_some() {
                        return Err(WorkflowError::Refused(ALREADY_FINISHED.to_owned()));
                    }
                    Ok(campaign_finished(record, notice_id, counts, told, at))
                },
                Effects::default(),
            )
            .await;
        match finished {
            Ok(_) => run.finished.push(campaign.list.clone()),
            // Another run finished it first.
            Err(ServiceError::Refused(message) | ServiceError::Conflict(message)) => {
                tracing::info!(list = %campaign.list, %message, "the campaign was finished elsewhere or will be next run");
            }
            Err(other) => return Err(other),
        }
        Ok(())
    }

    /// Marks in the register everyone a campaign from the register reached, for each duty its
    /// notice serves whose scope they are in; the people told per duty after it. `None` for a
    /// list from a file, whose people the register does not know.
    async fn count_told(&self, campaign: &Campaign, at: DateTime<Utc>) -> Result<Option<ToldCounts>, ServiceError> {
        let (record, _) = self.incidents.incident(campaign.incident).await?.ok_or(ServiceError::NotFound)?;
        let notice = record.notice(campaign.notice_id).map_err(ServiceError::from)?;
        if notice.recipients.as_ref().is_none_or(|list| list.source != RecipientSource::Register) {
            return Ok(None);
        }
        let served: Vec<_> = record
            .obligations
            .iter()
            .filter(|o| notice.content.serves.contains(&o.id) && o.rule.tells_individuals())
            .collect();
        let mut after_seq = 0;
        loop {
            let page =
                self.notices.deliveries(&campaign.list, DeliveryPage::any_state(after_seq, REGISTER_PAGE)).await?;
            let Some(last) = page.last() else { break };
            after_seq = last.seq;
            let told: Vec<Told> = page
                .iter()
                .filter(|d| matches!(d.state, DeliveryState::Sent { .. }) && !d.outcome.hard_bounced)
                .flat_map(|d| {
                    let person = d.recipient.person.clone();
                    served.iter().filter(|o| covers(&o.rule, &d.recipient)).filter_map(move |o| {
                        Some(Told {
                            person: person.clone()?,
                            duty: o.id.clone(),
                            by: ToldBy::Notice(campaign.notice_id),
                            at,
                        })
                    })
                })
                .collect();
            if !told.is_empty() {
                self.people.mark_told(&campaign.incident, &told).await?;
            }
        }
        Ok(Some(self.people.told_counts(&campaign.incident).await?))
    }

    /// A message of a finished register campaign bounced: the person no longer counts as told by
    /// that notice, and a duty met by coverage they were part of opens again.
    async fn untell_bounced(&self, list: &str, person: &str, message_id: &str) -> Result<(), ServiceError> {
        let mut parts = list.split('.');
        let (Some(Ok(incident)), Some(Ok(notice_id))) =
            (parts.next().map(str::parse::<Reference>), parts.next().map(|n| n.trim_start_matches('N').parse::<u32>()))
        else {
            return Ok(());
        };
        let Some((record, _)) = self.incidents.incident(incident).await? else { return Ok(()) };
        if record.notice(notice_id).map_err(ServiceError::from)?.finished.is_none() {
            // The campaign's end counts only what did not bounce.
            return Ok(());
        }
        let told = self.people.unmark_told(&incident, person, ToldBy::Notice(notice_id)).await?;
        let why = format!("Customer notice {notice_id} bounced for {person} (message {message_id})");
        self.change_incident(
            incident,
            None,
            Actor::Tocsin(TOCSIN),
            move |record, ctx| {
                let counted = IncidentEvent::PeopleTold { told };
                let mut after = record.clone();
                after.apply(&counted, ctx.now, TOCSIN);
                Ok(std::iter::once(counted).chain(coverage_reopened(&after, &why)).collect())
            },
            Effects::default(),
        )
        .await?;
        Ok(())
    }

    /// What the mail service said about a notice's message (SES events: send, delivery, bounce,
    /// complaint). Merging is idempotent and order-free; a Send or any later event settles an
    /// interrupted delivery as sent; a hard bounce or a complaint suppresses the address.
    /// `false` if the event is about no delivery Tocsin knows.
    pub async fn record_mail_event(&self, report: MailEventReport) -> Result<bool, ServiceError> {
        let Some((list, seq)) = report.delivery.rsplit_once('.') else { return Ok(false) };
        let Ok(seq) = seq.parse::<u32>() else { return Ok(false) };
        let Some(row) = self.notices.merge_mail_event(list, seq, report.event).await? else { return Ok(false) };
        if let DeliveryState::Sending { claimed_at } = row.state {
            let sent = DeliveryState::Sent { message_id: report.message_id.clone(), at: claimed_at };
            self.notices.move_delivery(list, seq, &row.state, &sent).await?;
        }
        if row.outcome.hard_bounced
            && let Some(person) = &row.recipient.person
        {
            self.untell_bounced(list, person, &report.message_id).await?;
        }
        if row.outcome.suppresses() {
            let reason = if row.outcome.complained { "a complaint" } else { "a permanent bounce" };
            let reason = format!("{reason} on notice message {}", report.message_id);
            self.notices.suppress(&row.recipient.email, &reason).await?;
        }
        Ok(true)
    }
}

const UNCONFIRMED: &str = "Sending was interrupted and the mail service never confirmed this message; it was not \
                           sent again, to avoid a duplicate. Check with the recipient before sending it by hand.";
const ALREADY_FINISHED: &str = "the campaign is already finished";
