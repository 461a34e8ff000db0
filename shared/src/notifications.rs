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
}

impl NotificationKind {
    /// The audience of the duties a notification of this kind meets.
    pub fn audience(self) -> Audience {
        match self {
            NotificationKind::Internal => Audience::Internal,
        }
    }

    pub const ALL: [NotificationKind; 1] = [NotificationKind::Internal];

    /// The template pair (`<name>.txt`, `<name>.html`) it is written from.
    pub fn template(self) -> &'static str {
        match self {
            NotificationKind::Internal => "internal_notification",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::Internal => "Internal notification",
        }
    }

    /// Its name in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Internal => "internal",
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
    sent: Vec<(String, String)>,
    sent_at: DateTime<Utc>,
    complete: bool,
) -> Vec<IncidentEvent> {
    let (recipients, message_ids): (Vec<String>, Vec<String>) = sent.into_iter().unzip();
    let evidence = Evidence { kind: EvidenceKind::MessageId, value: message_ids.join(", "), file: None };
    let met = record
        .obligations
        .iter()
        .filter(|o| complete && o.is_open() && o.rule.notify == [kind.audience()])
        .map(|o| IncidentEvent::ObligationMet { id: o.id.clone(), met_at: sent_at, evidence: evidence.clone() })
        .collect::<Vec<_>>();
    std::iter::once(IncidentEvent::NotificationSent { kind, subject, recipients, message_ids }).chain(met).collect()
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

        let partial = notification_sent(&record, internal(), "New incident".into(), sent(), now, false);
        assert!(matches!(partial[..], [IncidentEvent::NotificationSent { .. }]), "{partial:?}");

        let complete = notification_sent(&record, internal(), "New incident".into(), sent(), now, true);
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
