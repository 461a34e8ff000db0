//! What every handler is given: the use cases and the HTTP layer's own settings.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::ports::OutboxReader;
use crate::service::Services;

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    /// Present in local mode, where sent email is kept in a directory the dashboard can list.
    pub outbox: Option<Arc<dyn OutboxReader>>,
    /// Where browsers upload files directly (the bucket, in AWS mode), for the app's CSP.
    pub upload_origin: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests per client address on the public routes.
    pub public_limiter: Arc<PublicLimiter>,
    /// Reports and follow-ups being taken in at once, their bodies read (`REPORTS_TAKEN_IN_AT_ONCE`).
    pub intake_slots: Arc<tokio::sync::Semaphore>,
}

/// Requests per client address on the public routes, kept in memory per instance (AWS adds WAF
/// rate rules in front).
pub type PublicLimiter = DefaultKeyedRateLimiter<IpAddr>;

pub fn public_limiter(per_minute: u32) -> Arc<PublicLimiter> {
    let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
    Arc::new(RateLimiter::keyed(quota))
}
