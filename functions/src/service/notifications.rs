//! Notifications about incidents: the internal notification sent when an incident opens, and
//! previews of what would be sent.

use shared::api::IncidentDetail;
use shared::notifications::{EmailPreview, NotificationKind, notification_sent};
use shared::reference::Reference;
use shared::workflow::record::{IncidentRecord, Origin};
use shared::workflow::roles::Role;

use super::workflow::Effects;
use super::{ServiceError, Services};
use crate::ports::Email;

/// Who Tocsin is on an incident's timeline when it acts by itself.
const TOCSIN: &str = "Tocsin";

fn utc(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

impl Services {
    fn incident_url(&self, reference: Reference) -> String {
        format!("{}/dashboard/incidents/{reference}", self.public_url)
    }

    /// The internal notification of an incident, addressed to `to`.
    fn internal_notification(&self, detail: &IncidentDetail, to: &str) -> anyhow::Result<Email> {
        let record: &IncidentRecord = &detail.record;
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
            detected_at => utc(detail.detected_at),
            opened_at => utc(record.opened_at),
            opened_by => record.opened_by,
            category => record.classification.category.map(|c| c.label()),
            severity => record.classification.severity.map(|s| s.label()),
            response_lead => holder(Role::ResponseLead),
            technical_lead => holder(Role::TechnicalLead),
            url => self.incident_url(record.reference),
        };
        let subject = format!("Security incident {}: {}", record.reference, record.title);
        let mut email =
            self.templates.render(NotificationKind::Internal.template(), to, &subject, &context, "internal")?;
        email.tags.push(("incident".to_owned(), record.reference.to_string()));
        Ok(email)
    }

    /// Emails IT and management about a newly opened incident, one message each, and records it on
    /// the incident; when every message went, the one-hour internal notification duty is met. A
    /// failure leaves that duty open, so the deadline checker reminds and escalates.
    pub(super) async fn notify_internal(&self, detail: IncidentDetail) -> IncidentDetail {
        if self.internal_recipients.is_empty() {
            return detail;
        }
        let reference = detail.record.reference;
        let mut sent = Vec::new();
        let mut subject = String::new();
        for to in &self.internal_recipients {
            let result = match self.internal_notification(&detail, to) {
                Ok(email) => {
                    subject.clone_from(&email.subject);
                    self.mailer.send(&email).await
                }
                Err(error) => Err(error),
            };
            match result {
                Ok(message_id) => sent.push((to.clone(), message_id)),
                Err(error) => tracing::error!(%reference, %to, %error, "the internal notification was not sent"),
            }
        }
        if sent.is_empty() {
            return detail;
        }
        let complete = sent.len() == self.internal_recipients.len();
        let sent_at = self.clock.now();
        let recorded = self
            .change_incident(
                reference,
                None,
                TOCSIN,
                |record, _| Ok(notification_sent(record, NotificationKind::Internal, subject, sent, sent_at, complete)),
                Effects::default(),
            )
            .await;
        match recorded {
            Ok(updated) => updated,
            Err(error) => {
                tracing::error!(%reference, %error, "the internal notification went out but was not recorded");
                detail
            }
        }
    }

    /// A notification of `kind` about the incident, as it would be sent now.
    pub async fn preview_notification(
        &self,
        reference: Reference,
        kind: NotificationKind,
    ) -> Result<EmailPreview, ServiceError> {
        let detail = self.incident(reference).await?;
        let to = match kind {
            NotificationKind::Internal => self.internal_recipients.clone(),
        };
        let email = self.internal_notification(&detail, to.first().map_or("it@example.com", String::as_str))?;
        Ok(EmailPreview { to, subject: email.subject, text: email.text, html: email.html })
    }
}
