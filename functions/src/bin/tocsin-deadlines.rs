//! The deadline checker and notice sender: under Lambda, the function EventBridge Scheduler invokes
//! every five minutes; elsewhere, one run against the configured store, printed (for cron or a
//! manual check). After the deadlines, approved customer notices are sent for the rest of the run.

use std::time::Duration;

use functions::lambda::deadline_run;
use functions::startup::function_services;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

/// How long one run outside Lambda may send notices.
const LOCAL_SENDING: Duration = Duration::from_secs(15 * 60);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (services, lambda) = function_services().await?;
    if lambda {
        let handler = service_fn(|event: LambdaEvent<serde_json::Value>| deadline_run(&services, event));
        return lambda_runtime::run(handler).await.map_err(|e| anyhow::anyhow!(e));
    }
    let deadlines = services.run_due(services.clock.now()).await?;
    let notices = services.send_notices(LOCAL_SENDING).await?;
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "deadlines": deadlines, "notices": notices }))?);
    Ok(())
}
