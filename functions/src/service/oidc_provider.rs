//! The OpenID Connect provider Tocsin trusts, and its ID tokens checked against the provider's
//! JWKS: signature, issuer, audience, time, nonce and a verified email address.

use std::collections::{HashMap, HashSet};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use shared::access::{TeamRole, account_email};

use crate::config::OidcSettings;

/// Clock skew allowed on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 60;
/// Asymmetric algorithms only: `none` and HMAC (whose key would be the public key) never pass.
const ALGORITHMS: &[Algorithm] = &[Algorithm::RS256, Algorithm::ES256];

/// The provider as configured (`oidc` in the settings), and where it sends people back to.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    pub settings: OidcSettings,
    /// `<public url>/api/oidc/callback`.
    pub redirect_uri: String,
}

/// Why an ID token was refused; each one is a 401 to the person and a line in the security log.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenRefusal {
    #[error("the token is malformed or its algorithm is not allowed")]
    Header,
    #[error("the token names no key the provider publishes")]
    UnknownKey,
    #[error("the token does not verify: {0}")]
    Invalid(String),
    #[error("the token was not issued for this sign-in")]
    Nonce,
    #[error("the token carries no verified email address")]
    Email,
}

/// The claims Tocsin reads; everything else is ignored.
#[derive(Debug, Deserialize)]
struct IdClaims {
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
    nonce: Option<String>,
    #[serde(flatten)]
    other: HashMap<String, serde_json::Value>,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub email: String,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

/// Checks an ID token: a known key of an allowed algorithm, the signature, issuer, audience,
/// expiry and not-before, then the nonce of this sign-in.
pub fn verify_id_token(
    token: &str,
    keys: &JwkSet,
    provider: &OidcProvider,
    nonce: &str,
) -> Result<Identity, TokenRefusal> {
    let header = decode_header(token).map_err(|_| TokenRefusal::Header)?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(TokenRefusal::Header);
    }
    let jwk = header.kid.as_deref().and_then(|kid| keys.find(kid)).ok_or(TokenRefusal::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| TokenRefusal::UnknownKey)?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&provider.settings.issuer]);
    validation.set_audience(&[&provider.settings.client_id]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS;
    validation.required_spec_claims = HashSet::from(["exp".to_owned(), "iss".to_owned(), "aud".to_owned()]);
    let claims = decode::<IdClaims>(token, &key, &validation).map_err(|e| TokenRefusal::Invalid(e.to_string()))?.claims;
    if claims.nonce.as_deref() != Some(nonce) {
        return Err(TokenRefusal::Nonce);
    }
    let email = claims
        .email
        .filter(|_| claims.email_verified != Some(false))
        .and_then(|email| account_email(&email).ok())
        .ok_or(TokenRefusal::Email)?;
    let groups = match claims.other.get(&provider.settings.groups_claim) {
        Some(serde_json::Value::Array(groups)) => groups.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect(),
        Some(serde_json::Value::String(group)) => vec![group.clone()],
        _ => Vec::new(),
    };
    Ok(Identity { email, name: claims.name, groups })
}

