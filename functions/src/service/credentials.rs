//! The secrets people prove themselves with: passwords hashed with Argon2id, TOTP codes (each
//! good once), and recovery codes kept as hashes.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared::access::NewPassword;
use totp_rs::TOTP;

use super::error::ServiceError;
use crate::ports::Account;

pub(super) const RECOVERY_CODES: usize = 10;
pub(super) const TOTP_STEP_SECONDS: u64 = 30;
/// 160 bits, RFC 4226's recommended secret length.
pub(super) const TOTP_SECRET_BYTES: usize = 20;

/// Argon2id with OWASP's second configuration (m = 19 MiB, t = 2, p = 1), the minimum.
pub(super) fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid parameters"))
}

pub(super) async fn hash_password(password: NewPassword) -> Result<String, ServiceError> {
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
pub(super) async fn password_matches(stored: Option<String>, password: String) -> Result<bool, ServiceError> {
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

pub(super) fn totp(secret: Vec<u8>, email: &str) -> Result<TOTP, ServiceError> {
    TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, TOTP_STEP_SECONDS, secret, Some("Tocsin".to_owned()), email.to_owned())
        .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("a TOTP secret: {e}")))
}

/// The step a six-digit code is valid for: the current one or either neighbour (clock drift),
/// and never one at or before `after` (a code works once).
pub(super) fn totp_step(totp: &TOTP, code: &str, now: DateTime<Utc>, after: u64) -> Option<u64> {
    let current = now.timestamp().unsigned_abs() / TOTP_STEP_SECONDS;
    [current, current - 1, current + 1]
        .into_iter()
        .filter(|step| *step > after)
        .find(|step| totp.check(code, step * TOTP_STEP_SECONDS))
}

pub(super) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Recovery codes are typed by people: case, spaces and dashes do not matter.
pub(super) fn normalise_recovery_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

pub(super) fn recovery_codes() -> Vec<String> {
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
pub(super) enum SecondFactor {
    Totp { step: u64 },
    RecoveryCode { index: usize },
}

pub(super) fn second_factor(
    account: &Account,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<SecondFactor>, ServiceError> {
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

pub(super) fn new_totp_secret() -> Vec<u8> {
    let mut secret = vec![0u8; TOTP_SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use shared::access::TeamRole;

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
