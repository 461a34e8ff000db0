//! Team accounts, their sessions and emailed tokens, the counters that throttle sign-ins, and
//! server-wide secrets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::access::TeamRole;

use super::error::StoreResult;

/// A team account. Secrets are stored only as hashes: the password as an argon2id PHC string,
/// recovery codes and trusted-device tokens as SHA-256. The TOTP secret must be readable to check
/// codes, so it is kept as is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: String,
    /// Lower-cased; unique.
    pub email: String,
    pub name: String,
    pub role: TeamRole,
    pub password_hash: String,
    pub totp_secret: Vec<u8>,
    /// The last 30-second step a code was accepted for: no code works twice.
    pub last_totp_step: u64,
    pub recovery_codes: Vec<String>,
    /// Browsers that signed in before; failed attempts from elsewhere cannot lock them out.
    pub trusted_devices: Vec<String>,
    pub disabled: bool,
    /// Sessions started before this are over (password reset, disabling, role change).
    pub sessions_valid_after: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl Account {
    /// A new, enabled account with no password, TOTP secret, recovery codes or trusted browsers:
    /// what a single sign-on creates, and what an invitation fills in with the secrets it set.
    pub fn without_credentials(id: String, email: String, name: String, role: TeamRole, now: DateTime<Utc>) -> Self {
        Account {
            id,
            email,
            name,
            role,
            password_hash: String::new(),
            totp_secret: Vec::new(),
            last_totp_step: 0,
            recovery_codes: Vec::new(),
            trusted_devices: Vec::new(),
            disabled: false,
            sessions_valid_after: now,
            created_at: now,
        }
    }
}

/// What a single-use emailed token is for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
pub enum TokenPurpose {
    Invitation {
        email: String,
        name: String,
        role: TeamRole,
    },
    PasswordReset {
        account: String,
    },
    /// A single sign-on under way: what the callback must check and send.
    OidcLogin {
        nonce: String,
        verifier: String,
        next: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountToken {
    /// SHA-256 of the token, hex: the token itself is only in the email.
    pub hash: String,
    pub purpose: TokenPurpose,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie's token, hex.
    pub hash: String,
    pub account: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A session ends after this long without a request.
pub const SESSION_IDLE: chrono::Duration = chrono::Duration::minutes(30);
/// And this long after sign-in, however busy.
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(12);

/// Team accounts, their sessions and emailed tokens, and the counters that throttle sign-ins.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with a conflict if the email address has an account already.
    async fn insert_account(&self, account: Account) -> StoreResult<()>;
    async fn account(&self, id: &str) -> StoreResult<Option<(Account, u64)>>;
    async fn account_by_email(&self, email: &str) -> StoreResult<Option<(Account, u64)>>;
    async fn accounts(&self) -> StoreResult<Vec<Account>>;
    /// Writes the account if its version is still `version`; otherwise a conflict.
    async fn update_account(&self, account: Account, version: u64) -> StoreResult<()>;

    async fn insert_token(&self, token: AccountToken) -> StoreResult<()>;
    /// The token if it exists, is unused and unexpired at `now`.
    async fn token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<AccountToken>>;
    /// Marks the token used; a conflict if it was used (or expired) meanwhile, so it works once.
    async fn use_token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<()>;

    async fn insert_session(&self, session: Session) -> StoreResult<()>;
    async fn session(&self, hash: &str) -> StoreResult<Option<Session>>;
    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn delete_session(&self, hash: &str) -> StoreResult<()>;

    /// Adds one failure to `key`'s count for the window starting at `window`; returns the count.
    async fn add_failure(&self, key: &str, window: DateTime<Utc>) -> StoreResult<u32>;
    async fn failures(&self, key: &str, window: DateTime<Utc>) -> StoreResult<u32>;

    /// Marks `key` spent until `expires_at` (after which it could not be used anyway); `false`,
    /// changing nothing, if it was spent already. Of concurrent callers exactly one gets `true`.
    async fn spend_once(&self, key: &str, expires_at: DateTime<Utc>) -> StoreResult<bool>;

    /// A server-wide secret by name: the stored one, or `candidate` stored now if there is none,
    /// so every instance agrees on it.
    async fn secret(&self, name: &str, candidate: Vec<u8>) -> StoreResult<Vec<u8>>;
}
