//! Alert intake from monitoring tools: a signed webhook per source that opens an incident, or adds
//! to the one the same source key opened within the dedup window.
//!
//! Signature: header `Tocsin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the MAC is
//! over `"<t>.<raw body>"` with the source's secret. A time more than five minutes off is refused,
//! so a captured request cannot be replayed later.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::api::{AlertOutcome, AlertPayload};
use shared::record::{Context, IncidentCommand, IncidentEvent, IncidentRecord, Origin, decide, opening};
use shared::validation::single_line;
use shared::workflow::classification::Severity;
use shared::workflow::phase::Phase;

use super::access::Actor;
use super::commit::Effects;
use super::error::ServiceError;
use super::services::Services;
use crate::ports::AlertKeyWrite;

pub const SIGNATURE_HEADER: &str = "tocsin-signature";
pub const SIGNATURE_TOLERANCE: Duration = Duration::minutes(5);
/// Lost races between concurrent alerts of one key are retried this often, after a short random
/// pause that grows with each attempt so the contenders spread out.
const ATTEMPTS: u32 = 8;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("unknown alert source")]
    UnknownSource,
    #[error("the Tocsin-Signature header is missing or not of the form t=<unix time>,v1=<hex>")]
    Malformed,
    #[error("the signature time is more than five minutes from now")]
    Stale,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Checks `header` against the body with the source's secret.
pub fn verify_signature(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let (mut time, mut mac) = (None, None);
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => time = value.parse::<i64>().ok(),
            Some(("v1", value)) => mac = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (time, mac) = time.zip(mac).ok_or(SignatureError::Malformed)?;
    let signed_at = DateTime::from_timestamp(time, 0).ok_or(SignatureError::Malformed)?;
    if (now - signed_at).abs() > SIGNATURE_TOLERANCE {
        return Err(SignatureError::Stale);
    }
    let mut expected = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    expected.update(format!("{time}.").as_bytes());
    expected.update(body);
    // `verify_slice` compares in constant time.
    expected.verify_slice(&mac).map_err(|_| SignatureError::Mismatch)
}

/// The header value a sender computes; used by tests and by anyone wiring up a source.
pub fn sign(secret: &str, body: &[u8], at: DateTime<Utc>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{}.", at.timestamp()).as_bytes());
    mac.update(body);
    format!("t={},v1={}", at.timestamp(), hex::encode(mac.finalize().into_bytes()))
}

impl Services {
    /// The secret of a configured source.
    pub fn alert_secret(&self, source: &str) -> Result<&str, SignatureError> {
        self.alerts.sources.get(source).map(String::as_str).ok_or(SignatureError::UnknownSource)
    }

    pub async fn receive_alert(&self, source: &str, payload: AlertPayload) -> Result<AlertOutcome, ServiceError> {
        let key = single_line(&payload.source_key, "Source key", 1, 200).map_err(|m| field("source_key", m))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.apply_alert(source, &key, &payload).await {
                Err(ServiceError::Conflict(_)) if attempt < ATTEMPTS => {
                    let pause = rand::random_range(5..25) * u64::from(attempt);
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                other => return other,
            }
        }
    }

    async fn apply_alert(&self, source: &str, key: &str, payload: &AlertPayload) -> Result<AlertOutcome, ServiceError> {
        let now = self.clock.now();
        let previous = self.incidents.alert_key(source, key).await?;
        let actor = format!("alert:{source}");
        let sighting = IncidentEvent::AlertReceived {
            source: source.to_owned(),
            key: key.to_owned(),
            summary: payload.title.clone(),
            observed_at: payload.observed_at,
        };
        let alert_key = AlertKeyWrite {
            source: source.to_owned(),
            key: key.to_owned(),
            previous: previous.clone(),
            last_seen: now,
        };
        if let Some(seen) = previous.filter(|seen| now - seen.last_seen <= self.alerts.window) {
            // A closed incident is history: a repeat after closing opens a new one.
            let open =
                self.incidents.incident(seen.incident).await?.is_some_and(|(record, _)| record.phase != Phase::Closed);
            if open {
                let effects = Effects { alert_key: Some(alert_key), ..Effects::default() };
                self.change_incident(seen.incident, None, Actor::Tocsin(&actor), |_, _| Ok(vec![sighting]), effects)
                    .await?;
                return Ok(AlertOutcome { incident: seen.incident, opened: false });
            }
        }
        let opened = opening(&payload.title, Origin::Alert { source: source.to_owned() }, payload.observed_at, None)?;
        let classify = IncidentCommand::Classify {
            category: payload.criterion,
            // Graded medium until the team triages it, unless the source says otherwise.
            severity: payload.severity.unwrap_or(Severity::Medium),
        };
        let then = |record: &IncidentRecord, ctx: &Context<'_>| {
            let mut events = vec![sighting];
            events.extend(decide(record, classify, ctx)?);
            Ok(events)
        };
        let effects = Effects { alert_key: Some(alert_key), ..Effects::default() };
        let detail = self.create_incident(opened, then, &actor, effects).await?;
        tracing::info!(source, key, incident = %detail.record.reference, "alert opened an incident");
        Ok(AlertOutcome { incident: detail.record.reference, opened: true })
    }
}

fn field(name: &str, message: String) -> ServiceError {
    let mut errors = shared::validation::ValidationErrors::default();
    errors.push(name, message);
    ServiceError::Validation(errors)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn signatures_bind_the_secret_the_body_and_the_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let body = br#"{"criterion":"ddos"}"#;
        let header = sign("s3cret", body, now);
        assert_eq!(verify_signature("s3cret", Some(&header), body, now), Ok(()));
        assert_eq!(verify_signature("s3cret", Some(&header), body, now + Duration::minutes(4)), Ok(()));
        assert_eq!(verify_signature("other", Some(&header), body, now), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature("s3cret", Some(&header), b"{}", now), Err(SignatureError::Mismatch));
        assert_eq!(
            verify_signature("s3cret", Some(&header), body, now + Duration::minutes(6)),
            Err(SignatureError::Stale)
        );
        for bad in [None, Some(""), Some("t=abc,v1=00"), Some("v1=00"), Some("t=1,v1=zz")] {
            assert_eq!(verify_signature("s3cret", bad, body, now), Err(SignatureError::Malformed), "{bad:?}");
        }
    }
}
