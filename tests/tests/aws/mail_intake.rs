//! Reports sent by email on AWS: the message where SES's receipt rule stores it (S3 on moto), the
//! receipt event SES hands the Lambda action (a fixture of its documented shape), and the report
//! in DynamoDB with SES's verdicts.

use functions::adapters::s3::S3InboundMailbox;
use functions::lambda::mail_intake;
use functions::startup::INBOUND_PREFIX;
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use shared::api::ReportDetail;
use shared::inbound::AuthVerdict;
use tocsin_tests::{moto, spawn_app_aws};

async fn inbound_bucket_holding(messages: &[(&str, &str)]) -> S3InboundMailbox {
    let sdk = moto::sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let bucket = moto::unique("tocsin-inbound");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for (message_id, corpus_file) in messages {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../functions/tests/fixtures/inbound")
            .join(corpus_file);
        let body = std::fs::read(path).unwrap();
        let key = format!("{INBOUND_PREFIX}{message_id}");
        s3.put_object().bucket(&bucket).key(key).body(body.into()).send().await.unwrap();
    }
    S3InboundMailbox::new(s3, bucket, INBOUND_PREFIX)
}

fn receipt_event(message_id: &str, virus: &str) -> LambdaEvent<Value> {
    let mut event: Value = serde_json::from_str(include_str!("../../fixtures/ses-receipt-lambda.json")).unwrap();
    event["Records"][0]["ses"]["mail"]["messageId"] = json!(message_id);
    event["Records"][0]["ses"]["receipt"]["virusVerdict"]["status"] = json!(virus);
    LambdaEvent::new(event, Context::default())
}

#[tokio::test]
async fn a_message_ses_stored_becomes_one_report_with_sess_verdicts() {
    let _turn = tocsin_tests::moto::turn();
    let app = spawn_app_aws().await;
    let mailbox = inbound_bucket_holding(&[("ses-msg-1", "attachments.eml"), ("ses-msg-2", "inline-image.eml")]).await;

    let answer = mail_intake(&app.services, &mailbox, receipt_event("ses-msg-1", "PASS")).await.unwrap();
    let taken = &answer["taken_in"][0];
    assert_eq!(taken["duplicate"], false, "{answer}");
    let reference = taken["message"]["outcome"]["reference"].as_str().expect("a new report").to_owned();
    assert!(taken["message"]["kept_at"].as_str().unwrap().ends_with("/inbound/ses-msg-1"), "{answer}");
    let report: ReportDetail = app.get_json(&format!("/api/reports/{reference}")).await;
    let email = report.email.expect("sent by email");
    assert_eq!((email.authentication.spf, email.authentication.dmarc), (AuthVerdict::Pass, AuthVerdict::Inconclusive));
    let stored: Vec<&str> = report.attachments.iter().map(|a| a.file_name.as_str()).collect();
    assert_eq!(stored, ["auth.log", "report.pdf"], "kept in the attachment bucket");
    let download = app.get(&format!("/api/attachments/{}", report.attachments[1].id)).await;
    assert_eq!(download.status(), 200);
    assert!(download.bytes().await.unwrap().starts_with(b"%PDF-1.4"));

    // SES retries a Lambda action that failed: the same message again is known, not a second report.
    let again = mail_intake(&app.services, &mailbox, receipt_event("ses-msg-1", "PASS")).await.unwrap();
    assert_eq!(again["taken_in"][0]["duplicate"], true);

    // A message SES's scan flagged: taken in, its files listed as refused, none stored.
    let flagged = mail_intake(&app.services, &mailbox, receipt_event("ses-msg-2", "FAIL")).await.unwrap();
    let reference = flagged["taken_in"][0]["message"]["outcome"]["reference"].as_str().unwrap().to_owned();
    let report: ReportDetail = app.get_json(&format!("/api/reports/{reference}")).await;
    assert!(report.attachments.is_empty());
    let refused = &report.email.unwrap().refused_files;
    assert_eq!(refused.len(), 1);
    assert!(refused[0].reason.contains("virus"), "{refused:?}");
    assert_eq!(app.all_reports().await.len(), 2);

    // A message the bucket does not hold fails the invocation, so Lambda retries it.
    assert!(mail_intake(&app.services, &mailbox, receipt_event("not-there", "PASS")).await.is_err());
}
