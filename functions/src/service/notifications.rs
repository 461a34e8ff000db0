//! Notifications: the internal notification sent when an incident opens, the team's status
//! updates to stakeholders, reporters told of their report's new status, and previews.

use shared::api::IncidentDetail;
use shared::audit::{AuditEvent, ReportEvent};
use shared::filings::{FilingDraft, is_filing};
use shared::notifications::{EmailPreview, NotificationKind, StatusUpdateForm, UPDATE_MAX};
use shared::record::Origin;
use shared::record::drafts::draft;
use shared::record::effects::notification_sent;
use shared::reference::Reference;
use shared::time::utc_minute;
use shared::validation::multi_line;
use shared::workflow::roles::Role;

use super::access::{Actor, Caller};
use super::commit::Effects;
use super::error::ServiceError;
use super::markdown::render_note;
use super::services::Services;
use crate::ports::Email;

/// Who Tocsin is on an incident's timeline when it acts by itself.
const TOCSIN: &str = "Tocsin";

/// What one notification to a list of people came to.
struct Sent {
    subject: String,
    /// Recipient and message id, for each message that went.
    messages: Vec<(String, String)>,
    /// Every recipient got theirs.
    complete: bool,
}

impl Services {
    fn incident_url(&self, reference: Reference) -> String {
        format!("{}/dashboard/incidents/{reference}", self.public_url)
    }

    /// A notification of `kind` about the incident, addressed to `to`; `message` is a status
    /// update's Markdown (its HTML part is rendered with raw HTML escaped).
    fn compose(
        &self,
        detail: &IncidentDetail,
        kind: NotificationKind,
        to: &str,
        message: Option<&str>,
    ) -> anyhow::Result<Email> {
        let record = &detail.record;
        let how = match &record.origin {
            Origin::Report { report } => format!("reported ({report})"),
            Origin::Declared => "declared".to_owned(),
            Origin::Alert { source } => format!("raised by an alert from {source}"),
        };
        let holder = |role| record.current_holders(role).next().map(str::to_owned);
        let context = minijinja::context! {
            how,
            incident => record.reference.to_string(),
            title => record.title,
            phase => record.phase.label(),
            detected_at => utc_minute(detail.detected_at),
            opened_at => utc_minute(record.opened_at),
            opened_by => record.opened_by,
            category => record.classification.category.map(|c| c.label()),
            severity => record.classification.severity.map(|s| s.label()),
            response_lead => holder(Role::ResponseLead),
            technical_lead => holder(Role::TechnicalLead),
            url => self.incident_url(record.reference),
            message,
            message_html => message.map(|m| minijinja::Value::from_safe_string(render_note(m))),
        };
        let subject = match kind {
            NotificationKind::Internal => format!("Security incident {}: {}", record.reference, record.title),
            NotificationKind::Stakeholder => {
                format!("Update on security incident {}: {}", record.reference, record.title)
            }
        };
        let mut email = self.templates.render(kind.template(), to, &subject, &context, kind.as_str())?;
        email.tags.push(("incident".to_owned(), record.reference.to_string()));
        Ok(email)
    }

    /// One message per recipient; a failure is logged and leaves the rest going.
    async fn send_to_each(
        &self,
        detail: &IncidentDetail,
        kind: NotificationKind,
        recipients: &[String],
        message: Option<&str>,
    ) -> Sent {
        let reference = detail.record.reference;
        let mut sent = Sent { subject: String::new(), messages: Vec::new(), complete: true };
        for to in recipients {
            let result = match self.compose(detail, kind, to, message) {
                Ok(email) => {
                    sent.subject.clone_from(&email.subject);
                    self.mailer.send(&email).await
                }
                Err(error) => Err(error),
            };
            match result {
                Ok(message_id) => sent.messages.push((to.clone(), message_id)),
                Err(error) => {
                    sent.complete = false;
                    tracing::error!(%reference, %to, %error, kind = kind.as_str(), "a notification was not sent");
                }
            }
        }
        sent
    }

    /// Puts what went on the incident's timeline, meeting the duties it fulfils.
    async fn record_sent(
        &self,
        reference: Reference,
        kind: NotificationKind,
        message: Option<String>,
        sent: Sent,
        actor: Actor<'_>,
    ) -> Result<IncidentDetail, ServiceError> {
        let at = self.clock.now();
        let Sent { subject, messages, complete } = sent;
        self.change_incident(
            reference,
            None,
            actor,
            |record, _| Ok(notification_sent(record, kind, subject, message, messages, at, complete)),
            Effects::default(),
        )
        .await
    }

