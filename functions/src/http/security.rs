//! What every answer carries (the app, the API and downloads alike) and the cross-site check: a
//! page on another site can make a browser send a request here, but never one that changes
//! anything (OWASP ASVS 3.4 and 3.5).

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use shared::api::{ErrorBody, ErrorCode};
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Two years, the preload list's minimum; browsers ignore it over plain HTTP on loopback.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// A `Content-Security-Policy` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentSecurityPolicy(String);

impl ContentSecurityPolicy {
    /// For API answers: JSON is never a document, so nothing may load, run or frame it.
    pub fn for_api() -> Self {
        Self("default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'".to_owned())
    }

    /// For the built app: its own files, WebAssembly, and the inline module Trunk writes into each
    /// `index.html` (the whole app's and the public pages') to start it, allowed by its hash
    /// (never `'unsafe-inline'`); `connect_to` is the storage browsers upload files to directly,
    /// in AWS mode.
    pub fn for_app(index_pages: &[String], connect_to: Option<&str>) -> Self {
        let hashes: String = index_pages
            .iter()
            .flat_map(|html| inline_scripts(html))
            .map(|script| format!(" 'sha256-{}'", STANDARD.encode(Sha256::digest(script.as_bytes()))))
            .collect();
        let connect = connect_to.map(|origin| format!(" {origin}")).unwrap_or_default();
        Self(format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
             img-src 'self' data: blob:; connect-src 'self'{connect}; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self'"
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The bodies of the `<script>` elements without a `src`, as the browser hashes them. The input is
/// the `index.html` our own build wrote, not anything a user sent.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.match_indices("<script").filter_map(move |(start, _)| {
        let rest = &html[start..];
        let open_end = rest.find('>')?;
        let open_tag = &rest[..open_end];
        if open_tag.contains(" src=") {
            return None;
        }
        let body = &rest[open_end + 1..];
        Some(&body[..body.find("</script>")?])
    })
}

fn from_another_site() -> Response {
    let body = ErrorBody {
        code: ErrorCode::Forbidden,
        message: "This request came from another site, so it was refused".to_owned(),
        fields: vec![],
    };
    (axum::http::StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The origins a change may name in `Origin`: the public URL's, and this server's own under the
/// public URL's scheme. `Sec-Fetch-Site` alone is not believed when `Origin` names another
/// origin or scheme.
fn own_origins(request: &Request, public_origin: Option<&str>, scheme: &str) -> Vec<String> {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    public_origin.map(str::to_owned).into_iter().chain(host.map(|host| format!("{scheme}://{host}"))).collect()
}

/// The cross-site check and the headers, around `router`. Requests from `public_url`'s origin
/// pass the check even when their `Host` differs: behind CloudFront the function sees API
/// Gateway's host, not the one the browser used.
pub fn secured(router: Router, policy: ContentSecurityPolicy, public_url: &str) -> Router {
    let header = |name: HeaderName, value: &str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_str(value).expect("a valid header value"))
    };
    let public_origin = reqwest::Url::parse(public_url).ok().map(|url| url.origin().ascii_serialization());
    let csrf = match public_origin.as_deref().map(|origin| CsrfLayer::new().add_trusted_origin(origin)) {
        Some(Ok(layer)) => layer,
        _ => CsrfLayer::new(),
    };
    let scheme = reqwest::Url::parse(public_url).map_or_else(|_| "http".to_owned(), |url| url.scheme().to_owned());
    router
        .layer(csrf.with_rejection_response(|_| from_another_site()))
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            let own = own_origins(&request, public_origin.as_deref(), &scheme);
            async move {
                match request.headers().get(header::ORIGIN) {
                    Some(origin)
                        if !is_safe(request.method()) && !own.iter().any(|o| o.as_bytes() == origin.as_bytes()) =>
                    {
                        from_another_site()
                    }
                    _ => next.run(request).await,
                }
            }
        }))
        .layer(header(header::CONTENT_SECURITY_POLICY, policy.as_str()))
        .layer(header(header::STRICT_TRANSPORT_SECURITY, HSTS))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(HeaderName::from_static("cross-origin-opener-policy"), "same-origin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_policy_allows_the_inline_loader_by_hash_only() {
        let whole = "<html><script type=module>start()</script><script src=/a.js></script></html>";
        let public = "<html><script type=module>start_public()</script></html>".to_owned();
        let policy = ContentSecurityPolicy::for_app(
            &[whole.to_owned(), public],
            Some("https://bucket.s3.eu-west-1.amazonaws.com"),
        );
        for script in ["start()", "start_public()"] {
            let expected_hash = STANDARD.encode(Sha256::digest(script.as_bytes()));
            assert!(policy.as_str().contains(&format!("'sha256-{expected_hash}'")), "{}", policy.as_str());
        }
        assert_eq!(policy.as_str().matches("'sha256-").count(), 2, "scripts with a src need no hash");
        assert!(!policy.as_str().contains("unsafe-inline"));
        assert!(policy.as_str().contains("connect-src 'self' https://bucket.s3.eu-west-1.amazonaws.com;"));
        for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(policy.as_str().contains(directive), "{directive}");
        }
    }
}
