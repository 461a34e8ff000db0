//! The deadline checker and notice sender: under Lambda, the function EventBridge invokes every
//! five minutes; elsewhere, one run against the configured store, printed (for cron or a manual
//! check). After the deadlines, approved customer notices are sent for the rest of the run's time.

use std::time::{Duration, SystemTime};

use chrono::Utc;
use functions::startup::function_services;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

/// How long one run outside Lambda may send notices.
const LOCAL_SENDING: Duration = Duration::from_secs(15 * 60);
/// Time kept back from the Lambda timeout to record the last send.
const MARGIN: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (services, lambda) = function_services().await?;
    if !lambda {
        let deadlines = services.run_due(Utc::now()).await?;
        let notices = services.send_notices(LOCAL_SENDING).await?;
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "deadlines": deadlines, "notices": notices }))?
        );
        return Ok(());
    }
    // The scheduled event carries nothing the checker needs: it checks what is due now. The run's
    // figures are the function's response, so they show in its logs.
    let handler = service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let services = services.clone();
        async move {
            let failed = |e: functions::service::ServiceError| lambda_runtime::Error::from(e.to_string());
            let deadlines = services.run_due(Utc::now()).await.map_err(failed)?;
            // Sending stops in time to record the last message before the function's timeout.
            let left = event.context.deadline().duration_since(SystemTime::now()).unwrap_or_default();
            let notices = services.send_notices(left.saturating_sub(MARGIN)).await.map_err(failed)?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "deadlines": deadlines, "notices": notices }))
        }
    });
    lambda_runtime::run(handler).await.map_err(|e| anyhow::anyhow!(e))?;
    Ok(())
}
