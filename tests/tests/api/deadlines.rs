//! Deadlines through the API: obligations follow the incident's facts, corrections and
//! judgements are checked and audited, the board and the metrics read them, and local mode's
//! timer sends escalations into the outbox.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use shared::api::{ErrorBody, IncidentDetail, ObligationEntry, Page, PolicyDetail};
use shared::deadlines::obligation::{Obligation, ObligationStatus};
use shared::metrics::MonthMetrics;
use tocsin_tests::{TestApp, spawn_app, spawn_app_checking_deadlines_every_second, spawn_app_policy_last_reviewed};

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(path)).json(&body).send().await.unwrap()
}

async fn declare(app: &TestApp, body: Value) -> IncidentDetail {
    let response = post(app, "/api/incidents", body).await;
    assert!(response.status().is_success());
    response.json().await.unwrap()
}

async fn command(app: &TestApp, incident: &IncidentDetail, command: Value) -> reqwest::Response {
    let path = format!("/api/incidents/{}/commands", incident.record.reference);
    post(app, &path, json!({ "expected_version": incident.version, "command": command })).await
}

async fn run(app: &TestApp, incident: &mut IncidentDetail, body: Value) {
    let response = command(app, incident, body.clone()).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{body} answered {status}: {text}");
    *incident = serde_json::from_str(&text).unwrap();
}

async fn refused(app: &TestApp, incident: &IncidentDetail, body: Value, field: &str) -> String {
    let response = command(app, incident, body).await;
    assert_eq!(response.status(), 422);
    let error: ErrorBody = response.json().await.unwrap();
    error.fields.into_iter().find(|f| f.field == field).unwrap_or_else(|| panic!("no {field} error")).message
}

fn obligation<'a>(incident: &'a IncidentDetail, id: &str) -> &'a Obligation {
    incident.record.obligations.iter().find(|o| o.id == id).unwrap_or_else(|| panic!("no obligation {id}"))
}

