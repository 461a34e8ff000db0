//! Secrets handed out in links and cookies: follow-up links, invitations, password resets, sessions.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 bits from the OS generator: far beyond guessing.
const TOKEN_BYTES: usize = 32;

pub struct SecretToken(String);

impl SecretToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The stored form. A plain SHA-256 suffices: the token has full entropy, unlike a password.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash())
    }

    /// Anything that is not a well-formed token is simply not found.
    pub fn parse(raw: &str) -> Option<Self> {
        let decoded = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        (decoded.len() == TOKEN_BYTES).then(|| Self(raw.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
