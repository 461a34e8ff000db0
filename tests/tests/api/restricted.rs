//! An incident restricted to its participants: invisible to the rest of the team (404, left out of
//! lists and the board), visible to the people in its roles and to admins; only leads and admins
//! restrict, and the audit trail says who did.

use functions::service::email_intake::ArrivingEmail;
use serde_json::{Value, json};
use shared::api::{
    IncidentDetail, IncidentSummary, ObligationEntry, Page, ReportDetail, ReportReceipt, ReportSummary, TimelineEntry,
};
use shared::inbound::{InboundMessage, InboundOutcome};
use shared::workflow::roles::Holder;
use tocsin_tests::{PNG_BYTES, TeamAccount, TestApp, spawn_app, valid_report};

async fn command(app: &TestApp, who: &reqwest::Client, incident: &IncidentDetail, command: Value) -> reqwest::Response {
    let path = format!("/api/incidents/{}/commands", incident.record.reference);
    let body = json!({ "expected_version": incident.version, "command": command });
    who.post(app.url(&path)).json(&body).send().await.unwrap()
}

async fn current(app: &TestApp, incident: &IncidentDetail) -> IncidentDetail {
    app.get_json(&format!("/api/incidents/{}", incident.record.reference)).await
}

async fn sees(app: &TestApp, account: &TeamAccount, incident: &IncidentDetail) -> bool {
    let client = account.client();
    let reference = incident.record.reference;
    let detail = client.get(app.url(&format!("/api/incidents/{reference}"))).send().await.unwrap().status();
    let listed: Page<IncidentSummary> =
        client.get(app.url("/api/incidents")).send().await.unwrap().json().await.unwrap();
    let board: Page<ObligationEntry> =
        client.get(app.url("/api/obligations")).send().await.unwrap().json().await.unwrap();
    let in_list = listed.items.iter().any(|i| i.reference == reference);
    let on_board = board.items.iter().any(|o| o.incident == reference);
    for path in ["timeline", "export.md", "people"] {
        let status = client.get(app.url(&format!("/api/incidents/{reference}/{path}"))).send().await.unwrap().status();
        assert_eq!(status == 200, detail == 200, "{path} agrees with the incident page");
    }
    // Writing to the register is reached the same way: an outsider learns nothing, not even
    // whether the form was right.
    let form =
        serde_json::json!({ "duty": "CA-IND", "ids": "A-1", "how": "letter", "told_at": "2026-12-01T10:00:00Z" });
    let path = format!("/api/incidents/{reference}/people/accounted");
    let accounted = client.post(app.url(&path)).json(&form).send().await.unwrap().status();
    assert_eq!(accounted != 404, detail == 200, "accounting for people agrees with the incident page: {accounted}");
    let left = client.get(app.url(&format!("/api/incidents/{reference}/people/left?duty=CA-IND"))).send();
    let left = left.await.unwrap().status();
    assert_eq!(left != 404, detail == 200, "who is left agrees with the incident page: {left}");
    assert_eq!(in_list, detail == 200, "the list agrees with the incident page");
    assert_eq!(on_board, detail == 200, "the board agrees with the incident page");
    detail == 200
}

#[tokio::test]
async fn a_restricted_incident_is_seen_only_by_its_participants_and_admins() {
    let app = spawn_app().await;
    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await;
    let member = app.join_as("member", "Mia Member", "mia@tocsin.example").await;
    let outsider = app.join_as("member", "Oscar Outsider", "oscar@tocsin.example").await;
    let other_lead = app.join_as("lead", "Lou Lead", "lou@tocsin.example").await;

    let declare = json!({ "title": "Payroll export mailed to the wrong customer", "detected_at": "", "summary": "" });
    let response = lead.client().post(app.url("/api/incidents")).json(&declare).send().await.unwrap();
    let incident: IncidentDetail = response.json().await.unwrap();
    let assign = json!({ "type": "assign_role", "role": "technical_lead", "person": "Mia Member" });
    assert_eq!(command(&app, &lead.client(), &incident, assign).await.status(), 200);
    let restrict = json!({ "type": "restrict", "restricted": true });

    let incident = current(&app, &incident).await;
    assert_eq!(command(&app, &member.client(), &incident, restrict.clone()).await.status(), 403, "members do not");
    assert_eq!(
        command(&app, &other_lead.client(), &incident, restrict.clone()).await.status(),
        409,
        "not a participant"
    );
    assert_eq!(command(&app, &lead.client(), &incident, restrict).await.status(), 200);

    assert!(sees(&app, &lead, &incident).await, "who opened it");
    assert!(sees(&app, &member, &incident).await, "who holds a role");
    assert!(sees(&app, &app.admin, &incident).await, "an admin");
    assert!(!sees(&app, &outsider, &incident).await);
    assert!(!sees(&app, &other_lead, &incident).await);
    let incident = current(&app, &incident).await;
    let note = json!({ "type": "add_note", "markdown": "Looking" });
    assert_eq!(command(&app, &outsider.client(), &incident, note).await.status(), 404, "nor can they change it");

    let timeline: Page<TimelineEntry> =
        app.get_json(&format!("/api/incidents/{}/timeline", incident.record.reference)).await;
    let entry = timeline.items.iter().find(|e| e.summary == "Access restricted to the participants").unwrap();
    assert_eq!(entry.actor, "Leo Lead");

    let open = json!({ "type": "restrict", "restricted": false });
    assert_eq!(command(&app, &app.client, &incident, open).await.status(), 200);
    assert!(sees(&app, &outsider, &incident).await, "open to the whole team again");
}

