//! Roles × endpoints × objects: every dashboard route, called by every role and by no one, on real
//! objects. A role the table refuses never gets a 2xx (it gets 403, and the refusal is in the
//! security log); no one signed in gets 401; a role the table allows is never refused. The route
//! list is checked against the router's source, so a new route cannot miss the matrix.

use chrono::{Datelike, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use shared::access::{Action, TeamMember, TeamRole};
use shared::api::{IncidentDetail, Page, ReportDetail, ReportReceipt, TimelineEntry};
use tocsin_tests::{PNG_BYTES, spawn_app, valid_report};

/// `(method, route as the router names it, action)`.
const MATRIX: &[(&str, &str, Action)] = &[
    ("GET", "/session", Action::Read),
    ("GET", "/accounts", Action::ManageTeam),
    ("PATCH", "/accounts/{id}", Action::ManageTeam),
    ("POST", "/invitations", Action::ManageTeam),
    ("GET", "/security-log/{year}", Action::ReadSecurityLog),
    ("GET", "/reports", Action::Read),
    ("GET", "/reports/{reference}", Action::Read),
    ("POST", "/reports/{reference}/incident", Action::Work),
    ("POST", "/reports/{reference}/link", Action::Work),
    ("POST", "/reports/{reference}/dismiss", Action::Work),
    ("GET", "/inbound", Action::Read),
    ("GET", "/incidents", Action::Read),
    ("POST", "/incidents", Action::Work),
    ("GET", "/incidents/{reference}", Action::Read),
    ("POST", "/incidents/{reference}/commands", Action::Work),
    ("GET", "/incidents/{reference}/people", Action::Read),
    ("POST", "/incidents/{reference}/people", Action::Work),
    ("POST", "/incidents/{reference}/people/removals", Action::Work),
    ("POST", "/incidents/{reference}/people/accounted", Action::Work),
    ("GET", "/incidents/{reference}/people/left", Action::Read),
    ("POST", "/incidents/{reference}/people/imports", Action::Work),
    ("GET", "/incidents/{reference}/people/imports/{import}", Action::Read),
    ("GET", "/incidents/{reference}/timeline", Action::Read),
    ("POST", "/incidents/{reference}/obligations/{obligation}/evidence", Action::Work),
    ("GET", "/incidents/{reference}/evidence/{id}", Action::Export),
    ("POST", "/incidents/{reference}/notifications/{kind}/preview", Action::Read),
    ("POST", "/incidents/{reference}/updates", Action::Work),
    ("GET", "/incidents/{reference}/filings/{obligation}", Action::Read),
    ("POST", "/incidents/{reference}/notices/{notice}/recipients", Action::Work),
    ("GET", "/incidents/{reference}/notices/{notice}/preview", Action::Read),
    ("GET", "/incidents/{reference}/notices/{notice}/progress", Action::Read),
    ("GET", "/incidents/{reference}/{file}", Action::Export),
    ("GET", "/audit/{reference}/verify", Action::Read),
    ("GET", "/obligations", Action::Read),
    ("GET", "/metrics", Action::Read),
    ("GET", "/policy", Action::Read),
    ("POST", "/policy/reviews", Action::ReviewPolicy),
    ("GET", "/attachments/{id}", Action::Export),
    ("GET", "/outbox", Action::ManageTeam),
    ("GET", "/outbox/{id}", Action::ManageTeam),
];

/// Routes anyone may call (each has its own guard: a ticket, a token, a signature or nothing to hide).
const PUBLIC: &[&str] = &[
    "/health",
    "/client-settings",
    "/report-ticket",
    "/uploads",
    "/reports",
    "/follow-up",
    "/session",
    "/invitations/open",
    "/invitations/accept",
    "/password-resets",
    "/password-resets/complete",
    "/alerts/{source}",
    "/oidc/start",
    "/oidc/callback",
];

#[test]
fn every_route_of_the_router_is_in_the_matrix_or_public() {
    let source = include_str!("../../../functions/src/http/router.rs");
    let routes: Vec<&str> = source.split(".route(\"").skip(1).map(|rest| rest.split('"').next().unwrap()).collect();
    assert!(routes.len() > 30, "the router's routes were found");
    for route in routes {
        let known = MATRIX.iter().any(|(_, path, _)| *path == route) || PUBLIC.contains(&route);
        assert!(known, "{route} is neither in the access matrix nor listed as public");
    }
}

/// A concrete request for a route, on the objects the test made.
fn concrete(route: &str, objects: &Value) -> String {
    let mut path = route.to_owned();
    for (name, value) in objects.as_object().unwrap() {
        path = path.replace(&format!("{{{name}}}"), value.as_str().unwrap());
    }
    format!("/api{path}")
}

#[tokio::test]
async fn no_role_gets_a_2xx_the_table_refuses_and_every_refusal_is_logged() {
    let app = spawn_app().await;
    let receipt: ReportReceipt =
        app.submit_multipart(&valid_report(), &[("shot.png", PNG_BYTES)]).await.json().await.unwrap();
    let report: ReportDetail = app.get_json(&format!("/api/reports/{}", receipt.reference)).await;
    let declare = json!({ "title": "Matrix incident", "detected_at": "", "summary": "" });
    let incident: IncidentDetail =
        app.client.post(app.url("/api/incidents")).json(&declare).send().await.unwrap().json().await.unwrap();
    let team: Vec<TeamMember> = app.get_json("/api/accounts").await;
    let outbox: Page<shared::api::OutboxEntry> = app.get_json("/api/outbox").await;
    let objects = json!({
        "reference": incident.record.reference.to_string(),
        "id": report.attachments[0].id,
        "year": Utc::now().year().to_string(),
        "obligation": "no-such-obligation",
        "file": "export.md",
        "kind": "internal",
        "notice": "1",
        "import": "0195f3c2-7d1e-7000-8000-000000000001",
    });
    let report_objects = json!({ "reference": receipt.reference.to_string() });
    let account_objects = json!({ "id": team[0].id });
    let outbox_objects = json!({ "id": outbox.items[0].id });

    let mut callers = vec![(None, reqwest::Client::new())];
    for (role, name) in
        [(TeamRole::Member, "Mia Member"), (TeamRole::Lead, "Leo Lead"), (TeamRole::Auditor, "Ada Auditor")]
    {
        let email = format!("{}@tocsin.example", role.as_str());
        callers.push((Some(role), app.join_as(role.as_str(), name, &email).await.client()));
    }
    callers.push((Some(TeamRole::Admin), app.client.clone()));

    let (mut requests, mut refusals, mut unauthorized) = (0, 0, Vec::new());
    for (method, route, action) in MATRIX {
        let objects = match *route {
            r if r.starts_with("/reports/") => &report_objects,
            r if r.starts_with("/accounts/") => &account_objects,
            r if r.starts_with("/outbox/") => &outbox_objects,
            _ => &objects,
        };
        let path = concrete(route, objects);
        for (role, client) in &callers {
            let method: Method = method.parse().unwrap();
            let mut request = client.request(method.clone(), app.url(&path));
            if method != Method::GET {
                request = request.json(&json!({}));
            }
            let status = request.send().await.unwrap().status().as_u16();
            let who = role.map_or("no one", TeamRole::as_str);
            requests += 1;
            if (200..300).contains(&status) && !role.is_some_and(|role| role.may(*action)) {
                unauthorized.push(format!("{method} {path} by {who}: {status}"));
            }
            match role {
                None => assert_eq!(status, 401, "{method} {path} by {who}"),
                Some(role) if !role.may(*action) => {
                    assert_eq!(status, 403, "{method} {path} by {who}");
                    refusals += 1;
                }
                Some(_) => assert!(![401, 403].contains(&status), "{method} {path} by {who} was refused: {status}"),
            }
        }
    }
    println!(
        "role matrix: {requests} requests, {refusals} refused by the table, {} unauthorized 2xx",
        unauthorized.len()
    );
    assert_eq!(unauthorized, Vec::<String>::new());
    assert!(refusals > 20, "the matrix refuses something to most roles ({refusals})");

    let log: Page<TimelineEntry> = app.get_json(&format!("/api/security-log/{}?limit=1000", Utc::now().year())).await;
    let logged = log.items.iter().filter(|entry| entry.summary.contains(" refused to a ")).count();
    assert_eq!(logged, refusals, "every refusal is in the security log");
}

#[tokio::test]
async fn a_reporters_link_opens_their_own_report_and_nothing_else() {
    let app = spawn_app().await;
    let first: ReportReceipt = app.submit_json(&valid_report()).await.json().await.unwrap();
    let second: ReportReceipt = app.submit_json(&valid_report()).await.json().await.unwrap();
    let tokens: Vec<String> = app.outbox().iter().map(|email| email.follow_up_token()).collect();
    for (token, receipt) in tokens.iter().zip([&first, &second]) {
        let view: Value = reqwest::Client::new()
            .get(app.url("/api/follow-up"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(view["reference"], receipt.reference.to_string());
        let dashboard = reqwest::Client::new().get(app.url(&format!("/api/reports/{}", receipt.reference)));
        assert_eq!(dashboard.bearer_auth(token).send().await.unwrap().status(), 401, "a token is not a session");
    }
}

/// The third dimension: an incident restricted to its participants, with a linked report and its
/// file. Every route that reaches it, or lists what it holds, is called by each role from outside
/// it: no 2xx, and no list names it. Its participant and an admin reach it all.
#[tokio::test]
async fn nothing_of_a_restricted_incident_reaches_a_role_outside_it() {
    let app = spawn_app().await;
    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await;
    // Numbers of their own, so that no example in a message ("INC-2026-000001") looks like them.
    for title in ["Earlier one", "Earlier two"] {
        app.client.post(app.url("/api/incidents")).json(&json!({ "title": title })).send().await.unwrap();
        app.submit_json(&valid_report()).await;
    }
    let receipt: ReportReceipt =
        app.submit_multipart(&valid_report(), &[("shot.png", PNG_BYTES)]).await.json().await.unwrap();
    let open = json!({ "title": "Restricted matrix incident" });
    let path = format!("/api/reports/{}/incident", receipt.reference);
    let incident: IncidentDetail =
        lead.client().post(app.url(&path)).json(&open).send().await.unwrap().json().await.unwrap();
    let restrict =
        json!({ "expected_version": incident.version, "command": { "type": "restrict", "restricted": true } });
    let commands = app.url(&format!("/api/incidents/{}/commands", incident.record.reference));
    assert_eq!(lead.client().post(commands).json(&restrict).send().await.unwrap().status(), 200);
    let report: ReportDetail = app.get_json(&format!("/api/reports/{}", receipt.reference)).await;
    let secrets = [incident.record.reference.to_string(), receipt.reference.to_string()];
    let objects = json!({
        "reference": incident.record.reference.to_string(),
        "id": report.attachments[0].id,
        "obligation": "POLICY-INTERNAL",
        "file": "export.md",
        "kind": "internal",
        "notice": "1",
        "import": "0195f3c2-7d1e-7000-8000-000000000001",
    });
    let report_objects = json!({ "reference": receipt.reference.to_string() });
    let reaches_it = |route: &str| {
        ["/incidents", "/reports", "/attachments/", "/audit/", "/obligations", "/inbound", "/metrics"]
            .iter()
            .any(|prefix| route.starts_with(prefix))
    };

    let mut outsiders = Vec::new();
    for role in ["member", "lead", "auditor"] {
        let account = app.join_as(role, &format!("Outside {role}"), &format!("outside-{role}@tocsin.example")).await;
        outsiders.push((role, account.client()));
    }
    let (mut requests, mut leaks, mut reached) = (0, Vec::new(), 0);
    for (method, route, _) in MATRIX.iter().filter(|(_, route, _)| reaches_it(route)) {
        let path = concrete(route, if route.starts_with("/reports/") { &report_objects } else { &objects });
        let method: Method = method.parse().unwrap();
        let call = |client: &reqwest::Client| {
            let mut request = client.request(method.clone(), app.url(&path));
            if method != Method::GET {
                request = request.json(&json!({}));
            }
            request.send()
        };
        for (role, client) in &outsiders {
            requests += 1;
            let response = call(client).await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            let named = secrets.iter().any(|secret| body.contains(secret.as_str()));
            let listing = !route.contains('{');
            if (status.is_success() && !listing) || named {
                leaks.push(format!("{method} {path} by an outside {role}: {status} {body}"));
            }
        }
        if method == Method::GET && call(&lead.client()).await.unwrap().status().is_success() {
            reached += 1;
        }
    }
    println!("restricted incident: {requests} requests from outside roles, {} reached it", leaks.len());
    assert_eq!(leaks, Vec::<String>::new());
    assert!(requests > 40, "{requests}");
    assert!(reached >= 10, "its participant reaches its pages ({reached})");
}
