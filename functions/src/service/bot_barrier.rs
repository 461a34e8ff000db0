//! The public form's bot barrier, needing no third-party service: a hidden honeypot field, and a
//! server-signed ticket taken when the form opens that must be a few seconds old when it is sent
//! (people take longer than that to describe an incident; scripts do not).

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use shared::api::{ReportForm, ReportTicket};
use shared::validation::ValidationErrors;

use super::error::ServiceError;
use super::services::Services;

/// A form left open longer than this is sent again with a fresh ticket (the app does it).
const TICKET_LIFETIME: Duration = Duration::hours(24);

fn mac_of(secret: &[u8], issued_ms: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("report-ticket:{issued_ms}").as_bytes());
    mac
}

fn signature(secret: &[u8], issued_ms: i64) -> String {
    hex::encode(mac_of(secret, issued_ms).finalize().into_bytes())
}

fn refused(field: &str, message: &str) -> ServiceError {
    let mut errors = ValidationErrors::default();
    errors.push(field, message);
    ServiceError::Validation(errors)
}

/// When a well-signed ticket was issued.
fn issued_at(secret: &[u8], ticket: &str) -> Option<DateTime<Utc>> {
    let (issued, mac) = ticket.split_once('.')?;
    let issued_ms: i64 = issued.parse().ok()?;
    mac_of(secret, issued_ms).verify_slice(&hex::decode(mac).ok()?).ok()?;
    DateTime::from_timestamp_millis(issued_ms)
}

impl Services {
    pub async fn report_ticket(&self) -> Result<ReportTicket, ServiceError> {
        let issued_ms = self.clock.now().timestamp_millis();
        Ok(ReportTicket { ticket: format!("{issued_ms}.{}", signature(self.form_secret().await?, issued_ms)) })
    }

    /// Refuses a report that filled the honeypot, or whose ticket is missing, forged, stale or
    /// too fresh. Each refusal says what a person should do; nothing is stored.
    pub async fn check_bot_barrier(&self, form: &ReportForm) -> Result<(), ServiceError> {
        if !form.website.is_empty() {
            return Err(refused("website", "Leave the field marked \"leave empty\" empty, then send the form again"));
        }
        let expired = "This form has expired: send it again";
        let issued =
            issued_at(self.form_secret().await?, form.ticket.trim()).ok_or_else(|| refused("ticket", expired))?;
        let age = self.clock.now() - issued;
        if age > TICKET_LIFETIME || age < -Duration::minutes(5) {
            return Err(refused("ticket", expired));
        }
        if age < self.min_report_time {
            return Err(refused(
                "ticket",
                "That was quicker than a person fills in a form: wait a few seconds and send it again",
            ));
        }
        Ok(())
    }
}

impl Services {
    /// The secret that signs public form tickets, shared by every instance through the store and
    /// read once per process.
    pub async fn form_secret(&self) -> Result<&[u8], ServiceError> {
        let secret = self
            .cached_form_secret
            .get_or_try_init(|| async {
                let mut candidate = vec![0u8; 32];
                rand::rng().fill_bytes(&mut candidate);
                self.accounts.secret("form-ticket", candidate).await
            })
            .await?;
        Ok(secret)
    }
}
