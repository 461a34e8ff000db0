//! Files of people on AWS: a ticket from the API in AWS mode, the file PUT straight to S3 (moto)
//! with the signed headers, the import function handed S3's notification of it, and the register
//! read back through the API. A file with a bad line imports no one, and a file whose uploader may
//! not see the incident (any more) imports nothing.

use functions::adapters::s3_events::IMPORT_PREFIX;
use functions::lambda::people_import;
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use shared::api::{ErrorCode, IncidentDetail, PeopleImportStatus, PeoplePage, UploadTicket};
use tocsin_tests::{TestApp, spawn_app_aws};

const HEADER: &str = "id,name,email,jurisdiction,data_elements\n";

async fn declare(app: &TestApp, client: &reqwest::Client, title: &str) -> IncidentDetail {
    let answer = client.post(app.url("/api/incidents")).json(&json!({ "title": title })).send().await.unwrap();
    assert_eq!(answer.status(), 201);
    answer.json().await.unwrap()
}

async fn ticket(app: &TestApp, client: &reqwest::Client, incident: &IncidentDetail, size: usize) -> reqwest::Response {
    let path = format!("/api/incidents/{}/people/imports", incident.record.reference);
    client.post(app.url(&path)).json(&json!({ "file_name": "people.csv", "size_bytes": size })).send().await.unwrap()
}

/// PUTs the file as a browser does: straight to S3 with the ticket's signed headers.
async fn upload(ticket: &UploadTicket, bytes: &[u8]) {
    let mut put = reqwest::Client::new().put(&ticket.url).body(bytes.to_vec());
    for (name, value) in &ticket.headers {
        if !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("host") {
            put = put.header(name, value);
        }
    }
    let stored = put.send().await.unwrap();
    assert!(stored.status().is_success(), "the signed PUT was refused: {}", stored.status());
}

/// S3's notification of the upload, as Lambda delivers it.
fn created(ticket: &UploadTicket) -> LambdaEvent<Value> {
    let key = format!("{IMPORT_PREFIX}{}", ticket.upload_id);
    let event = json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-03-01T10:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "people-imports",
            "bucket": {"name": "tocsin-attachments", "arn": "arn:aws:s3:::tocsin-attachments"},
            "object": {"key": key, "size": 100, "eTag": "0123456789abcdef", "sequencer": "0A1B2C3D4E5F678901"}
        }
    }]});
    LambdaEvent::new(event, Context::default())
}

