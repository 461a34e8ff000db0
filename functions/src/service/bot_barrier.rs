//! The public form's bot barrier, needing no third-party service: a hidden honeypot field, and a
//! server-signed ticket taken when the form opens that must be a few seconds old when it is sent
//! (people take longer than that to describe an incident; scripts do not), and that makes one
//! report only.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use shared::api::{ReportForm, ReportTicket};
use shared::audit::sha256_hex;
use shared::validation::ValidationErrors;

use super::error::ServiceError;
use super::services::Services;

/// A form left open longer than this is sent again with a fresh ticket (the app does it).
const TICKET_LIFETIME: Duration = Duration::hours(24);

/// A ticket is `<issued ms>.<nonce>.<HMAC of both>`: the nonce keeps two forms opened in the
/// same millisecond apart, since each ticket makes one report.
fn mac_of(secret: &[u8], issued_ms: i64, nonce: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("report-ticket:{issued_ms}:{nonce}").as_bytes());
    mac
}

fn signature(secret: &[u8], issued_ms: i64, nonce: &str) -> String {
    hex::encode(mac_of(secret, issued_ms, nonce).finalize().into_bytes())
}

fn refused(field: &str, message: &str) -> ServiceError {
    let mut errors = ValidationErrors::default();
    errors.push(field, message);
    ServiceError::Validation(errors)
}

/// When a well-signed ticket was issued.
fn issued_at(secret: &[u8], ticket: &str) -> Option<DateTime<Utc>> {
    let mut parts = ticket.splitn(3, '.');
    let (issued, nonce, mac) = (parts.next()?, parts.next()?, parts.next()?);
    let issued_ms: i64 = issued.parse().ok()?;
    mac_of(secret, issued_ms, nonce).verify_slice(&hex::decode(mac).ok()?).ok()?;
    DateTime::from_timestamp_millis(issued_ms)
}

impl Services {
    pub async fn report_ticket(&self) -> Result<ReportTicket, ServiceError> {
        let issued_ms = self.clock.now().timestamp_millis();
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let nonce = hex::encode(nonce);
        let mac = signature(self.form_secret().await?, issued_ms, &nonce);
        Ok(ReportTicket { ticket: format!("{issued_ms}.{nonce}.{mac}") })
    }

    /// Refuses a report that filled the honeypot, or whose ticket is missing, forged, stale or
    /// too fresh. Each refusal says what a person should do; nothing is stored. Returns when the
    /// ticket stops working, for [`Services::spend_ticket`].
    pub async fn check_bot_barrier(&self, form: &ReportForm) -> Result<DateTime<Utc>, ServiceError> {
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
        Ok(issued + TICKET_LIFETIME)
    }

    /// Spends a checked ticket on the report about to be stored: a ticket sent again (a replay,
    /// or a second report from one opened form) is refused, and the form takes a fresh one.
    pub async fn spend_ticket(&self, ticket: &str, usable_until: DateTime<Utc>) -> Result<(), ServiceError> {
        let key = format!("report-ticket:{}", sha256_hex(ticket.trim().as_bytes()));
        if self.accounts.spend_once(&key, usable_until).await? {
            Ok(())
        } else {
            Err(refused("ticket", "This form was sent already: send it again to make another report"))
        }
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
