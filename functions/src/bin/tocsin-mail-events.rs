//! What SES says happened to customer notices: under Lambda, the function an EventBridge rule
//! invokes with each SES event (send, delivery, bounce, complaint); elsewhere, events read as JSON
//! lines from standard input (a replay), each answered on standard output.

use std::io::BufRead;

use functions::lambda::{mail_event, record_ses_event, serve_events};
use functions::startup::function_services;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (services, lambda) = function_services().await?;
    if lambda {
        return serve_events(&services, mail_event).await;
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
