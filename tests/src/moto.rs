//! The AWS adapters against `moto_server` on loopback: real `aws-sdk-*` clients, no mocks.
//! `cargo xtask test` starts one moto server for the run and passes its address in
//! `TOCSIN_MOTO_ENDPOINT` (with test credentials in the usual AWS variables).

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use functions::adapters::dynamodb::DynamoStore;
use functions::config::AwsSettings;
use functions::ports::Store;

pub const REGION: &str = "us-east-1";

pub fn endpoint() -> String {
    std::env::var("TOCSIN_MOTO_ENDPOINT").expect(
        "TOCSIN_MOTO_ENDPOINT is not set: run the tests with `cargo xtask test`, which starts moto_server, \
         or start `moto_server -p PORT` yourself and export TOCSIN_MOTO_ENDPOINT=http://127.0.0.1:PORT",
    )
}

/// A name no other test uses, so cases share one moto server without sharing state.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

pub fn settings(table: String, bucket: String) -> AwsSettings {
    AwsSettings {
        table,
        bucket,
        ses_configuration_set: None,
        region: Some(REGION.to_owned()),
        endpoint_url: Some(endpoint()),
        inbound_bucket: None,
    }
}

pub async fn sdk_config() -> SdkConfig {
    let settings = settings(String::new(), String::new());
    functions::startup::aws::configured(aws_config::defaults(BehaviorVersion::latest()), &settings)
        .region(Region::new(REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

/// One moto serves every AWS test, one request at a time, and copies its whole state for each
/// transaction: the store cases and the campaigns, heavy on transactions, take turns through this
/// (a blocking lock; each test runs on a thread of its own), so none times out behind another.
pub fn turn() -> Turn {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    Turn(TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// A test's turn on moto, held for the whole test, awaits included: each test has a runtime and a
/// thread of its own, so the others wait on the lock, not this test's tasks.
pub struct Turn(#[allow(dead_code, reason = "held, never read")] std::sync::MutexGuard<'static, ()>);

/// A DynamoDB store on a fresh table of its own.
pub struct FreshDynamo {
    store: Arc<DynamoStore>,
}

impl FreshDynamo {
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

pub async fn fresh_dynamo() -> FreshDynamo {
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk_config().await), unique("tocsin"));
    store.create_table().await.expect("moto creates the table");
    FreshDynamo { store: Arc::new(store) }
}

/// Creates the bucket and the verified sender identity that a Tocsin in AWS mode needs.
pub async fn prepare_bucket_and_sender(bucket: &str, sender: &str) {
    let sdk = sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    s3.create_bucket().bucket(bucket).send().await.expect("moto creates the bucket");
    aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity(sender)
        .send()
        .await
        .expect("moto creates the identity");
}

/// What moto recorded as sent through SES: each raw message's full MIME text.
pub async fn sent_raw_emails() -> Vec<String> {
    let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", endpoint()))
        .await
        .expect("moto answers")
        .json()
        .await
        .expect("moto's state as JSON");
    let mut raw = Vec::new();
    collect_raw_messages(&data["ses"], &mut raw);
    raw
}

/// moto keeps raw messages under `ses.RawMessage`, per region and account; walk whatever nesting it uses.
fn collect_raw_messages(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("raw_data", serde_json::Value::String(text)) => out.push(text.clone()),
                    _ => collect_raw_messages(child, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_raw_messages(item, out)),
        _ => {}
    }
}
