//! The API function: the router under Lambda's runtime, and nothing else. Outside Lambda the same
//! router is served by `tocsin`, which also carries the local server and the operator commands
//! this bootstrap has no use for.

use std::sync::Arc;

use functions::config::Settings;
use functions::ports::SystemClock;
use functions::startup::{app_router, lambda_state};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Lambda sets this reserved variable for custom runtimes.
    anyhow::ensure!(
        std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some(),
        "tocsin-api runs under AWS Lambda; run `tocsin` (or `cargo xtask run`) to serve Tocsin here"
    );
    let settings = Settings::load()?;
    functions::telemetry::init(true);
    let public_url = settings.server.public_url.clone().unwrap_or_default();
    let router = app_router(lambda_state(&settings, public_url, Arc::new(SystemClock))?, None);
    lambda_http::run(router).await.map_err(|e| anyhow::anyhow!(e))
}