#[tokio::test]
async fn obligations_follow_the_facts_and_every_judgement_is_checked() {
    let app = spawn_app().await;
    let detected = (Utc::now() - Duration::hours(2)).to_rfc3339();
    let mut incident = declare(&app, json!({ "title": "Exported customer list", "detected_at": detected })).await;
    let detected = incident.detected_at;
    let internal = obligation(&incident, "POLICY-INTERNAL");
    assert_eq!(internal.due_at, Some(detected + Duration::hours(1)));
    assert!(incident.record.obligations.iter().all(|o| o.id != "POLICY-CUSTOMER"), "no breach yet");

    // A confirmed breach of customers' personal data starts the 72-hour customer clock.
    let confirmed: DateTime<Utc> = Utc::now() - Duration::minutes(5);
    run(&app, &mut incident, json!({ "type": "set_verdict", "verdict": "confirmed", "confirmed_at": confirmed })).await;
    run(&app, &mut incident, json!({ "type": "set_data_categories", "categories": ["Personal information"] })).await;
    let investigation = json!({ "type": "record_investigation", "form": { "affected_estimate": "1200", "jurisdictions": ["DE", "US-CA"] } });
    run(&app, &mut incident, investigation).await;
    let customer = obligation(&incident, "POLICY-CUSTOMER");
    assert_eq!(customer.due_at, Some(confirmed + Duration::hours(72)));
    assert_eq!(obligation(&incident, "EU-GDPR-33").due_at, Some(confirmed + Duration::hours(72)), "aware = confirmed");
    assert!(obligation(&incident, "CA-IND").due_at.is_some(), "California residents are affected");

    // The facts change: the duty is not dropped but marked not required, with the reason.
    run(&app, &mut incident, json!({ "type": "set_verdict", "verdict": "not_a_breach" })).await;
    match &obligation(&incident, "POLICY-CUSTOMER").status {
        ObligationStatus::NotRequired { reason, by: None, .. } => assert!(reason.contains("not a breach"), "{reason}"),
        other => panic!("expected not required, got {other:?}"),
    }
    run(&app, &mut incident, json!({ "type": "set_verdict", "verdict": "confirmed", "confirmed_at": confirmed })).await;
    assert_eq!(obligation(&incident, "POLICY-CUSTOMER").status, ObligationStatus::Open, "applies again");

    // A person judging a duty not required must justify it; meeting one needs its evidence.
    let waive = json!({ "type": "waive_obligation", "id": "EU-GDPR-33", "justification": "no" });
    assert!(refused(&app, &incident, waive, "justification").await.contains("at least"));
    let waive = json!({ "type": "waive_obligation", "id": "EU-GDPR-33", "justification": "Data was encrypted; key not taken (Art. 34(3)(a))" });
    run(&app, &mut incident, waive).await;
    let meet =
        json!({ "type": "meet_obligation", "id": "POLICY-INTERNAL", "evidence_kind": "message_id", "evidence": " " });
    assert!(!refused(&app, &incident, meet, "evidence").await.is_empty());
    let meet = json!({ "type": "meet_obligation", "id": "POLICY-INTERNAL", "evidence_kind": "message_id", "evidence": "<0001@mail.example>" });
    run(&app, &mut incident, meet).await;
    assert!(matches!(obligation(&incident, "POLICY-INTERNAL").status, ObligationStatus::Met { .. }));

    // Clock anchors keep their order, and a correction says why.
    let early = detected - Duration::hours(1);
    let contained = json!({ "type": "set_anchor", "anchor": "contained", "at": early });
    assert!(refused(&app, &incident, contained, "at").await.contains("cannot come before detected"));
    let aware = json!({ "type": "set_anchor", "anchor": "aware", "at": confirmed + Duration::minutes(1) });
    assert!(refused(&app, &incident, aware.clone(), "reason").await.contains("already known"));
    let mut aware = aware;
    aware["reason"] = json!("Counsel confirmed awareness a minute later");
    run(&app, &mut incident, aware).await;
    let timeline: Page<shared::api::TimelineEntry> =
        app.get_json(&format!("/api/incidents/{}/timeline?limit=200", incident.record.reference)).await;
    let said: Vec<&str> = timeline.items.iter().map(|e| e.summary.as_str()).collect();
    assert!(said.iter().any(|s| s.starts_with("Clock: Became aware set to") && s.contains("Counsel")), "{said:#?}");
    assert!(said.iter().any(|s| s.contains("EU-GDPR-33 judged not required")), "{said:#?}");

    // The board lists open obligations soonest first; met ones on their own tab.
    let open: Page<ObligationEntry> = app.get_json("/api/obligations?state=open&limit=100").await;
    let dues: Vec<_> = open.items.iter().map(|e| e.obligation.due_at.unwrap_or(DateTime::<Utc>::MAX_UTC)).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    assert!(open.items.iter().any(|e| e.obligation.id == "POLICY-CUSTOMER"));
    let met: Page<ObligationEntry> = app.get_json("/api/obligations?state=met").await;
    assert_eq!(met.items.iter().map(|e| e.obligation.id.as_str()).collect::<Vec<_>>(), ["POLICY-INTERNAL"]);
    let months: Vec<MonthMetrics> = app.get_json("/api/metrics").await;
    assert_eq!(months[0].incidents, 1);
    assert!(months[0].hours_to_internal_notice.is_some());
}

