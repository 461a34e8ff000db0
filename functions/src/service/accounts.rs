//! Team accounts: invitations, sign-in with a password and a TOTP second factor, sessions,
//! password resets, the team page, and the security log that records them.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Datelike, Duration, DurationRound, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared::access::{
    AcceptInvitationForm, AccountChange, Enrolment, Invitation, InvitationForm, InvitationSent, Me, NewPassword,
    PasswordResetForm, PasswordResetRequest, SecurityEvent, SignInForm, TeamMember, TeamRole, Welcome, account_email,
};
use shared::audit::{AuditEvent, seal};
use shared::reference::{Reference, ReferenceKind};
use shared::validation::ValidationErrors;
use totp_rs::TOTP;
use uuid::Uuid;

use super::error::ServiceError;
use super::services::Services;
use super::token::SecretToken;
use crate::ports::{Account, AccountToken, Email, SESSION_IDLE, SESSION_LIFETIME, Session, StoreError, TokenPurpose};

/// How stale `last_seen_at` may get before a request writes it again (saves a write per request).
const SESSION_TOUCH_EVERY: Duration = Duration::seconds(60);
const INVITATION_VALID_FOR: Duration = Duration::days(7);
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
const RECOVERY_CODES: usize = 10;
const TOTP_STEP_SECONDS: u64 = 30;
/// 160 bits, RFC 4226's recommended secret length.
const TOTP_SECRET_BYTES: usize = 20;

/// No one could have made a request before Tocsin existed: security logs start this year.
const FIRST_SECURITY_LOG_YEAR: i32 = 2026;

const REFUSED: &str = "The email address, password or code is not right";

/// A signed-in person, as handlers see them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Account,
}

impl Caller {
    pub fn name(&self) -> &str {
        &self.account.name
    }

    pub fn role(&self) -> TeamRole {
        self.account.role
    }

    pub fn me(&self) -> Me {
        me(&self.account)
    }
}

fn me(account: &Account) -> Me {
    Me { id: account.id.clone(), email: account.email.clone(), name: account.name.clone(), role: account.role }
}

fn team_member(account: &Account) -> TeamMember {
    TeamMember {
        id: account.id.clone(),
        email: account.email.clone(),
        name: account.name.clone(),
        role: account.role,
        disabled: account.disabled,
        created_at: account.created_at,
    }
}

/// A new session: the cookie values to set.
pub struct SignedIn {
    pub me: Me,
    pub session: SecretToken,
    /// Set when this browser is new to the account: it is trusted from now on.
    pub new_device: Option<SecretToken>,
}

/// Where a sign-in comes from: the client's address (after trusted proxies) and the browser's
/// device cookie, if it sent one.
pub struct Origin<'a> {
    pub address: std::net::IpAddr,
    pub device: Option<&'a str>,
}

/// Argon2id with OWASP's second configuration (m = 19 MiB, t = 2, p = 1), the minimum.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid parameters"))
}

async fn hash_password(password: NewPassword) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("a salt: {e}"))?;
        let hash = argon2().hash_password(password.expose().as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(hash.to_string())
    })
    .await
    .context("the hashing task")?
}

/// Checks a password against a stored hash, or against a dummy one when there is no account, so
/// the time taken does not tell whether an address has an account.
async fn password_matches(stored: Option<String>, password: String) -> Result<bool, ServiceError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    let salt = SaltString::encode_b64(&[7u8; 16]).expect("a fixed salt");
                    argon2().hash_password(b"no account has this", &salt).expect("hashing works").to_string()
                })
                .clone()
        });
        // Accounts made by single sign-on have no password: nothing matches.
        let Ok(parsed) = PasswordHash::new(&stored) else { return Ok(false) };
        Ok(argon2().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .context("the hashing task")?
}

fn totp(secret: Vec<u8>, email: &str) -> Result<TOTP, ServiceError> {
    TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, TOTP_STEP_SECONDS, secret, Some("Tocsin".to_owned()), email.to_owned())
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("a TOTP secret: {e}")))
}

