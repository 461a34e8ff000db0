//! The deadline checker: under Lambda, the function EventBridge invokes every five minutes;
//! elsewhere, one run against the configured store, printed (for cron or a manual check).

use std::sync::Arc;

use chrono::Utc;
use functions::config::Settings;
use functions::ports::SystemClock;
use functions::startup::build_state;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    let lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    functions::telemetry::init(lambda);
    let public_url = settings.server.public_url.clone().unwrap_or_default();
    let state = build_state(&settings, public_url, Arc::new(SystemClock)).await?;
    let services = state.services;
    if !lambda {
        let run = services.run_due(Utc::now()).await?;
        println!("{}", serde_json::to_string_pretty(&run)?);
        return Ok(());
    }
    // The scheduled event carries nothing the checker needs: it checks what is due now. The run's
    // figures are the function's response, so they show in its logs.
    let handler = service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let services = services.clone();
        async move { services.run_due(Utc::now()).await.map_err(|e| lambda_runtime::Error::from(e.to_string())) }
    });
    lambda_runtime::run(handler).await.map_err(|e| anyhow::anyhow!(e))?;
    Ok(())
}
