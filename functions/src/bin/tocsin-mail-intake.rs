//! Reports sent by email, on AWS: the function SES receiving invokes after its receipt rule stored
//! a message for the security address in S3. (Locally, `tocsin take-in-email` does the same from
//! `.eml` files.)

use functions::config::Settings;
use functions::lambda::mail_intake;
use functions::startup::{function_services, inbound_mailbox};
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (services, lambda) = function_services().await?;
    anyhow::ensure!(lambda, "tocsin-mail-intake runs under Lambda; locally, use `tocsin take-in-email <file.eml>`");
    let mailbox = inbound_mailbox(&Settings::load()?).await?;
    let handler = service_fn(|event: LambdaEvent<serde_json::Value>| mail_intake(&services, &mailbox, event));
    lambda_runtime::run(handler).await.map_err(|e| anyhow::anyhow!(e))
}
