//! The same API, spawned in AWS mode: a report with a file goes to DynamoDB and S3, its receipt
//! through SES, and the dashboard reads it all back.

use serde_json::json;
use shared::api::{
    ClientSettings, ErrorBody, ErrorCode, FollowUpView, IncidentDetail, ReportDetail, ReportReceipt, UploadMethod,
    UploadTicket,
};
use tocsin_tests::{PNG_BYTES, moto, spawn_app_aws, valid_report};

#[tokio::test]
async fn a_report_round_trips_through_dynamodb_s3_and_ses() {
    let _turn = tocsin_tests::moto::turn();
    let app = spawn_app_aws().await;
    let marker = moto::unique("aws-mode");
    let mut form = valid_report();
    form["description"] = json!(format!("Leaked API key in a public repository ({marker})"));
    let response = app.submit_multipart(&form, &[("evidence.png", PNG_BYTES)]).await;
    assert_eq!(response.status(), 201);
    let receipt: ReportReceipt = response.json().await.unwrap();
    assert!(receipt.receipt_emailed);

    let detail: ReportDetail = app.get_json(&format!("/api/reports/{}", receipt.reference)).await;
    assert!(detail.description.contains(&marker));
    let download = app.get(&format!("/api/attachments/{}", detail.attachments[0].id)).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), PNG_BYTES);

    // One moto serves every test: this test's receipt is the one with its marker.
    let text = moto::sent_raw_emails()
        .await
        .iter()
        .filter_map(|raw| mail_parser::MessageParser::default().parse(raw.as_bytes()))
        .filter_map(|message| message.body_text(0).map(|text| text.into_owned()))
        .find(|text| text.contains(&marker))
        .expect("the receipt went through SES");
    let token_start = text.find("/follow-up#").expect("a follow-up link") + "/follow-up#".len();
    let token: String =
        text[token_start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c)).collect();

    let seen: FollowUpView = app
        .client
        .get(app.url("/api/follow-up"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen.reference, receipt.reference);

    let opened = app
        .client
        .post(app.url(&format!("/api/reports/{}/incident", receipt.reference)))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 201);
    let incident: IncidentDetail = opened.json().await.unwrap();
    assert_eq!(incident.reports[0].reference, receipt.reference);
    let again = app
        .client
        .post(app.url(&format!("/api/reports/{}/incident", receipt.reference)))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let error: ErrorBody = again.json().await.unwrap();
    assert_eq!(error.code, ErrorCode::Conflict);

    // The outbox exists only in local mode.
    assert_eq!(app.get("/api/outbox").await.status(), 404);
}

async fn ticket(app: &tocsin_tests::TestApp, file_name: &str, size: usize) -> reqwest::Response {
    app.client
        .post(app.url("/api/uploads"))
        .json(&json!({ "file_name": file_name, "size_bytes": size }))
        .send()
        .await
        .unwrap()
}

/// Sends the file as a browser does with a ticket: a PUT straight to S3 with the signed headers.
async fn upload(app: &tocsin_tests::TestApp, file_name: &str, bytes: &[u8]) -> UploadTicket {
    let response = ticket(app, file_name, bytes.len()).await;
    assert_eq!(response.status(), 201);
    let ticket: UploadTicket = response.json().await.unwrap();
    let mut put = app.client.put(&ticket.url).body(bytes.to_vec());
    for (name, value) in &ticket.headers {
        if !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("host") {
            put = put.header(name, value);
        }
    }
    let stored = put.send().await.unwrap();
    assert!(stored.status().is_success(), "the signed PUT was refused: {}", stored.status());
    ticket
}