/// The step a six-digit code is valid for: the current one or either neighbour (clock drift),
/// and never one at or before `after` (a code works once).
fn totp_step(totp: &TOTP, code: &str, now: DateTime<Utc>, after: u64) -> Option<u64> {
    let current = now.timestamp().unsigned_abs() / TOTP_STEP_SECONDS;
    [current, current - 1, current + 1]
        .into_iter()
        .filter(|step| *step > after)
        .find(|step| totp.check(code, step * TOTP_STEP_SECONDS))
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Recovery codes are typed by people: case, spaces and dashes do not matter.
fn normalise_recovery_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::rng().fill_bytes(&mut bytes);
            let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// What a second-factor code turned out to be.
enum SecondFactor {
    Totp { step: u64 },
    RecoveryCode { index: usize },
}

fn second_factor(account: &Account, code: &str, now: DateTime<Utc>) -> Result<Option<SecondFactor>, ServiceError> {
    let code = code.trim();
    if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
        let totp = totp(account.totp_secret.clone(), &account.email)?;
        return Ok(totp_step(&totp, code, now, account.last_totp_step).map(|step| SecondFactor::Totp { step }));
    }
    let hash = sha256_hex(&normalise_recovery_code(code));
    Ok(account
        .recovery_codes
        .iter()
        .position(|stored| *stored == hash)
        .map(|index| SecondFactor::RecoveryCode { index }))
}

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(FAILURE_WINDOW).unwrap_or(now)
}