#[tokio::test]
async fn the_local_timer_escalates_an_overdue_internal_notice_once() {
    let app = spawn_app_checking_deadlines_every_second().await;
    let detected = (Utc::now() - Duration::hours(3)).to_rfc3339();
    declare(&app, json!({ "title": "Noticed late", "detected_at": detected })).await;
    let overdue = |app: &TestApp| app.outbox().into_iter().filter(|e| e.subject.starts_with("OVERDUE")).count();
    for _ in 0..100 {
        if overdue(&app) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Both escalations (response lead, then management) are past; a few more ticks add nothing.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(overdue(&app), 2, "{:#?}", app.outbox().iter().map(|e| &e.subject).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_file_is_kept_as_evidence_and_downloads_as_uploaded() {
    let app = spawn_app().await;
    let incident = declare(&app, json!({ "title": "Regulator filing with a PDF receipt" })).await;
    let as_text = json!({ "type": "meet_obligation", "id": "POLICY-INTERNAL", "evidence_kind": "file", "evidence": "receipt.png" });
    assert!(refused(&app, &incident, as_text, "evidence_kind").await.contains("Upload the file"));

    let path = format!("/api/incidents/{}/obligations/POLICY-INTERNAL/evidence", incident.record.reference);
    let send = |form: reqwest::multipart::Form| app.client.post(app.url(&path)).multipart(form).send();
    let evidence = json!({ "expected_version": incident.version }).to_string();
    let disguised = reqwest::multipart::Form::new().text("evidence", evidence.clone()).part(
        "attachment",
        reqwest::multipart::Part::bytes(b"MZ\x90\x00 not a picture".to_vec()).file_name("receipt.png"),
    );
    assert_eq!(send(disguised).await.unwrap().status(), 415, "files are checked by content");
    let none = reqwest::multipart::Form::new().text("evidence", evidence.clone());
    assert_eq!(send(none).await.unwrap().status(), 422);

    let form = reqwest::multipart::Form::new()
        .text("evidence", evidence)
        .part("attachment", reqwest::multipart::Part::bytes(tocsin_tests::PNG_BYTES.to_vec()).file_name("receipt.png"));
    let response = send(form).await.unwrap();
    assert_eq!(response.status(), 200);
    let met: IncidentDetail = response.json().await.unwrap();
    let ObligationStatus::Met { evidence, by, .. } = &obligation(&met, "POLICY-INTERNAL").status else {
        panic!("not met")
    };
    assert_eq!((evidence.value.as_str(), by.as_str()), ("receipt.png", "Tyler King"));
    let file = evidence.file.as_ref().expect("the file's record");
    let download = app
        .client
        .get(app.url(&format!("/api/incidents/{}/evidence/{}", met.record.reference, file.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(download.bytes().await.unwrap().as_ref(), tocsin_tests::PNG_BYTES);
    let unknown = app.client.get(app.url(&format!("/api/incidents/{}/evidence/nope", met.record.reference))).send();
    assert_eq!(unknown.await.unwrap().status(), 404);
}

#[tokio::test]
async fn an_overdue_yearly_review_escalates_once_and_a_recorded_review_starts_the_next_year() {
    let thirteen_months_ago = (Utc::now() - Duration::days(396)).date_naive();
    let app = spawn_app_policy_last_reviewed(thirteen_months_ago).await;
    let overdue = |app: &TestApp| {
        app.outbox().into_iter().filter(|e| e.subject.contains("Review the incident policy (yearly)")).count()
    };
    for _ in 0..100 {
        if overdue(&app) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let register: PolicyDetail = app.get_json("/api/policy").await;
    let first = &register.register.obligations[0];
    assert_eq!(first.due_at.unwrap().date_naive(), thirteen_months_ago + chrono::Months::new(12));

    let empty =
        post(&app, "/api/policy/reviews", json!({ "summary": " ", "expected_version": register.version })).await;
    assert_eq!(empty.status(), 422);
    let error: ErrorBody = empty.json().await.unwrap();
    assert!(error.fields.iter().any(|f| f.field == "summary"), "{error:?}");
    let review = json!({
        "summary": "Read with legal; nothing to change",
        "communicated": true,
        "expected_version": register.version,
    });
    let reviewed = post(&app, "/api/policy/reviews", review.clone()).await;
    assert!(reviewed.status().is_success());
    let reviewed: PolicyDetail = reviewed.json().await.unwrap();
    assert_eq!(post(&app, "/api/policy/reviews", review).await.status(), 409, "the same form twice");

    let met: Page<ObligationEntry> = app.get_json("/api/obligations?state=met").await;
    let open: Page<ObligationEntry> = app.get_json("/api/obligations?state=open").await;
    let reference = reviewed.register.reference;
    assert!(met.items.iter().any(|e| e.incident == reference && e.obligation.id == "POLICY-ANNUAL-1"));
    let next = open.items.iter().find(|e| e.incident == reference).expect("next year's review is on the board");
    assert_eq!(next.obligation.id, "POLICY-ANNUAL-2");
    assert!(next.obligation.due_at.unwrap() > Utc::now() + Duration::days(360));
    // Both escalations went out before the review; more ticks add nothing.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(overdue(&app), 2, "{:#?}", app.outbox().iter().map(|e| &e.subject).collect::<Vec<_>>());
    let verification: Value = app.get_json(&format!("/api/audit/{reference}/verify")).await;
    assert_eq!(verification["broken"], Value::Null, "{verification}");
}