/// Uploads `csv` into `incident` as `client`, runs the import function, and reads the outcome back.
async fn import(app: &TestApp, client: &reqwest::Client, incident: &IncidentDetail, csv: &str) -> PeopleImportStatus {
    let answer = ticket(app, client, incident, csv.len()).await;
    assert_eq!(answer.status(), 201);
    let ticket: UploadTicket = answer.json().await.unwrap();
    assert!(ticket.url.contains(IMPORT_PREFIX), "{}", ticket.url);
    for claimed in ["x-amz-meta-incident", "x-amz-meta-account", "x-amz-meta-file-name"] {
        assert!(ticket.headers.iter().any(|(name, _)| name == claimed), "{claimed} is signed: {:?}", ticket.headers);
    }
    let status_path = format!("/api/incidents/{}/people/imports/{}", incident.record.reference, ticket.upload_id);
    let before: PeopleImportStatus = client.get(app.url(&status_path)).send().await.unwrap().json().await.unwrap();
    assert_eq!(before, PeopleImportStatus::Pending);

    upload(&ticket, csv.as_bytes()).await;
    let answer = people_import(&app.services, created(&ticket)).await.unwrap();
    assert_eq!(answer["imports"][0]["import"], ticket.upload_id.as_str(), "{answer}");
    let imports = app.services.imports.as_ref().expect("AWS mode takes direct imports");
    assert!(imports.fetch(&ticket.upload_id).await.unwrap().is_none(), "the file is removed once imported");
    // The file is gone once imported; the same event again finds the outcome and changes nothing.
    let again = people_import(&app.services, created(&ticket)).await.unwrap();
    assert_eq!(again["imports"][0]["status"], answer["imports"][0]["status"], "{again}");
    let answer = client.get(app.url(&status_path)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

async fn register(app: &TestApp, incident: &IncidentDetail) -> PeoplePage {
    app.get_json(&format!("/api/incidents/{}/people", incident.record.reference)).await
}

#[tokio::test]
async fn a_file_uploaded_to_s3_by_ticket_is_imported_by_the_function() {
    let _turn = tocsin_tests::moto::turn();
    let app = spawn_app_aws().await;
    let incident = declare(&app, &app.client, "Customer export left in a public bucket").await;
    let csv = format!(
        "{HEADER}P-1,Ann Example,ann@example.com,DE,credentials\n\
         P-2,Bo Example,bo@example.com,FR,\n\
         P-3,Cy Example,,US-CA,\n"
    );

    assert_eq!(import(&app, &app.client, &incident, &csv).await, PeopleImportStatus::Done { people: 3 });
    let page = register(&app, &incident).await;
    assert_eq!(page.total, 3);
    let ids: Vec<&str> = page.people.iter().map(|listed| listed.person.id.as_str()).collect();
    assert_eq!(ids, ["P-1", "P-2", "P-3"]);
    let detail: IncidentDetail = app.get_json(&format!("/api/incidents/{}", incident.record.reference)).await;
    assert_eq!(detail.record.people.total(), 3, "the record keeps the register's counts");
}

#[tokio::test]
async fn an_uploaded_file_with_a_bad_line_imports_no_one_and_names_the_line() {
    let _turn = tocsin_tests::moto::turn();
    let app = spawn_app_aws().await;
    let incident = declare(&app, &app.client, "Payroll file mailed to the wrong customer").await;
    let csv = format!("{HEADER}P-1,Ann Example,ann@example.com,DE,\nP-2,Bo Example,,XX,\nP-3,Cy Example,,FR,\n");

    let PeopleImportStatus::Refused { error } = import(&app, &app.client, &incident, &csv).await else {
        panic!("a file with a bad line is refused");
    };
    assert_eq!(error.code, ErrorCode::ValidationFailed);
    assert_eq!(error.fields.len(), 1, "{:?}", error.fields);
    assert_eq!(error.fields[0].field, "file");
    assert!(error.fields[0].message.starts_with("Line 3:"), "{}", error.fields[0].message);
    assert!(error.fields[0].message.contains("\"XX\""), "{}", error.fields[0].message);
    assert_eq!(register(&app, &incident).await.total, 0, "no one was imported");
}

#[tokio::test]
async fn no_one_imports_into_an_incident_they_may_not_see() {
    let _turn = tocsin_tests::moto::turn();
    let app = spawn_app_aws().await;
    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await;
    let outsider = app.join_as("member", "Oscar Outsider", "oscar@tocsin.example").await;
    let incident = declare(&app, &lead.client(), "Laptop with the customer list stolen").await;
    let csv = format!("{HEADER}P-1,Ann Example,ann@example.com,DE,\n");

    // Oscar asks for a ticket while the incident is open to the team...
    let answer = ticket(&app, &outsider.client(), &incident, csv.len()).await;
    assert_eq!(answer.status(), 201);
    let early: UploadTicket = answer.json().await.unwrap();

    // ...then the lead restricts it to its participants: no new ticket, and no import of the old one.
    let path = format!("/api/incidents/{}/commands", incident.record.reference);
    let restrict =
        json!({ "expected_version": incident.version, "command": { "type": "restrict", "restricted": true } });
    assert_eq!(lead.client().post(app.url(&path)).json(&restrict).send().await.unwrap().status(), 200);
    let refused = ticket(&app, &outsider.client(), &incident, csv.len()).await;
    assert_eq!(refused.status(), 404, "a restricted incident is not there for Oscar");

    upload(&early, csv.as_bytes()).await;
    let answer = people_import(&app.services, created(&early)).await.unwrap();
    let status: PeopleImportStatus = serde_json::from_value(answer["imports"][0]["status"].clone()).unwrap();
    let PeopleImportStatus::Refused { error } = status else { panic!("the import acts as Oscar: {answer}") };
    assert_eq!(error.code, ErrorCode::NotFound);
    assert_eq!(register(&app, &incident).await.total, 0, "nothing was imported");
    let status_path = format!("/api/incidents/{}/people/imports/{}", incident.record.reference, early.upload_id);
    let seen = outsider.client().get(app.url(&status_path)).send().await.unwrap().status();
    assert_eq!(seen, 404, "nor is its outcome there for Oscar");
}
