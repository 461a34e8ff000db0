//! What SES says happened to customer notices: under Lambda, the function an EventBridge rule
//! invokes with each SES event (send, delivery, bounce, complaint); elsewhere, events read as JSON
//! lines from standard input (a replay), each answered on standard output.

use std::io::BufRead;

use functions::lambda::{mail_event, record_ses_event};
use functions::startup::function_services;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (services, lambda) = function_services().await?;
    if lambda {
        let handler = service_fn(|event: LambdaEvent<serde_json::Value>| mail_event(&services, event));
        return lambda_runtime::run(handler).await.map_err(|e| anyhow::anyhow!(e));
    }
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let recorded = record_ses_event(&services, &serde_json::from_str(&line)?).await?;
        println!("{}", serde_json::json!({ "recorded": recorded }));
    }
    Ok(())
}
