//! Signing in: a password and a TOTP second factor (or a recovery code), throttled per account,
//! device and address; sessions and the caller they stand for; password resets.

use anyhow::Context;
use chrono::{DateTime, Duration, DurationRound, Utc};
use shared::access::{
    Me, NewPassword, PasswordResetForm, PasswordResetRequest, SecurityEvent, SignInForm, TeamRole, account_email,
};
use shared::validation::ValidationErrors;

use super::access::{Caller, me};
use super::credentials::{SecondFactor, hash_password, password_matches, second_factor, sha256_hex};
use super::error::ServiceError;
use super::services::Services;
use super::token::SecretToken;
use crate::ports::{Account, AccountToken, SESSION_IDLE, SESSION_LIFETIME, Session, TokenPurpose};

/// How stale `last_seen_at` may get before a request writes it again (saves a write per request).
const SESSION_TOUCH_EVERY: Duration = Duration::seconds(60);
const RESET_VALID_FOR: Duration = Duration::hours(1);

/// Failed sign-ins are counted in fixed windows of this length; a limit applies to the current
/// window and the one before.
const FAILURE_WINDOW: Duration = Duration::minutes(15);
/// Per account, from browsers it never signed in from: a guesser gets 5 tries a window.
const ACCOUNT_FAILURES_ALLOWED: u32 = 5;
/// Per trusted browser: the account's owner keeps their own allowance whatever a guesser does.
const DEVICE_FAILURES_ALLOWED: u32 = 10;
/// Per client address, across accounts.
const ADDRESS_FAILURES_ALLOWED: u32 = 30;
const TRUSTED_DEVICES_KEPT: usize = 10;

const REFUSED: &str = "The email address, password or code is not right";

/// A new session: the cookie values to set.
pub struct SignedIn {
    pub me: Me,
    pub session: SecretToken,
    /// Set when this browser is new to the account: it is trusted from now on.
    pub new_device: Option<SecretToken>,
}

/// Where a sign-in comes from: the client's address (after trusted proxies) and the browser's
/// device cookie, if it sent one.
pub struct Origin {
    pub address: std::net::IpAddr,
    pub device: Option<String>,
}

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(FAILURE_WINDOW).unwrap_or(now)
}

impl Services {
    /// Checks the throttles, then the password and the second factor together.
    pub async fn sign_in(&self, form: SignInForm, origin: Origin) -> Result<SignedIn, ServiceError> {
        let now = self.clock.now();
        let window = window_start(now);
        let email = account_email(&form.email).unwrap_or_else(|_| form.email.trim().to_lowercase());
        let address = origin.address.to_string();
        let found = self.accounts.account_by_email(&email).await?;
        let device_hash = origin.device.as_deref().map(sha256_hex);
        let trusted = match (&found, &device_hash) {
            (Some((account, _)), Some(hash)) => account.trusted_devices.contains(hash),
            _ => false,
        };
        // A trusted browser has its own allowance, so a guesser cannot lock the owner out.
        let (throttle_key, allowed) = match (&device_hash, trusted) {
            (Some(hash), true) => (format!("device:{hash}"), DEVICE_FAILURES_ALLOWED),
            _ => (format!("account:{email}"), ACCOUNT_FAILURES_ALLOWED),
        };
        let address_key = format!("address:{address}");
        // A trusted browser is not held back by guessers behind the same address (a shared NAT).
        let address_wait = match trusted {
            true => None,
            false => self.wait_needed(&address_key, now, ADDRESS_FAILURES_ALLOWED).await?,
        };
        let wait = address_wait.max(self.wait_needed(&throttle_key, now, allowed).await?);
        if let Some(retry_after_seconds) = wait {
            let reason = "too many failed attempts".to_owned();
            self.log_security("anonymous", SecurityEvent::SignInRefused { email, address, reason }).await?;
            return Err(ServiceError::Throttled { retry_after_seconds });
        }

        let password_ok = password_matches(found.as_ref().map(|(a, _)| a.password_hash.clone()), form.password).await?;
        let verdict = match &found {
            Some((account, _)) if password_ok && !account.disabled && !account.totp_secret.is_empty() => {
                second_factor(account, &form.code, now)?
            }
            _ => None,
        };
        let (Some(factor), Some((mut account, version))) = (verdict, found) else {
            self.accounts.add_failure(&address_key, window).await?;
            self.accounts.add_failure(&throttle_key, window).await?;
            let reason = "wrong password, code or disabled account".to_owned();
            self.log_security("anonymous", SecurityEvent::SignInRefused { email, address, reason }).await?;
            return Err(ServiceError::Unauthenticated(REFUSED.to_owned()));
        };
        match factor {
            SecondFactor::Totp { step } => account.last_totp_step = step,
            SecondFactor::RecoveryCode { index } => {
                account.recovery_codes.remove(index);
                let remaining = u32::try_from(account.recovery_codes.len()).unwrap_or(0);
                let event = SecurityEvent::RecoveryCodeUsed { email: account.email.clone(), remaining };
                self.log_security(&account.name, event).await?;
            }
        }
        self.start_session(account, version, origin).await
    }