#[tokio::test]
async fn browsers_upload_files_straight_to_s3_and_the_form_claims_them() {
    let _turn = tocsin_tests::moto::turn();
    let app = spawn_app_aws().await;
    let settings: ClientSettings = app.get_json("/api/client-settings").await;
    assert_eq!(settings.upload_method, UploadMethod::Ticket);

    let png = upload(&app, "screenshot.png", PNG_BYTES).await;
    assert!(png.url.contains("uploads/"), "{}", png.url);
    assert!(png.headers.iter().any(|(name, value)| name == "x-amz-server-side-encryption" && value == "AES256"));
    let log = upload(&app, "auth.log", b"sshd: Accepted password for admin from 203.0.113.9\n").await;
    let mut form = valid_report();
    form["uploads"] = json!([
        { "upload_id": png.upload_id, "file_name": "screenshot.png" },
        { "upload_id": log.upload_id, "file_name": "auth.log" },
    ]);
    let response = app.submit_json(&form).await;
    assert_eq!(response.status(), 201);
    let receipt: ReportReceipt = response.json().await.unwrap();
    assert_eq!(
        receipt.attachments.iter().map(|a| a.file_name.as_str()).collect::<Vec<_>>(),
        ["screenshot.png", "auth.log"]
    );
    let download = app.get(&format!("/api/attachments/{}", receipt.attachments[0].id)).await;
    assert_eq!(download.bytes().await.unwrap().as_ref(), PNG_BYTES);

    // An upload is claimed once.
    let mut again = valid_report();
    again["uploads"] = json!([{ "upload_id": png.upload_id, "file_name": "screenshot.png" }]);
    let response = app.submit_json(&again).await;
    assert_eq!(response.status(), 422);
    let error: ErrorBody = response.json().await.unwrap();
    assert_eq!(error.fields[0].field, "attachments");
}

#[tokio::test]
async fn uploaded_files_get_the_same_content_checks_and_refusals_leave_nothing() {
    let _turn = tocsin_tests::moto::turn();
    let app = spawn_app_aws().await;
    let disguised = upload(&app, "cute.png", b"<!DOCTYPE html><script>alert(1)</script>").await;
    let good = upload(&app, "fine.png", PNG_BYTES).await;
    let mut form = valid_report();
    form["uploads"] = json!([
        { "upload_id": good.upload_id, "file_name": "fine.png" },
        { "upload_id": disguised.upload_id, "file_name": "cute.png" },
    ]);
    let response = app.submit_json(&form).await;
    assert_eq!(response.status(), 415);
    let reports: shared::api::Page<shared::api::ReportSummary> = app.get_json("/api/reports").await;
    assert!(reports.items.is_empty());

    assert_eq!(ticket(&app, "huge.log", 10 * 1024 * 1024 + 1).await.status(), 413);
    assert_eq!(ticket(&app, "empty.log", 0).await.status(), 422);
    let mut unknown = valid_report();
    unknown["uploads"] = json!([{ "upload_id": "not-a-uuid", "file_name": "x.png" }]);
    assert_eq!(app.submit_json(&unknown).await.status(), 422);
    let six: Vec<_> = (0..6).map(|_| json!({ "upload_id": good.upload_id, "file_name": "fine.png" })).collect();
    let mut too_many = valid_report();
    too_many["uploads"] = json!(six);
    assert_eq!(app.submit_json(&too_many).await.status(), 422);
}

