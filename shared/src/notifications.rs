//! Outgoing notifications: who an email about an incident is for, and what the dashboard shows of
//! one before it is sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deadlines::obligation::{Evidence, EvidenceKind};
use crate::deadlines::rules::Audience;
use crate::workflow::record::{IncidentEvent, IncidentRecord};

/// Who a notification is for; each has its own template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// IT and management, within the hour of detection (the incident policy, section 7).
    Internal,
    /// The team's status update to the incident's stakeholders.
    Stakeholder,
}

impl NotificationKind {
    /// The audience of the duties a notification of this kind meets, if any.
    pub fn audience(self) -> Option<Audience> {
        match self {
            NotificationKind::Internal => Some(Audience::Internal),
            NotificationKind::Stakeholder => None,
        }
    }

    pub const ALL: [NotificationKind; 2] = [NotificationKind::Internal, NotificationKind::Stakeholder];

    /// The template pair (`<name>.txt`, `<name>.html`) it is written from.
    pub fn template(self) -> &'static str {
        match self {
            NotificationKind::Internal => "internal_notification",
            NotificationKind::Stakeholder => "stakeholder_update",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::Internal => "Internal notification",
            NotificationKind::Stakeholder => "Status update",
        }
    }

    /// Its name in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Internal => "internal",
            NotificationKind::Stakeholder => "stakeholder",
        }
    }
}

/// An email as it would be sent: the dashboard shows it before anything goes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPreview {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The events of a notification sent at `sent_at`: the notification on the timeline, and, when it
/// reached everyone (`complete`), every open duty to tell its audience met, with the message ids
/// as evidence.
pub fn notification_sent(
    record: &IncidentRecord,
    kind: NotificationKind,
    subject: String,
    message: Option<String>,
    sent: Vec<(String, String)>,
    sent_at: DateTime<Utc>,
    complete: bool,
) -> Vec<IncidentEvent> {
    let (recipients, message_ids): (Vec<String>, Vec<String>) = sent.into_iter().unzip();
    let evidence = Evidence { kind: EvidenceKind::MessageId, value: message_ids.join(", "), file: None };
    let met = record
        .obligations
        .iter()
        .filter(|o| complete && o.is_open() && kind.audience().is_some_and(|a| o.rule.notify == [a]))
        .map(|o| IncidentEvent::ObligationMet { id: o.id.clone(), met_at: sent_at, evidence: evidence.clone() })
        .collect::<Vec<_>>();
    let sent = IncidentEvent::NotificationSent { kind, subject, recipients, message_ids, message };
    std::iter::once(sent).chain(met).collect()
}

/// The longest status update.
pub const UPDATE_MAX: usize = 10_000;

/// A status update for the incident's stakeholders, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusUpdateForm {
    /// Markdown.
    pub message: String,
}

/// A plain mailbox (no display name, no `[IP]` domain, a domain with a dot), lower-cased: the
/// only shape of address Tocsin sends to.
pub fn parse_address(raw: &str) -> Result<String, String> {
    use email_address::{EmailAddress, Options};
    let options = Options::default().without_display_text().without_domain_literal().with_required_tld();
    let text = raw.trim();
    match EmailAddress::parse_with_options(text, options) {
        Ok(_) if !text.chars().any(char::is_control) => Ok(text.to_lowercase()),
        _ => Err(format!("{text:?} is not an email address in the format name@example.com")),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::deadlines::calendar::Calendars;
    use crate::deadlines::obligation::{Deadlines, ObligationStatus};
    use crate::deadlines::rules::{BUILT_IN_RULES, EntityRole, Organisation, RuleSet, RulesFile};
    use crate::reference::{Reference, ReferenceKind};
    use crate::workflow::record::Origin;

    fn new_incident(now: DateTime<Utc>) -> IncidentRecord {
        let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
        let calendars = Calendars::built_in();
        let rules = RuleSet::from_files(&[file], &calendars).unwrap();
        let organisation = Organisation { roles: vec![EntityRole::Controller], calendar: "us-federal".into() };
        let deadlines = Deadlines { rules, calendars, organisation };
        let reference = Reference { kind: ReferenceKind::Incident, year: 2026, number: 1 };
        let opened = IncidentEvent::Opened { title: "Leak".into(), origin: Origin::Declared, detected_at: None };
        let mut record = IncidentRecord::open(reference, &opened, now, "Tyler").unwrap();
        let reconciled = deadlines.reconcile(&record, now).unwrap();
        record.apply(&reconciled, now, "Tyler");
        record
    }

    #[test]
    fn only_a_notification_that_reached_everyone_meets_the_internal_duty() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let record = new_incident(now);
        let sent = || vec![("it@corp.example".to_owned(), "m-1".to_owned())];
        let internal = || NotificationKind::Internal;

        let partial = notification_sent(&record, internal(), "New incident".into(), None, sent(), now, false);
        assert!(matches!(partial[..], [IncidentEvent::NotificationSent { .. }]), "{partial:?}");

        let complete = notification_sent(&record, internal(), "New incident".into(), None, sent(), now, true);
        assert_eq!(complete.len(), 2, "the notification and the one duty it meets: {complete:?}");
        let mut record = record;
        for event in complete {
            record.apply(&event, now, "Tocsin");
        }
        let duty = record.obligations.iter().find(|o| o.id == "POLICY-INTERNAL").unwrap();
        let ObligationStatus::Met { evidence, met_at, .. } = &duty.status else { panic!("{:?}", duty.status) };
        assert_eq!((evidence.kind, evidence.value.as_str(), *met_at), (EvidenceKind::MessageId, "m-1", now));
    }
}
