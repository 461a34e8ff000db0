//! Who is asking: the client's address (through trusted proxies only), the session cookie and the
//! role check every dashboard route makes, and the rate limit on public routes.

use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use ipnet::IpNet;
use shared::access::{Action, SecurityEvent};

use super::error::{ApiError, too_many};
use super::state::AppState;
use crate::service::ServiceError;
use crate::service::access::Caller;
use crate::service::accounts::Origin;

/// `__Host-`: only ever set by this origin over HTTPS, for the whole site, never a parent domain.
pub const SESSION_COOKIE: &str = "__Host-tocsin-session";
/// Marks a browser that signed in before (see `service::accounts`); kept a year.
pub const DEVICE_COOKIE: &str = "__Host-tocsin-device";

/// Binds a single sign-on to the browser that started it. Lax, not Strict: the provider sends
/// the browser back with a cross-site navigation, which must carry it.
pub const OIDC_STATE_COOKIE: &str = "__Host-tocsin-oidc";

/// A cookie as the site sets them: Secure, HttpOnly, SameSite=Strict, path `/`.
pub fn set_cookie(name: &str, value: &str, max_age: Option<cookie::time::Duration>) -> HeaderValue {
    cookie_header(name, value, max_age, SameSite::Strict)
}

pub fn cookie_header(
    name: &str,
    value: &str,
    max_age: Option<cookie::time::Duration>,
    same_site: SameSite,
) -> HeaderValue {
    let mut cookie = Cookie::build((name, value)).path("/").secure(true).http_only(true).same_site(same_site);
    if let Some(max_age) = max_age {
        cookie = cookie.max_age(max_age);
    }
    HeaderValue::from_str(&cookie.build().to_string()).expect("cookie values are URL-safe")
}

/// Tells the browser to forget the session cookie.
pub fn clear_session_cookie() -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", Some(cookie::time::Duration::ZERO))
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` hop that is not itself trusted. Hops left of that were written by
/// the client and prove nothing.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => client = ip,
            Ok(ip) => return ip,
            // A garbled hop: everything left of it is unverifiable.
            Err(_) => return client,
        }
    }
    client
}

/// The caller's address as [`client_address`] decides it. Under Lambda, API Gateway's
/// `sourceIp` is the peer it saw, so it counts as the peer.
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(address_of(parts, &state.trusted_proxies)))
    }
}

/// Where a sign-in comes from: the client's address, and the device cookie an earlier sign-in
/// from this browser left (which lets its owner past an address's lockout).
pub struct SignInOrigin(pub Origin);

impl FromRequestParts<AppState> for SignInOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let device = cookie(&parts.headers, DEVICE_COOKIE).map(str::to_owned);
        Ok(SignInOrigin(Origin { address: address_of(parts, &state.trusted_proxies), device }))
    }
}

fn address_of(parts: &Parts, trusted: &[IpNet]) -> IpAddr {
    let from_gateway = match parts.extensions.get::<lambda_http::request::RequestContext>() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => {
            context.http.source_ip.as_deref().and_then(|ip| ip.parse().ok())
        }
        _ => None,
    };
    let peer = from_gateway
        .or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip()))
        // No address at all (a router driven directly): one shared bucket, the strictest choice.
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let forwarded = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    client_address(peer, forwarded, trusted)
}

/// What a route needs the caller's role to allow.
pub trait Needs {
    const ACTION: Action;
}

macro_rules! needs {
    ($($name:ident => $action:ident),* $(,)?) => {$(
        pub struct $name;
        impl Needs for $name {
            const ACTION: Action = Action::$action;
        }
    )*};
}

needs!(
    ToRead => Read,
    ToExport => Export,
    ToWork => Work,
    ToReviewPolicy => ReviewPolicy,
    ToManageTeam => ManageTeam,
    ToReadSecurityLog => ReadSecurityLog,
);

/// A signed-in caller whose role allows `N::ACTION`. A refusal is written to the security log.
pub struct Allowed<N>(pub Caller, pub PhantomData<N>);

impl<N: Needs> FromRequestParts<AppState> for Allowed<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, SESSION_COOKIE)
            .ok_or_else(|| ServiceError::Unauthenticated("Sign in to continue".to_owned()))?;
        let caller = state.services.caller(token).await?;
        if !caller.role().may(N::ACTION) {
            let (method, path) = (parts.method.to_string(), parts.uri.path().to_owned());
            tracing::warn!(who = caller.name(), %method, %path, role = caller.role().as_str(), "access denied");
            let event = SecurityEvent::Denied { method, path, role: caller.role() };
            state.services.log_security(caller.name(), event).await?;
            let message = format!("Your role ({}) does not allow this", caller.role().label());
            return Err(ServiceError::Forbidden(message).into());
        }
        Ok(Allowed(caller, PhantomData))
    }
}

/// Past this many addresses the limiter forgets those whose allowance is full again.
const LIMITER_KEYS_KEPT: usize = 10_000;

/// Middleware for the public routes: 429 with `Retry-After` once an address spends its allowance.
pub async fn rate_limited(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let address = address_of(&parts, &state.trusted_proxies);
    let limiter = &state.public_limiter;
    if limiter.len() > LIMITER_KEYS_KEPT {
        limiter.retain_recent();
    }
    if let Err(not_until) = limiter.check_key(&address) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        tracing::warn!(%address, path = parts.uri.path(), "public rate limit reached");
        return too_many(wait.as_secs().max(1));
    }
    next.run(Request::from_parts(parts, body)).await.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // Straight from the client: its own header is ignored.
        assert_eq!(client_address(ip("203.0.113.9"), Some("1.2.3.4"), &proxies), ip("203.0.113.9"));
        assert_eq!(client_address(ip("127.0.0.1"), Some("1.2.3.4"), &[]), ip("127.0.0.1"));
        // Through the proxy: the hop the proxy saw, whatever the client forged to its left.
        assert_eq!(client_address(ip("10.0.0.5"), Some("1.2.3.4, 198.51.100.7"), &proxies), ip("198.51.100.7"));
        // Through two trusted proxies.
        assert_eq!(client_address(ip("10.0.0.5"), Some("198.51.100.7, 10.1.1.1"), &proxies), ip("198.51.100.7"));
        // Garbage in the chain stops the walk at the last trusted hop.
        assert_eq!(client_address(ip("10.0.0.5"), Some("1.2.3.4, not-an-ip"), &proxies), ip("10.0.0.5"));
        assert_eq!(client_address(ip("10.0.0.5"), None, &proxies), ip("10.0.0.5"));
    }

    #[test]
    fn session_cookies_are_host_only_secure_http_only_and_strict() {
        let value = set_cookie(SESSION_COOKIE, "abc", None);
        let text = value.to_str().unwrap();
        for part in ["__Host-tocsin-session=abc", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert!(!text.contains("Domain"), "{text}");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; __Host-tocsin-session=xyz; b=2"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
    }
}