    /// How long `key` must wait, in seconds, when its failures in this window and the one before
    /// (so a count never drops to zero at a boundary) reach `allowed`: until the window that holds
    /// enough of them stops counting, so a client that waits as told is not refused again.
    async fn wait_needed(&self, key: &str, now: DateTime<Utc>, allowed: u32) -> Result<Option<u64>, ServiceError> {
        let window = window_start(now);
        let previous = self.accounts.failures(key, window - FAILURE_WINDOW).await?;
        let current = self.accounts.failures(key, window).await?;
        if previous + current < allowed {
            return Ok(None);
        }
        // The previous window stops counting when the next one starts; this one, a window later.
        let until = if current >= allowed { window + FAILURE_WINDOW * 2 } else { window + FAILURE_WINDOW };
        // Whole seconds, rounded up: a client that waits exactly this long is past `until`.
        let millis = (until - now).num_milliseconds().max(1).unsigned_abs();
        Ok(Some(millis.div_ceil(1000)))
    }

    /// Records the sign-in on the account (the code's step, a new trusted browser) and opens a session.
    pub(crate) async fn start_session(
        &self,
        mut account: Account,
        version: u64,
        origin: Origin,
    ) -> Result<SignedIn, ServiceError> {
        let now = self.clock.now();
        let known = origin.device.as_deref().map(sha256_hex).filter(|hash| account.trusted_devices.contains(hash));
        let new_device = known.is_none().then(SecretToken::generate);
        // The first browser is the one the account was set up in; any later new one is news.
        let tell_owner = new_device.is_some() && !account.trusted_devices.is_empty();
        if let Some(device) = &new_device {
            account.trusted_devices.push(device.hash_hex());
            let excess = account.trusted_devices.len().saturating_sub(TRUSTED_DEVICES_KEPT);
            account.trusted_devices.drain(..excess);
        }
        self.accounts.update_account(account.clone(), version).await?;
        let session = SecretToken::generate();
        let record =
            Session { hash: session.hash_hex(), account: account.id.clone(), created_at: now, last_seen_at: now };
        self.accounts.insert_session(record).await?;
        let event = SecurityEvent::SignedIn { email: account.email.clone(), address: origin.address.to_string() };
        self.log_security(&account.name, event).await?;
        if tell_owner {
            self.tell_of_new_sign_in(&account, &origin, now).await;
        }
        Ok(SignedIn { me: me(&account), session, new_device })
    }

    /// The owner hears of it by email, so a second sign-in is never silent; a mail failure does
    /// not stop the sign-in (it is on the security log either way).
    async fn tell_of_new_sign_in(&self, account: &Account, origin: &Origin, at: DateTime<Utc>) {
        let reset_link = format!("{}/forgot-password", self.public_url);
        let address = origin.address.to_string();
        let sent = match self.templates.new_sign_in(
            &account.email,
            &account.name,
            &address,
            at,
            &reset_link,
            &self.sender_name,
        ) {
            Ok(message) => self.mailer.send(&message).await.map(|_| ()),
            Err(error) => Err(error),
        };
        if let Err(error) = sent {
            tracing::warn!(account = %account.id, error = format!("{error:#}"), "the new sign-in email was not sent");
        }
    }