/// Everything reachable from a restricted incident's reports is hidden with it: the report, its
/// files (by id, from a follow-up too), the mail it came in as, and its place in lists.
#[tokio::test]
async fn a_restricted_incidents_reports_files_and_mail_are_hidden_with_it() {
    let app = spawn_app().await;
    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await;
    let auditor = app.join_as("auditor", "Ada Auditor", "ada@tocsin.example").await;
    let member = app.join_as("member", "Oscar Outsider", "oscar@tocsin.example").await;

    let raw = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/tests/fixtures/inbound/attachments.eml"),
    )
    .unwrap();
    let arriving = ArrivingEmail { raw: &raw, kept_at: None, authentication: None, files_flagged: None };
    let intake = app.services.take_in_email(arriving).await.unwrap();
    let InboundOutcome::Report { reference: mailed } = intake.message.outcome else { panic!("{intake:?}") };
    let uploaded: ReportReceipt =
        app.submit_multipart(&valid_report(), &[("shot.png", PNG_BYTES)]).await.json().await.unwrap();

    let open = json!({ "title": "Leaked customer list" });
    let path = format!("/api/reports/{}/incident", uploaded.reference);
    let incident: IncidentDetail =
        lead.client().post(app.url(&path)).json(&open).send().await.unwrap().json().await.unwrap();
    let link = json!({ "incident": incident.record.reference.to_string() });
    let linked = lead.client().post(app.url(&format!("/api/reports/{mailed}/link"))).json(&link).send().await.unwrap();
    assert_eq!(linked.status(), 200);
    let incident = current(&app, &incident).await;
    let restrict = json!({ "type": "restrict", "restricted": true });
    assert_eq!(command(&app, &lead.client(), &incident, restrict).await.status(), 200);

    let mut files = Vec::new();
    for report in [uploaded.reference, mailed] {
        let detail: ReportDetail = app.get_json(&format!("/api/reports/{report}")).await;
        files.extend(detail.attachments.iter().map(|a| a.id.clone()));
    }
    assert!(files.len() >= 2, "a file of each report: {files:?}");

    let reaches = |account: &TeamAccount| {
        let client = account.client();
        let (files, app) = (files.clone(), &app);
        async move {
            let mut reached = Vec::new();
            for report in [uploaded.reference, mailed] {
                if client.get(app.url(&format!("/api/reports/{report}"))).send().await.unwrap().status() != 404 {
                    reached.push(format!("report {report}"));
                }
            }
            for id in &files {
                if client.get(app.url(&format!("/api/attachments/{id}"))).send().await.unwrap().status() != 404 {
                    reached.push(format!("file {id}"));
                }
            }
            let listed: Page<ReportSummary> =
                client.get(app.url("/api/reports?limit=100")).send().await.unwrap().json().await.unwrap();
            reached.extend(
                listed
                    .items
                    .iter()
                    .filter(|r| [uploaded.reference, mailed].contains(&r.reference))
                    .map(|r| format!("listed {}", r.reference)),
            );
            let inbound: Vec<InboundMessage> =
                client.get(app.url("/api/inbound")).send().await.unwrap().json().await.unwrap();
            reached.extend(
                inbound
                    .iter()
                    .filter(|m| m.outcome == InboundOutcome::Report { reference: mailed })
                    .map(|_| "mail".to_owned()),
            );
            reached
        }
    };
    assert_eq!(reaches(&member).await, Vec::<String>::new(), "a member outside the incident");
    assert_eq!(reaches(&auditor).await, Vec::<String>::new(), "an auditor outside the incident");
    assert_eq!(reaches(&lead).await.len(), 2 + files.len() + 2 + 1, "its participant reaches everything");
    assert_eq!(reaches(&app.admin).await.len(), 2 + files.len() + 2 + 1, "an admin reaches everything");
}

async fn assign(app: &TestApp, by: &TeamAccount, incident: &IncidentDetail, person: &str) -> reqwest::Response {
    let incident = current(app, incident).await;
    command(app, &by.client(), &incident, json!({ "type": "assign_role", "role": "team_member", "person": person }))
        .await
}

