//! Runs Tocsin: under Lambda when the Lambda runtime is present, otherwise as the local server.

use std::sync::Arc;

use functions::config::Settings;
use functions::ports::SystemClock;
use functions::startup::{Application, app_router, build_state};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    // Lambda sets this reserved variable for custom runtimes.
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        functions::telemetry::init(true);
        let public_url = settings.server.public_url.clone().unwrap_or_default();
        let router = app_router(build_state(&settings, public_url, Arc::new(SystemClock)).await?, None);
        return lambda_http::run(router).await.map_err(|e| anyhow::anyhow!(e));
    }
    functions::telemetry::init(false);
    let app = Application::build(settings).await?;
    tracing::info!("Tocsin is running at http://{}/ (dashboard: /dashboard)", app.address());
    tracing::warn!("Team sign-in is not built yet, so Tocsin listens on this machine only ({})", app.address().ip());
    app.run_until_stopped().await?;
    Ok(())
}