fn new_totp_secret() -> Vec<u8> {
    let mut secret = vec![0u8; TOTP_SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

impl Services {
    /// Appends one event to this year's security log, retrying when another request appended first.
    pub async fn log_security(&self, actor: &str, event: SecurityEvent) -> Result<(), ServiceError> {
        let subject = Reference::new(ReferenceKind::Security, self.clock.now().year(), 1);
        self.append_event(subject, actor, AuditEvent::Security(event)).await
    }

    /// Adds one event to the end of a chain kept without a record of its own (the security log,
    /// a report's), retrying when another writer got there first.
    pub(super) async fn append_event(
        &self,
        subject: Reference,
        actor: &str,
        event: AuditEvent,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        for _ in 0..8 {
            let previous = self.audit.audit_head(subject).await?;
            let start = previous.clone().unwrap_or_else(shared::audit::ChainHead::genesis);
            let (entries, head) = seal(&start, subject, now, actor, [event.clone()]);
            match self.audit.append_audit(subject, previous, entries, head).await {
                Err(StoreError::Conflict(_)) => continue,
                other => return Ok(other?),
            }
        }
        Err(ServiceError::Unavailable(format!("the audit trail of {subject} is busy")))
    }

    /// Every year's security log that exists.
    pub async fn security_logs(&self) -> Result<Vec<Reference>, ServiceError> {
        let mut logs = Vec::new();
        for year in FIRST_SECURITY_LOG_YEAR..=self.clock.now().year() {
            let subject = Reference::new(ReferenceKind::Security, year, 1);
            if self.audit.audit_head(subject).await?.is_some() {
                logs.push(subject);
            }
        }
        Ok(logs)
    }

    /// Sends an invitation link to `invitation.email`; the link works once, for a week.
    pub async fn invite(&self, form: InvitationForm, by: &Caller) -> Result<InvitationSent, ServiceError> {
        let invitation = form.parse()?;
        self.send_invitation(invitation, by.name()).await.map(|(sent, _)| sent)
    }

    /// An invitation from the operator's side (the first admin's, from the command line): the
    /// link is handed back to print as well as emailed.
    pub async fn invitation_link(&self, form: InvitationForm, by: &str) -> Result<String, ServiceError> {
        let (_, link) = self.send_invitation(form.parse()?, by).await?;
        Ok(link)
    }

    async fn send_invitation(
        &self,
        invitation: Invitation,
        by: &str,
    ) -> Result<(InvitationSent, String), ServiceError> {
        if self.accounts.account_by_email(&invitation.email).await?.is_some() {
            return Err(ServiceError::field("email", format!("{} has an account already", invitation.email)));
        }
        let now = self.clock.now();
        let token = SecretToken::generate();
        let expires_at = now + INVITATION_VALID_FOR;
        let Invitation { email, name, role } = invitation;
        let purpose = TokenPurpose::Invitation { email: email.clone(), name: name.clone(), role };
        self.accounts.insert_token(AccountToken { hash: token.hash_hex(), purpose, expires_at }).await?;
        let link = format!("{}/welcome#{}", self.public_url, token.as_str());
        let message = self.templates.invitation(&email, &name, role, by, &link, expires_at, &self.sender_name)?;
        self.mailer.send(&message).await.context("sending the invitation")?;
        self.log_security(by, SecurityEvent::Invited { email: email.clone(), role }).await?;
        Ok((InvitationSent { email, expires_at }, link))
    }

    async fn invitation(&self, token: &str) -> Result<(SecretToken, Invitation), ServiceError> {
        let invalid = || ServiceError::Refused("This invitation link is not valid any more: ask for a new one".into());
        let token = SecretToken::parse(token).ok_or_else(invalid)?;
        match self.accounts.token(&token.hash_hex(), self.clock.now()).await? {
            Some(AccountToken { purpose: TokenPurpose::Invitation { email, name, role }, .. }) => {
                Ok((token, Invitation { email, name, role }))
            }
            _ => Err(invalid()),
        }
    }

    /// What an invitation link opens: a fresh authenticator secret (nothing is stored until accepted).
    pub async fn open_invitation(&self, token: &str) -> Result<Enrolment, ServiceError> {
        let (_, invitation) = self.invitation(token).await?;
        let totp = totp(new_totp_secret(), &invitation.email)?;
        Ok(Enrolment {
            email: invitation.email,
            name: invitation.name,
            role: invitation.role,
            totp_secret: totp.get_secret_base32(),
            otpauth_uri: totp.get_url(),
        })
    }

    /// Creates the account once the first code proves the secret was enrolled, and signs in.
    pub async fn accept_invitation(
        &self,
        form: AcceptInvitationForm,
        origin: Origin<'_>,
    ) -> Result<(Welcome, SignedIn), ServiceError> {
        let (token, invitation) = self.invitation(&form.token).await?;
        let now = self.clock.now();
        let mut errors = ValidationErrors::default();
        let password =
            errors.collect("password", NewPassword::parse(&form.password, &invitation.email, &invitation.name));
        let secret = totp_rs::Secret::Encoded(form.totp_secret.trim().to_uppercase()).to_bytes().ok();
        let step = match secret.clone().map(|s| totp(s, &invitation.email)).transpose()? {
            Some(totp) => totp_step(&totp, form.code.trim(), now, 0),
            None => None,
        };
        if step.is_none() {
            errors.push("code", "That code does not match: enter the six digits your app shows now");
        }
        let (Some(password), Some(secret), Some(step)) = (password, secret, step) else {
            return Err(ServiceError::Validation(errors));
        };
        let codes = recovery_codes();
        let account = Account {
            id: Uuid::now_v7().to_string(),
            email: invitation.email.clone(),
            name: invitation.name,
            role: invitation.role,
            password_hash: hash_password(password).await?,
            totp_secret: secret,
            last_totp_step: step,
            recovery_codes: codes.iter().map(|c| sha256_hex(&normalise_recovery_code(c))).collect(),
            trusted_devices: Vec::new(),
            disabled: false,
            sessions_valid_after: now,
            created_at: now,
        };
        // Using the token first means two tabs accepting at once create one account.
        self.accounts
            .use_token(&token.hash_hex(), now)
            .await
            .map_err(|_| ServiceError::Refused("This invitation link was used already: sign in instead".to_owned()))?;
        self.accounts.insert_account(account.clone()).await?;
        let event = SecurityEvent::InvitationAccepted { email: account.email.clone(), role: account.role };
        self.log_security(&account.name, event).await?;
        let signed_in = self.start_session(account, 1, origin).await?;
        Ok((Welcome { me: signed_in.me.clone(), recovery_codes: codes }, signed_in))
    }

    /// Checks the throttles, then the password and the second factor together.
    pub async fn sign_in(&self, form: SignInForm, origin: Origin<'_>) -> Result<SignedIn, ServiceError> {
        let now = self.clock.now();
        let window = window_start(now);
        let retry_after = (window + FAILURE_WINDOW - now).num_seconds().max(1).unsigned_abs();
        let email = account_email(&form.email).unwrap_or_else(|_| form.email.trim().to_lowercase());
        let address = origin.address.to_string();
        let found = self.accounts.account_by_email(&email).await?;
        let device_hash = origin.device.map(sha256_hex);
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
        if self.recent_failures(&address_key, window).await? >= ADDRESS_FAILURES_ALLOWED
            || self.recent_failures(&throttle_key, window).await? >= allowed
        {
            let reason = "too many failed attempts".to_owned();
            self.log_security("anonymous", SecurityEvent::SignInRefused { email, address, reason }).await?;
            return Err(ServiceError::Throttled { retry_after_seconds: retry_after });
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

    /// Failures in this window and the one before, so a count never drops to zero at a boundary.
    async fn recent_failures(&self, key: &str, window: DateTime<Utc>) -> Result<u32, ServiceError> {
        let previous = self.accounts.failures(key, window - FAILURE_WINDOW).await?;
        Ok(previous + self.accounts.failures(key, window).await?)
    }

    /// Records the sign-in on the account (the code's step, a new trusted browser) and opens a session.
    pub(crate) async fn start_session(
        &self,
        mut account: Account,
        version: u64,
        origin: Origin<'_>,
    ) -> Result<SignedIn, ServiceError> {
        let now = self.clock.now();
        let known = origin.device.map(sha256_hex).filter(|hash| account.trusted_devices.contains(hash));
        let new_device = known.is_none().then(SecretToken::generate);
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
        Ok(SignedIn { me: me(&account), session, new_device })
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

    pub async fn team(&self) -> Result<Vec<TeamMember>, ServiceError> {
        Ok(self.accounts.accounts().await?.iter().map(team_member).collect())
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

    /// A new role or disabling; the last enabled admin cannot be demoted or disabled, and a
    /// changed account's sessions end.
    pub async fn change_account(
        &self,
        id: &str,
        change: AccountChange,
        by: &Caller,
    ) -> Result<TeamMember, ServiceError> {
        let (mut account, version) = self.accounts.account(id).await?.ok_or(ServiceError::NotFound)?;
        let before = account.clone();
        if let Some(role) = change.role {
            account.role = role;
        }
        if let Some(disabled) = change.disabled {
            account.disabled = disabled;
        }
        self.ensure_an_admin_remains(&before, &account).await?;
        if account == before {
            return Ok(team_member(&account));
        }
        account.sessions_valid_after = self.clock.now();
        self.accounts.update_account(account.clone(), version).await?;
        if account.role != before.role {
            let event =
                SecurityEvent::RoleChanged { email: account.email.clone(), from: before.role, to: account.role };
            self.log_security(by.name(), event).await?;
        }
        if account.disabled != before.disabled {
            let event = SecurityEvent::AccountDisabled { email: account.email.clone(), disabled: account.disabled };
            self.log_security(by.name(), event).await?;
        }
        Ok(team_member(&account))
    }

    /// Refuses, as not found, an incident restricted to participants the caller is not one of.
    pub async fn ensure_visible(&self, subject: Reference, caller: &Caller) -> Result<(), ServiceError> {
        if subject.kind != ReferenceKind::Incident {
            return Ok(());
        }
        match self.incidents.incident(subject).await? {
            Some((record, _)) if !record.visible_to(caller.name(), caller.role()) => Err(ServiceError::NotFound),
            _ => Ok(()),
        }
    }

    /// Restricting needs a lead or an admin, and one who would still see the incident after.
    pub async fn check_restriction(
        &self,
        incident: Reference,
        restricted: bool,
        caller: &Caller,
    ) -> Result<(), ServiceError> {
        if !caller.role().may(shared::access::Action::Restrict) {
            let event = SecurityEvent::Denied {
                method: "POST".to_owned(),
                path: format!("/api/incidents/{incident}/commands (restrict)"),
                role: caller.role(),
            };
            self.log_security(caller.name(), event).await?;
            return Err(ServiceError::Forbidden(format!(
                "Your role ({}) does not allow restricting an incident",
                caller.role().label()
            )));
        }
        let (record, _) = self.incidents.incident(incident).await?.ok_or(ServiceError::NotFound)?;
        if restricted && caller.role() != TeamRole::Admin && !record.participants().contains(&caller.name()) {
            return Err(ServiceError::Refused(
                "Take a role in the incident first: once restricted, only its participants and admins see it".into(),
            ));
        }
        Ok(())
    }

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

/// The email templates for accounts.
impl super::email::EmailTemplates {
    #[allow(clippy::too_many_arguments)]
    pub fn invitation(
        &self,
        to: &str,
        name: &str,
        role: TeamRole,
        invited_by: &str,
        link: &str,
        expires_at: DateTime<Utc>,
        sender_name: &str,
    ) -> anyhow::Result<Email> {
        let context = minijinja::context! {
            name, role => role.label(), invited_by, link, sender_name,
            expires_at => expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        };
        self.render(
            "invitation",
            to,
            "You are invited to Tocsin, the incident response dashboard",
            &context,
            "invitation",
        )
    }

    pub fn password_reset(
        &self,
        to: &str,
        name: &str,
        link: &str,
        expires_at: DateTime<Utc>,
        sender_name: &str,
    ) -> anyhow::Result<Email> {
        let context = minijinja::context! {
            name, link, sender_name, expires_at => expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        };
        self.render("password_reset", to, "Reset your Tocsin password", &context, "password_reset")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(secret: Vec<u8>) -> Account {
        Account {
            id: "a".into(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            role: TeamRole::Admin,
            password_hash: String::new(),
            totp_secret: secret,
            last_totp_step: 0,
            recovery_codes: vec![sha256_hex("abcdefghij")],
            trusted_devices: vec![],
            disabled: false,
            sessions_valid_after: DateTime::UNIX_EPOCH,
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_code_is_good_for_its_step_and_the_neighbours_and_never_twice() {
        let secret = new_totp_secret();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let totp = totp(secret.clone(), "ada@example.com").unwrap();
        let step = now.timestamp() as u64 / 30;
        let code = totp.generate(step * 30);
        assert_eq!(totp_step(&totp, &code, now, 0), Some(step));
        assert_eq!(totp_step(&totp, &code, now + Duration::seconds(30), 0), Some(step), "a step late");
        assert_eq!(totp_step(&totp, &code, now + Duration::seconds(90), 0), None, "three steps late");
        assert_eq!(totp_step(&totp, &code, now, step), None, "already used");
        let mut a = account(secret);
        a.last_totp_step = step;
        assert!(second_factor(&a, &code, now).unwrap().is_none());
    }

    #[test]
    fn a_recovery_code_matches_whatever_its_case_and_dashes() {
        let a = account(new_totp_secret());
        let now = DateTime::UNIX_EPOCH;
        assert!(matches!(
            second_factor(&a, " ABCDE-fghij ", now).unwrap(),
            Some(SecondFactor::RecoveryCode { index: 0 })
        ));
        assert!(second_factor(&a, "abcde-fghik", now).unwrap().is_none());
        let codes = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
    }

    #[tokio::test]
    async fn passwords_are_argon2id_with_at_least_the_required_cost() {
        let password = NewPassword::parse("correct horse battery", "ada@example.com", "Ada").unwrap();
        let stored = hash_password(password).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(password_matches(Some(stored.clone()), "correct horse battery".into()).await.unwrap());
        assert!(!password_matches(Some(stored), "correct horse batterY".into()).await.unwrap());
        assert!(!password_matches(None, "anything".into()).await.unwrap());
    }
}