/// Names never decide access: a newcomer given a participant's name sees nothing, a shared name
/// must be told apart by email, and someone without an account holds a role that opens nothing,
/// even to an account later made with their name.
#[tokio::test]
async fn a_namesake_sees_nothing_and_names_never_decide_access() {
    let app = spawn_app().await;
    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await;
    let declare = json!({ "title": "Board minutes in a public bucket" });
    let incident: IncidentDetail =
        lead.client().post(app.url("/api/incidents")).json(&declare).send().await.unwrap().json().await.unwrap();
    let restrict = json!({ "type": "restrict", "restricted": true });
    assert_eq!(command(&app, &lead.client(), &incident, restrict).await.status(), 200);

    let namesake = app.join_as("member", "Leo Lead", "leo.other@tocsin.example").await;
    assert!(sees(&app, &lead, &incident).await, "the opener, by account");
    assert!(!sees(&app, &namesake, &incident).await, "a newcomer with the opener's name");

    let ambiguous = assign(&app, &lead, &incident, "Leo Lead").await;
    assert_eq!(ambiguous.status(), 422);
    let error: Value = ambiguous.json().await.unwrap();
    assert!(error["fields"][0]["message"].as_str().unwrap().contains("enter the email address"), "{error}");
    assert!(!sees(&app, &namesake, &incident).await);
    assert_eq!(assign(&app, &lead, &incident, "LEO.OTHER@tocsin.example").await.status(), 200);
    assert!(sees(&app, &namesake, &incident).await, "named by their email address, they hold the role");

    assert_eq!(assign(&app, &lead, &incident, "Casey Counsel").await.status(), 200);
    let casey = app.join_as("member", "Casey Counsel", "casey@tocsin.example").await;
    assert_eq!(app.services.link_participants().await.unwrap().linked, 0, "chosen as no account, never linked");
    assert!(!sees(&app, &casey, &incident).await, "an account made later with the holder's name");
    let holders = current(&app, &incident).await.record.roles;
    assert!(holders.iter().any(|r| r.person == "Casey Counsel" && r.holder == Holder::NoAccount), "{holders:?}");
}

/// Incidents written before accounts decided access: each participant whose name exactly one
/// active account has is linked on the audit trail, once; a name two accounts share is left
/// unlinked and shown, and gives nobody access.
#[tokio::test]
async fn participants_named_before_accounts_are_linked_once_and_the_rest_left_out() {
    let app = spawn_app().await;
    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await;
    let mia = app.join_as("member", "Mia Member", "mia@tocsin.example").await;
    let sam = app.join_as("member", "Sam Shared", "sam@tocsin.example").await;
    let declare = json!({ "title": "Old incident" });
    let incident: IncidentDetail =
        lead.client().post(app.url("/api/incidents")).json(&declare).send().await.unwrap().json().await.unwrap();
    assert_eq!(assign(&app, &lead, &incident, "Mia Member").await.status(), 200);
    assert_eq!(assign(&app, &lead, &incident, "sam@tocsin.example").await.status(), 200);
    let restrict = json!({ "type": "restrict", "restricted": true });
    let restricted = command(&app, &lead.client(), &current(&app, &incident).await, restrict).await;
    assert_eq!(restricted.status(), 200);
    let other_sam = app.join_as("member", "Sam Shared", "sam.two@tocsin.example").await;

    // As an older version stored it: names only.
    let reference = incident.record.reference.to_string();
    app.database()
        .execute(
            "UPDATE incidents SET record = json_remove(record, '$.opened_by_account', '$.roles[0].holder', '$.roles[1].holder')
             WHERE reference = ?1",
            [&reference],
        )
        .unwrap();
    for (who, account) in [("the opener", &lead), ("Mia", &mia), ("Sam", &sam)] {
        assert!(!sees(&app, account, &incident).await, "{who} by name alone");
    }

    let links = app.services.link_participants().await.unwrap();
    assert_eq!((links.linked, links.unlinked), (2, 1), "{links:?}");
    assert!(sees(&app, &lead, &incident).await);
    assert!(sees(&app, &mia, &incident).await);
    assert!(!sees(&app, &sam, &incident).await, "a name two accounts share links neither");
    assert!(!sees(&app, &other_sam, &incident).await);
    let record = current(&app, &incident).await.record;
    assert_eq!(record.unlinked_participants(), ["Sam Shared"]);
    let timeline: Page<TimelineEntry> = app.get_json(&format!("/api/incidents/{reference}/timeline")).await;
    assert!(
        timeline.items.iter().any(|e| e.summary == "Mia Member linked to their team account" && e.actor == "Tocsin")
    );
    let again = app.services.link_participants().await.unwrap();
    assert_eq!((again.linked, again.unlinked), (0, 1), "once");
}