/// The most a person's groups allow; `None` if no group is mapped.
pub fn role_of(groups: &[String], roles: &HashMap<String, TeamRole>) -> Option<TeamRole> {
    let rank = |role: &TeamRole| match role {
        TeamRole::Auditor => 0,
        TeamRole::Member => 1,
        TeamRole::Lead => 2,
        TeamRole::Admin => 3,
    };
    groups.iter().filter_map(|group| roles.get(group)).copied().max_by_key(rank)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::Utc;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    const KEY: &str = include_str!("../../tests/fixtures/oidc-test-key.pem");
    const OTHER_KEY: &str = include_str!("../../tests/fixtures/oidc-other-key.pem");
    const JWKS: &str = include_str!("../../tests/fixtures/oidc-test-jwks.json");

    fn provider() -> OidcProvider {
        let settings = OidcSettings {
            issuer: "https://idp.example".into(),
            client_id: "tocsin".into(),
            client_secret: None,
            authorization_endpoint: "https://idp.example/authorize".into(),
            token_endpoint: "https://idp.example/token".into(),
            jwks_uri: "https://idp.example/jwks".into(),
            groups_claim: "cognito:groups".into(),
            roles: HashMap::from([("irt".to_owned(), TeamRole::Member), ("irt-admins".to_owned(), TeamRole::Admin)]),
        };
        OidcProvider { settings, redirect_uri: "https://tocsin.example/api/oidc/callback".into() }
    }

    fn claims() -> serde_json::Value {
        let now = Utc::now().timestamp();
        json!({
            "iss": "https://idp.example", "aud": "tocsin", "sub": "abc", "iat": now, "exp": now + 300,
            "nonce": "n-1", "email": "Ada@Example.com", "email_verified": true, "name": "Ada",
            "cognito:groups": ["irt", "irt-admins"],
        })
    }

    fn signed(claims: &serde_json::Value, key: &str, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        encode(&header, claims, &EncodingKey::from_rsa_pem(key.as_bytes()).unwrap()).unwrap()
    }

    fn check(token: &str) -> Result<Identity, TokenRefusal> {
        verify_id_token(token, &serde_json::from_str(JWKS).unwrap(), &provider(), "n-1")
    }

    fn with(change: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut claims = claims();
        change(&mut claims);
        signed(&claims, KEY, Some("test-key-1"))
    }

    #[test]
    fn a_good_token_gives_the_identity_and_the_highest_mapped_role() {
        let identity = check(&with(|_| {})).unwrap();
        assert_eq!(identity.email, "ada@example.com");
        assert_eq!(role_of(&identity.groups, &provider().settings.roles), Some(TeamRole::Admin));
        assert_eq!(role_of(&["sales".to_owned()], &provider().settings.roles), None);
    }

    #[test]
    fn every_forged_or_stale_token_is_refused() {
        let b64 = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let good = with(|_| {});
        let (_, payload_and_signature) = good.split_once('.').unwrap();
        let (_, signature) = payload_and_signature.split_once('.').unwrap();
        let alg_none = format!("{}.{}.", b64(json!({"alg": "none", "kid": "test-key-1"})), b64(claims()));
        let mut tampered_claims = claims();
        tampered_claims["cognito:groups"] = json!(["irt-admins", "root"]);
        let tampered = format!("{}.{}.{signature}", good.split('.').next().unwrap(), b64(tampered_claims));
        // An HMAC token keyed with the public key's bytes: the classic algorithm confusion.
        let hs256 = {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("test-key-1".into());
            encode(&header, &claims(), &EncodingKey::from_secret(JWKS.as_bytes())).unwrap()
        };
        let now = Utc::now().timestamp();
        let cases: Vec<(&str, String)> = vec![
            ("alg none", alg_none),
            ("HS256 with the public key", hs256),
            ("an unknown key id", signed(&claims(), KEY, Some("someone-else"))),
            ("no key id", signed(&claims(), KEY, None)),
            ("another key under a known id", signed(&claims(), OTHER_KEY, Some("test-key-1"))),
            ("a foreign issuer", with(|c| c["iss"] = json!("https://evil.example"))),
            ("a foreign audience", with(|c| c["aud"] = json!("another-app"))),
            ("expired", with(|c| c["exp"] = json!(now - 3600))),
            ("not yet valid", with(|c| c["nbf"] = json!(now + 3600))),
            ("no expiry", with(|c| c.as_object_mut().unwrap().retain(|k, _| k != "exp"))),
            ("a tampered payload", tampered),
            ("another sign-in's nonce", with(|c| c["nonce"] = json!("n-2"))),
            ("an unverified email", with(|c| c["email_verified"] = json!(false))),
            ("garbage", "not.a.token".to_owned()),
        ];
        for (what, token) in cases {
            assert!(check(&token).is_err(), "{what} was accepted");
        }
    }
}