    /// Emails IT and management about a newly opened incident, one message each, and records it on
    /// the incident; when every message went, the one-hour internal notification duty is met. A
    /// failure leaves that duty open, so the deadline checker reminds and escalates.
    pub(super) async fn notify_internal(&self, detail: IncidentDetail) -> IncidentDetail {
        if self.internal_recipients.is_empty() {
            return detail;
        }
        let reference = detail.record.reference;
        let sent = self.send_to_each(&detail, NotificationKind::Internal, &self.internal_recipients, None).await;
        if sent.messages.is_empty() {
            return detail;
        }
        match self.record_sent(reference, NotificationKind::Internal, None, sent, Actor::Tocsin(TOCSIN)).await {
            Ok(updated) => updated,
            Err(error) => {
                tracing::error!(%reference, %error, "the internal notification went out but was not recorded");
                detail
            }
        }
    }

    /// Sends the team's status update to every stakeholder of the incident and puts it on the
    /// timeline with the message ids.
    pub async fn post_status_update(
        &self,
        reference: Reference,
        form: StatusUpdateForm,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let message = multi_line(&form.message, "Update", 1, UPDATE_MAX)
            .map_err(|error| ServiceError::field("message", error))?;
        let detail = self.incident(caller, reference).await?;
        let stakeholders = detail.record.stakeholders.clone();
        if stakeholders.is_empty() {
            return Err(ServiceError::Refused("The incident has no stakeholders yet: add them first".to_owned()));
        }
        let sent = self.send_to_each(&detail, NotificationKind::Stakeholder, &stakeholders, Some(&message)).await;
        if sent.messages.is_empty() {
            return Err(ServiceError::Unavailable("the update could not be sent; try again".to_owned()));
        }
        self.record_sent(reference, NotificationKind::Stakeholder, Some(message), sent, Actor::Member(caller)).await
    }

    /// A notification of `kind` about the incident as it would be sent now; `message` is a status
    /// update as typed so far.
    pub async fn preview_notification(
        &self,
        caller: &Caller,
        reference: Reference,
        kind: NotificationKind,
        message: &str,
    ) -> Result<EmailPreview, ServiceError> {
        let detail = self.incident(caller, reference).await?;
        let (to, message) = match kind {
            NotificationKind::Internal => (self.internal_recipients.clone(), None),
            NotificationKind::Stakeholder => (detail.record.stakeholders.clone(), Some(message)),
        };
        let first = to.first().map_or("someone@example.com", String::as_str);
        let email = self.compose(&detail, kind, first, message)?;
        Ok(EmailPreview { to, subject: email.subject, text: email.text, html: email.html })
    }
}

impl Services {
    /// The filing for a duty to tell an authority: each required item answered by the team or
    /// drafted from the record, what is missing, and the filing once recorded.
    pub async fn filing(
        &self,
        caller: &Caller,
        reference: Reference,
        obligation: &str,
    ) -> Result<FilingDraft, ServiceError> {
        let detail = self.incident(caller, reference).await?;
        let duty = detail.record.obligations.iter().find(|o| o.id == obligation && is_filing(o));
        let duty = duty.ok_or(ServiceError::NotFound)?;
        Ok(draft(&detail.record, duty, self.contact_point.as_deref()))
    }

    /// Emails the reporter (if they left an address) the status their report now has, and keeps
    /// the message id on the report's audit trail. A failure is logged: the follow-up page shows
    /// the status either way.
    pub(super) async fn notify_reporter(&self, report: Reference, actor: &str) {
        if let Err(error) = self.try_notify_reporter(report, actor).await {
            tracing::error!(%report, %error, "the reporter was not told of the new status");
        }
    }

    async fn try_notify_reporter(&self, report: Reference, actor: &str) -> Result<(), ServiceError> {
        let detail = self.stored_report(report).await?;
        let Some(to) = detail.reporter_email.as_deref() else { return Ok(()) };
        let context = minijinja::context! {
            name => detail.reporter_name,
            reference => report.to_string(),
            status => detail.status.label(),
            dismissal_reason => detail.dismissal_reason,
            sender_name => self.sender_name,
            // A report made by email has no follow-up link: its reporter answers by email.
            by_email => detail.email.is_some(),
        };
        let subject = format!("Your security report {report}: {}", detail.status.label());
        let mut email = self.templates.render("reporter_update", to, &subject, &context, "reporter-update")?;
        email.tags.push(("report".to_owned(), report.to_string()));
        let message_id = self.mailer.send(&email).await?;
        let event = ReportEvent::ReporterNotified { status: detail.status, message_id };
        self.append_event(report, actor, AuditEvent::Report(event)).await
    }
}
