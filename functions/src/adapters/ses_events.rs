//! SES event publishing as EventBridge delivers it (detail-type "Email Sent", "Email Delivered",
//! "Email Bounced", ...): read into the [`MailEventReport`] the notices use case takes. Events
//! about email that carries no delivery tag (receipts, reminders) are not about a notice.

use std::collections::HashMap;

use serde::Deserialize;
use shared::notices::MailEvent;

use crate::ports::{DELIVERY_TAG, MailEventReport};

#[derive(Deserialize)]
struct Envelope {
    detail: Detail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    event_type: String,
    mail: Mail,
    bounce: Option<Bounce>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
}

/// The notice event an EventBridge event holds; `Ok(None)` for an event that is not about a
/// notice or that changes nothing (opens, clicks, subscriptions).
pub fn parse(event: &serde_json::Value) -> Result<Option<MailEventReport>, serde_json::Error> {
    let Envelope { detail } = Envelope::deserialize(event)?;
    let event = match (detail.event_type.as_str(), &detail.bounce) {
        ("Send", _) => MailEvent::Accepted,
        ("Delivery", _) => MailEvent::Delivered,
        ("Bounce", Some(bounce)) if bounce.bounce_type == "Permanent" => MailEvent::HardBounce,
        ("Bounce", _) | ("DeliveryDelay", _) => MailEvent::SoftBounce,
        ("Complaint", _) => MailEvent::Complaint,
        _ => return Ok(None),
    };
    let Some(delivery) = detail.mail.tags.get(DELIVERY_TAG).and_then(|values| values.first()) else { return Ok(None) };
    Ok(Some(MailEventReport { delivery: delivery.clone(), message_id: detail.mail.message_id, event }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut detail = serde_json::json!({
            "eventType": event_type,
            "mail": { "messageId": "0100-abc", "tags": { "delivery": ["INC-2026-000001.N1.x.7"], "kind": ["customer-notice"] } }
        });
        detail.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::json!({ "detail-type": "Email Bounced", "source": "aws.ses", "detail": detail })
    }

    #[test]
    fn reads_a_bounce_as_eventbridge_delivers_it() {
        let event = serde_json::from_str(include_str!("../../tests/fixtures/ses-bounce-eventbridge.json")).unwrap();
        let report = parse(&event).unwrap().expect("a notice's event");
        assert_eq!(report.delivery, "INC-2026-000001.N1.019ab3c4d5e67f8091a2b3c4d5e6f708.7");
        assert_eq!(
            (report.message_id.as_str(), report.event),
            ("0102018b-aaaa-bbbb-cccc-000000000007", MailEvent::HardBounce)
        );
    }

    #[test]
    fn reads_each_kind_of_event_and_skips_what_is_not_about_a_notice() {
        let permanent = event("Bounce", serde_json::json!({ "bounce": { "bounceType": "Permanent" } }));
        let report = parse(&permanent).unwrap().unwrap();
        assert_eq!((report.delivery.as_str(), report.message_id.as_str()), ("INC-2026-000001.N1.x.7", "0100-abc"));
        assert_eq!(report.event, MailEvent::HardBounce);
        let transient = event("Bounce", serde_json::json!({ "bounce": { "bounceType": "Transient" } }));
        assert_eq!(parse(&transient).unwrap().unwrap().event, MailEvent::SoftBounce);
        assert_eq!(parse(&event("Send", serde_json::json!({}))).unwrap().unwrap().event, MailEvent::Accepted);
        assert_eq!(parse(&event("Open", serde_json::json!({}))).unwrap(), None);
        let untagged = serde_json::json!({ "detail": { "eventType": "Delivery", "mail": { "messageId": "m" } } });
        assert_eq!(parse(&untagged).unwrap(), None);
        assert!(parse(&serde_json::json!({ "detail": "nonsense" })).is_err());
    }
}
