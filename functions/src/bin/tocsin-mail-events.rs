//! What SES says happened to customer notices: under Lambda, the function an EventBridge rule
//! invokes with each SES event (send, delivery, bounce, complaint); elsewhere, events read as JSON
//! lines from standard input (a replay), each answered on standard output.

use std::io::BufRead;

use functions::adapters::ses_events;
use functions::service::Services;
use functions::startup::function_services;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

/// Records one event; `false` when it is about no notice Tocsin sent.
async fn record(services: &Services, event: &serde_json::Value) -> anyhow::Result<bool> {
    match ses_events::parse(event)? {
        Some(report) => Ok(services.record_mail_event(report).await?),
        None => Ok(false),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (services, lambda) = function_services().await?;
    if !lambda {
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let recorded = record(&services, &serde_json::from_str(&line)?).await?;
            println!("{}", serde_json::json!({ "recorded": recorded }));
        }
        return Ok(());
    }
    // A failure is returned, so EventBridge retries the event; recording one twice changes nothing.
    let handler = service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let services = services.clone();
        async move {
            let recorded =
                record(&services, &event.payload).await.map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "recorded": recorded }))
        }
    });
    lambda_runtime::run(handler).await.map_err(|e| anyhow::anyhow!(e))?;
    Ok(())
}
