//! The incident report for the file and for print, with its timeline and the audit chain's state.

use minijinja::Value;
use shared::access::SecurityEvent;
use shared::audit::{AuditBody, AuditEvent};
use shared::record::{IncidentEvent, describe};
use shared::reference::Reference;

use super::access::Caller;
use super::error::ServiceError;
use super::export_templates::{ExportFormat, SentLine, TimelineLine};
use super::markdown::render_note;
use super::services::Services;
use shared::time::utc_minute;

impl Services {
    /// The whole incident report, with its timeline and the audit chain's state at export time.
    pub async fn export_incident(
        &self,
        caller: &Caller,
        reference: Reference,
        format: ExportFormat,
    ) -> Result<String, ServiceError> {
        let detail = self.incident(caller, reference).await?;
        let (entries, verification) = self.audit_trail(reference).await?;
        let mut timeline = Vec::new();
        let mut sent = Vec::new();
        for entry in entries {
            let body: AuditBody = serde_json::from_str(&entry.body)
                .map_err(|e| anyhow::anyhow!("audit entry {} of {reference} is unreadable: {e}", entry.seq))?;
            let AuditEvent::Incident(event) = &body.event else { continue };
            if let IncidentEvent::NotificationSent { kind, subject, recipients, .. } = event {
                sent.push(SentLine {
                    at: utc_minute(body.at),
                    kind: kind.label(),
                    subject: subject.clone(),
                    recipients: recipients.len(),
                });
            }
            let (note_markdown, note_html) = match event {
                IncidentEvent::NoteAdded { markdown } => {
                    (Some(markdown.clone()), Some(Value::from_safe_string(render_note(markdown))))
                }
                _ => (None, None),
            };
            timeline.push(TimelineLine {
                at: utc_minute(body.at),
                actor: body.actor,
                summary: describe(event),
                note_markdown,
                note_html,
            });
        }
        let text = self.exports.render(format, &detail, &verification, timeline, sent, self.clock.now())?;
        let what = format!("the {} export of {reference}", format.extension());
        self.log_security(caller.name(), SecurityEvent::Exported { what }).await?;
        Ok(text)
    }
}
