//! An OpenID Connect provider played by the tests: it signs every sign-in in at once (no login
//! page), checks the PKCE verifier at its token endpoint, and signs ID tokens with the test key
//! that its JWKS publishes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use functions::config::OidcSettings;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::access::TeamRole;

const KEY: &str = include_str!("../../functions/tests/fixtures/oidc-test-key.pem");
const JWKS: &str = include_str!("../../functions/tests/fixtures/oidc-test-jwks.json");

/// The person every sign-in at this provider is.
pub const EMAIL: &str = "sam@idp.example";
pub const NAME: &str = "Sam Single";

/// The provider's address, and what it remembers between the authorization and token requests.
#[derive(Clone, Default)]
pub struct FakeProvider {
    pub issuer: String,
    pending: Arc<Mutex<HashMap<String, (String, String)>>>,
    groups: Arc<Mutex<Vec<String>>>,
}

impl FakeProvider {
    /// Listens on a free loopback port.
    pub async fn start() -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let provider = FakeProvider { issuer, ..FakeProvider::default() };
        let app = axum::Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/jwks", get(|| async { ([(header::CONTENT_TYPE, "application/json")], JWKS) }))
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        provider
    }

    /// The groups the next ID tokens carry.
    pub fn set_groups(&self, groups: &[&str]) {
        *self.groups.lock().unwrap() = groups.iter().map(|g| (*g).to_owned()).collect();
    }

    /// Tocsin's settings for this provider: `irt` are members, `irt-leads` leads, groups in
    /// Cognito's claim.
    pub fn settings(&self) -> OidcSettings {
        let issuer = &self.issuer;
        OidcSettings {
            authorization_endpoint: format!("{issuer}/authorize"),
            token_endpoint: format!("{issuer}/token"),
            jwks_uri: format!("{issuer}/jwks"),
            issuer: issuer.clone(),
            client_id: "tocsin".into(),
            client_secret: None,
            groups_claim: "cognito:groups".into(),
            roles: HashMap::from([("irt".to_owned(), TeamRole::Member), ("irt-leads".to_owned(), TeamRole::Lead)]),
        }
    }
}

async fn authorize(State(provider): State<FakeProvider>, Query(query): Query<HashMap<String, String>>) -> Response {
    if query.get("code_challenge_method").map(String::as_str) != Some("S256") || query["response_type"] != "code" {
        return (StatusCode::BAD_REQUEST, "the code flow with PKCE S256 only").into_response();
    }
    let mut pending = provider.pending.lock().unwrap();
    let code = format!("code-{}", pending.len());
    pending.insert(code.clone(), (query["nonce"].clone(), query["code_challenge"].clone()));
    let location = format!("{}?code={code}&state={}", query["redirect_uri"], query["state"]);
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn token(State(provider): State<FakeProvider>, Form(form): Form<HashMap<String, String>>) -> Response {
    let Some((nonce, challenge)) = provider.pending.lock().unwrap().remove(&form["code"]) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if expected != challenge {
        return (StatusCode::BAD_REQUEST, "PKCE verifier does not match").into_response();
    }
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": provider.issuer, "aud": form["client_id"], "sub": "idp-42", "iat": now, "exp": now + 300,
        "nonce": nonce, "email": EMAIL, "email_verified": true, "name": NAME,
        "cognito:groups": *provider.groups.lock().unwrap(),
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key-1".into());
    let id_token = encode(&header, &claims, &EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap()).unwrap();
    axum::Json(json!({ "id_token": id_token, "token_type": "Bearer", "access_token": "unused" })).into_response()
}
