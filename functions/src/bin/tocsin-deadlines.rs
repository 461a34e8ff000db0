//! The deadline checker and notice sender: under Lambda, the function EventBridge Scheduler invokes
//! every five minutes; elsewhere, one run against the configured store, printed (for cron or a
//! manual check). After the deadlines, approved customer notices are sent for the rest of the run.

use std::time::Duration;

use functions::lambda::{deadline_run, serve_events};
use functions::startup::{function_services, link_participants_once};

/// How long one run outside Lambda may send notices.
const LOCAL_SENDING: Duration = Duration::from_secs(15 * 60);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (services, lambda) = function_services().await?;
    // Once per cold start: the checker is the function every deployment runs.
    link_participants_once(services.clone());
    if lambda {
        return serve_events(&services, deadline_run).await;
    }
    let deadlines = services.run_due(services.clock.now()).await?;
    let notices = services.send_notices(LOCAL_SENDING).await?;
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "deadlines": deadlines, "notices": notices }))?);
    Ok(())
}
