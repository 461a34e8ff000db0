//! Files of people on AWS: the function S3 invokes once a browser has uploaded one with a ticket
//! (past API Gateway's 10 MB body). It imports the file as the account the ticket was for, with the
//! same use case as `POST /api/incidents/{ref}/people`, which takes the file itself locally.

use functions::lambda::{people_import, serve_events};
use functions::startup::function_services;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (services, lambda) = function_services().await?;
    anyhow::ensure!(lambda, "tocsin-people-import runs under Lambda; locally, the app posts the file to the API");
    serve_events(&services, people_import).await
}