#[tokio::test]
async fn the_incident_workflow_runs_on_dynamodb() {
    let _turn = tocsin_tests::moto::turn();
    let app = spawn_app_aws().await;
    let receipt: ReportReceipt = app.submit_json(&valid_report()).await.json().await.unwrap();
    let other: ReportReceipt = app.submit_json(&valid_report()).await.json().await.unwrap();
    let post = |path: String, body: serde_json::Value| app.client.post(app.url(&path)).json(&body).send();
    let mut incident: IncidentDetail =
        post(format!("/api/reports/{}/incident", receipt.reference), json!({})).await.unwrap().json().await.unwrap();
    let commands = [
        json!({ "type": "classify", "category": "account_takeover", "severity": "critical" }),
        json!({ "type": "assign_role", "role": "response_lead", "person": "Ann" }),
        json!({ "type": "add_note", "markdown": "Owner confirmed by **phone**" }),
    ];
    for command in commands {
        let path = format!("/api/incidents/{}/commands", incident.record.reference);
        let response = post(path, json!({ "expected_version": incident.version, "command": command })).await.unwrap();
        assert_eq!(response.status(), 200);
        incident = response.json().await.unwrap();
    }
    assert_eq!(
        incident.version,
        3 + 1 + 3 + 1 + 1 + 1,
        "opened, linked, obligations; classified with three playbook tasks, and the review duty of a major incident; role; note"
    );
    let stale = post(
        format!("/api/incidents/{}/commands", incident.record.reference),
        json!({ "expected_version": 1, "command": { "type": "rename", "title": "Too late" } }),
    )
    .await
    .unwrap();
    assert_eq!(stale.status(), 409);

    let dismissed = post(
        format!("/api/reports/{}/dismiss", other.reference),
        json!({ "reason": "A duplicate of the first report" }),
    );
    assert_eq!(dismissed.await.unwrap().status(), 200);
    let reference = incident.record.reference;
    let timeline: shared::api::Page<shared::api::TimelineEntry> =
        app.get_json(&format!("/api/incidents/{reference}/timeline")).await;
    assert_eq!(timeline.items.len() as u64, incident.version);
    for subject in [reference.to_string(), other.reference.to_string()] {
        let verification: shared::audit::Verification = app.get_json(&format!("/api/audit/{subject}/verify")).await;
        assert!(verification.is_intact(), "{verification:?}");
    }
    let export = app.get(&format!("/api/incidents/{reference}/export.md")).await.text().await.unwrap();
    assert!(export.contains("Owner confirmed by **phone**"));

    // The obligations board pages through GSI2: the dated duty first, then those still waiting.
    type Board = shared::api::Page<shared::api::ObligationEntry>;
    let first: Board = app.get_json("/api/obligations?state=open&limit=1").await;
    assert_eq!(first.items.iter().map(|e| e.obligation.id.as_str()).collect::<Vec<_>>(), ["POLICY-INTERNAL"]);
    let cursor = first.next_cursor.expect("more open obligations follow");
    let rest = app.client.get(app.url("/api/obligations")).query(&[("state", "open"), ("cursor", &cursor)]).send();
    let rest: Board = rest.await.unwrap().json().await.unwrap();
    let mut waiting: Vec<_> = rest.items.iter().map(|e| (e.obligation.id.as_str(), e.obligation.due_at)).collect();
    waiting.sort();
    assert_eq!(waiting, [("POLICY-REVIEW", None), ("POLICY-UPDATE-AFTER-MAJOR", None)]);
    assert_eq!(rest.next_cursor, None);
}

/// The API function's configuration under Lambda (`lambda_state`): credentials and region from the
/// environment only, as Lambda sets them (`cargo xtask test` sets the same variables for moto).
/// Each service answers through it.
#[tokio::test]
async fn the_lambda_configuration_reaches_every_service_with_the_environments_credentials() {
    let _turn = tocsin_tests::moto::turn();
    for variable in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"] {
        assert!(std::env::var_os(variable).is_some(), "{variable} is set, as Lambda sets it");
    }
    let settings = functions::config::AwsSettings { region: None, ..moto::settings(String::new(), String::new()) };
    let sdk = functions::startup::aws::lambda_sdk_config(&settings).unwrap();
    assert_eq!(sdk.region().map(|r| r.as_ref()), Some(moto::REGION), "the region comes from AWS_REGION");

    let table = moto::unique("tocsin");
    let store = functions::adapters::dynamodb::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table);
    store.create_table().await.expect("DynamoDB answers");
    let bucket = moto::unique("tocsin-lambda");
    aws_sdk_s3::Client::new(&sdk).create_bucket().bucket(&bucket).send().await.expect("S3 answers");
    let sender = format!("{}@tocsin.example", moto::unique("lambda"));
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    ses.create_email_identity().email_identity(&sender).send().await.expect("SES answers");
}