    /// The person behind a session cookie, if the session is still good; it is kept alive.
    pub async fn caller(&self, session_token: &str) -> Result<Caller, ServiceError> {
        let signed_out = || ServiceError::Unauthenticated("Your session has ended: sign in again".to_owned());
        let token = SecretToken::parse(session_token).ok_or_else(signed_out)?;
        let hash = token.hash_hex();
        let session = self.accounts.session(&hash).await?.ok_or_else(signed_out)?;
        let now = self.clock.now();
        let account = self.accounts.account(&session.account).await?.map(|(account, _)| account);
        let expired = now - session.last_seen_at > SESSION_IDLE || now - session.created_at > SESSION_LIFETIME;
        let Some(account) = account.filter(|a| !expired && !a.disabled && session.created_at >= a.sessions_valid_after)
        else {
            self.accounts.delete_session(&hash).await?;
            return Err(signed_out());
        };
        if now - session.last_seen_at > SESSION_TOUCH_EVERY {
            self.accounts.touch_session(&hash, now).await?;
        }
        Ok(Caller { account })
    }

    pub async fn sign_out(&self, session_token: &str) -> Result<(), ServiceError> {
        let Some(token) = SecretToken::parse(session_token) else { return Ok(()) };
        let hash = token.hash_hex();
        if let Some(session) = self.accounts.session(&hash).await? {
            self.accounts.delete_session(&hash).await?;
            if let Some((account, _)) = self.accounts.account(&session.account).await? {
                self.log_security(&account.name, SecurityEvent::SignedOut { email: account.email }).await?;
            }
        }
        Ok(())
    }

    /// Emails a reset link if the address has an account; answers the same either way.
    pub async fn request_password_reset(&self, request: PasswordResetRequest) -> Result<(), ServiceError> {
        let Ok(email) = account_email(&request.email) else {
            return Err(ServiceError::field("email", "Enter an email address in the format name@example.com"));
        };
        let Some((account, _)) = self.accounts.account_by_email(&email).await? else { return Ok(()) };
        if account.disabled {
            return Ok(());
        }
        let token = SecretToken::generate();
        let expires_at = self.clock.now() + RESET_VALID_FOR;
        let purpose = TokenPurpose::PasswordReset { account: account.id.clone() };
        self.accounts.insert_token(AccountToken { hash: token.hash_hex(), purpose, expires_at }).await?;
        let link = format!("{}/reset-password#{}", self.public_url, token.as_str());
        let message =
            self.templates.password_reset(&account.email, &account.name, &link, expires_at, &self.sender_name)?;
        self.mailer.send(&message).await.context("sending the reset link")?;
        Ok(())
    }

    /// A new password, with the second factor still required; every session of the account ends.
    pub async fn reset_password(&self, form: PasswordResetForm) -> Result<(), ServiceError> {
        let invalid = || ServiceError::Refused("This reset link is not valid any more: ask for a new one".into());
        let token = SecretToken::parse(&form.token).ok_or_else(invalid)?;
        let now = self.clock.now();
        let Some(AccountToken { purpose: TokenPurpose::PasswordReset { account }, .. }) =
            self.accounts.token(&token.hash_hex(), now).await?
        else {
            return Err(invalid());
        };
        let (mut account, version) = self.accounts.account(&account).await?.ok_or_else(invalid)?;
        let mut errors = ValidationErrors::default();
        let password = errors.collect("password", NewPassword::parse(&form.password, &account.email, &account.name));
        let factor = second_factor(&account, &form.code, now)?;
        if factor.is_none() {
            errors.push("code", "That code is not right: enter the six digits your app shows, or a recovery code");
        }
        let (Some(password), Some(factor)) = (password, factor) else { return Err(ServiceError::Validation(errors)) };
        match factor {
            SecondFactor::Totp { step } => account.last_totp_step = step,
            SecondFactor::RecoveryCode { index } => {
                account.recovery_codes.remove(index);
            }
        }
        account.password_hash = hash_password(password).await?;
        account.sessions_valid_after = now;
        self.accounts.use_token(&token.hash_hex(), now).await.map_err(|_| invalid())?;
        self.accounts.update_account(account.clone(), version).await?;
        self.log_security(&account.name, SecurityEvent::PasswordReset { email: account.email }).await?;
        Ok(())
    }

    /// Refuses a change that would leave the team without an active admin.
    pub(crate) async fn ensure_an_admin_remains(&self, before: &Account, after: &Account) -> Result<(), ServiceError> {
        let is_admin = |account: &Account| account.role == TeamRole::Admin && !account.disabled;
        if is_admin(before) && !is_admin(after) {
            let admins = self.accounts.accounts().await?.iter().filter(|a| is_admin(a)).count();
            if admins <= 1 {
                return Err(ServiceError::Refused(
                    "This is the last admin: make someone else an admin first".to_owned(),
                ));
            }
        }
        Ok(())
    }
}
