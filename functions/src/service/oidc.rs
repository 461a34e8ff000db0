//! Single sign-on with OpenID Connect (Cognito or any provider): the authorization code flow with
//! PKCE, the ID token checked against the provider's JWKS, and the provider's groups mapped to
//! Tocsin roles. The provider is the source of truth for who is in the team: a sign-in updates the
//! account's name and role, and someone in no mapped group is refused.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::access::{SecurityEvent, TeamRole};
use uuid::Uuid;

use super::accounts::{Origin, SignedIn};
use super::error::ServiceError;
use super::oidc_provider::{Identity, OidcProvider, role_of, verify_id_token};
use super::services::Services;
use super::token::SecretToken;
use crate::ports::{Account, AccountToken, TokenPurpose};

/// Long enough to type a password at the provider, short enough that a stolen state soon dies.
const LOGIN_VALID_FOR: Duration = Duration::minutes(10);

/// Where the browser goes to sign in at the provider, and the state cookie that binds the answer
/// to this browser.
pub struct LoginStart {
    pub location: String,
    pub state: SecretToken,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: String,
}

impl Services {
    fn provider(&self) -> Result<&OidcProvider, ServiceError> {
        self.oidc.as_ref().ok_or(ServiceError::NotFound)
    }

    /// Starts a sign-in at the provider: state, nonce and PKCE verifier kept (hashed key) for ten minutes.
    pub async fn oidc_start(&self, next: Option<String>) -> Result<LoginStart, ServiceError> {
        let provider = self.provider()?;
        let (state, nonce, verifier) = (SecretToken::generate(), SecretToken::generate(), SecretToken::generate());
        let next = next.filter(|path| path.starts_with("/dashboard")).unwrap_or_else(|| "/dashboard".to_owned());
        let purpose =
            TokenPurpose::OidcLogin { nonce: nonce.as_str().to_owned(), verifier: verifier.as_str().to_owned(), next };
        let expires_at = self.clock.now() + LOGIN_VALID_FOR;
        self.accounts.insert_token(AccountToken { hash: state.hash_hex(), purpose, expires_at }).await?;
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_str().as_bytes()));
        let query = [
            ("response_type", "code"),
            ("client_id", &provider.settings.client_id),
            ("redirect_uri", &provider.redirect_uri),
            ("scope", "openid email profile"),
            ("state", state.as_str()),
            ("nonce", nonce.as_str()),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        let encoded: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC))
            })
            .collect();
        let separator = if provider.settings.authorization_endpoint.contains('?') { '&' } else { '?' };
        Ok(LoginStart {
            location: format!("{}{separator}{}", provider.settings.authorization_endpoint, encoded.join("&")),
            state,
        })
    }

    /// Finishes a sign-in: the state must match this browser's cookie and be unused; the code is
    /// exchanged with the verifier; the ID token is checked; the account is made or brought up to
    /// date from the provider. Answers the session and where to go.
    pub async fn oidc_callback(
        &self,
        code: &str,
        state: &str,
        cookie_state: Option<&str>,
        origin: Origin,
    ) -> Result<(SignedIn, String), ServiceError> {
        let provider = self.provider()?;
        let refused = |why: &str| ServiceError::Unauthenticated(format!("Single sign-on failed: {why}. Try again"));
        // The cookie binds the answer to the browser that started: a callback link planted by
        // someone else (login CSRF) carries their state, not this browser's.
        if cookie_state != Some(state) {
            return Err(refused("this sign-in was not started in this browser"));
        }
        let token = SecretToken::parse(state).ok_or_else(|| refused("the sign-in expired"))?;
        let now = self.clock.now();
        let Some(AccountToken { purpose: TokenPurpose::OidcLogin { nonce, verifier, next }, .. }) =
            self.accounts.token(&token.hash_hex(), now).await?
        else {
            return Err(refused("the sign-in expired"));
        };
        self.accounts.use_token(&token.hash_hex(), now).await.map_err(|_| refused("the sign-in was used already"))?;

        let http = reqwest::Client::new();
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &provider.redirect_uri),
            ("client_id", &provider.settings.client_id),
            ("code_verifier", &verifier),
        ];
        if let Some(secret) = &provider.settings.client_secret {
            form.push(("client_secret", secret));
        }
        let response =
            http.post(&provider.settings.token_endpoint).form(&form).send().await.context("the token endpoint")?;
        if !response.status().is_success() {
            tracing::warn!(status = %response.status(), "the provider refused the code");
            return Err(refused("the provider did not accept the sign-in"));
        }
        let tokens: TokenResponse = response.json().await.context("the token endpoint's answer")?;
        let keys: JwkSet =
            http.get(&provider.settings.jwks_uri).send().await.context("the JWKS")?.json().await.context("the JWKS")?;
        let identity = match verify_id_token(&tokens.id_token, &keys, provider, &nonce) {
            Ok(identity) => identity,
            Err(refusal) => {
                let event = SecurityEvent::SignInRefused {
                    email: "(single sign-on)".to_owned(),
                    address: origin.address.to_string(),
                    reason: refusal.to_string(),
                };
                self.log_security("anonymous", event).await?;
                return Err(refused("the provider's token did not check out"));
            }
        };
        let Some(role) = role_of(&identity.groups, &provider.settings.roles) else {
            let event = SecurityEvent::SignInRefused {
                email: identity.email.clone(),
                address: origin.address.to_string(),
                reason: "in no group mapped to a Tocsin role".to_owned(),
            };
            self.log_security("anonymous", event).await?;
            return Err(ServiceError::Forbidden(
                "Your account at the provider is in no group Tocsin knows: ask an admin to add you".to_owned(),
            ));
        };
        let (account, version) = self.sso_account(&identity, role).await?;
        if account.disabled {
            return Err(refused("this account is disabled"));
        }
        Ok((self.start_session(account, version, origin).await?, next))
    }

    /// The account for a provider identity, made on first sign-in; its name and role follow the provider.
    async fn sso_account(&self, identity: &Identity, role: TeamRole) -> Result<(Account, u64), ServiceError> {
        let now = self.clock.now();
        let name = identity.name.clone().unwrap_or_else(|| identity.email.clone());
        match self.accounts.account_by_email(&identity.email).await? {
            Some((mut account, version)) => {
                if account.role != role || account.name != name {
                    let before = account.clone();
                    account.role = role;
                    account.name = name;
                    self.ensure_an_admin_remains(&before, &account).await?;
                    if before.role != role {
                        account.sessions_valid_after = self.clock.now();
                    }
                    self.accounts.update_account(account.clone(), version).await?;
                    let from = before.role;
                    if from != role {
                        let event = SecurityEvent::RoleChanged { email: account.email.clone(), from, to: role };
                        self.log_security("single sign-on", event).await?;
                    }
                    return Ok((account, version + 1));
                }
                Ok((account, version))
            }
            None => {
                // No password and no TOTP secret: this account signs in only through the provider,
                // which enforces its own second factor.
                let account =
                    Account::without_credentials(Uuid::now_v7().to_string(), identity.email.clone(), name, role, now);
                self.accounts.insert_account(account.clone()).await?;
                let event = SecurityEvent::InvitationAccepted { email: account.email.clone(), role };
                self.log_security("single sign-on", event).await?;
                Ok((account, 1))
            }
        }
    }
}
