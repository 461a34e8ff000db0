//! The response team's workflow through the API: triage, commands and their rules, CSV import,
//! the timeline, the audit trail (and tampering with it), alerts and export.

use chrono::Utc;
use functions::service::alerts::sign;
use serde_json::{Value, json};
use shared::api::{
    AlertOutcome, ErrorBody, ErrorCode, FollowUpView, IncidentDetail, Page, ReportDetail, ReportReceipt, TimelineEntry,
};
use shared::audit::Verification;
use shared::deadlines::timing::Anchor;
use shared::report::ReportStatus;
use shared::workflow::phase::{Phase, ReasonNeeded};
use tocsin_tests::{ALERT_SECRET, ALERT_SOURCE, TestApp, spawn_app, valid_report};

async fn submit(app: &TestApp, description: &str) -> ReportReceipt {
    let mut form = valid_report();
    form["description"] = json!(description);
    app.submit_json(&form).await.json().await.unwrap()
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(path)).json(&body).send().await.unwrap()
}

async fn post_ok<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str, body: Value) -> T {
    let response = post(app, path, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{path} answered {status}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn error(response: reqwest::Response, status: u16) -> ErrorBody {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

async fn declare(app: &TestApp, title: &str) -> IncidentDetail {
    post_ok(app, "/api/incidents", json!({ "title": title })).await
}

/// Sends one command against the version shown, and returns the incident as it is afterwards.
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

async fn timeline(app: &TestApp, incident: &IncidentDetail) -> Vec<TimelineEntry> {
    app.get_json::<Page<TimelineEntry>>(&format!("/api/incidents/{}/timeline?limit=200", incident.record.reference))
        .await
        .items
}

#[tokio::test]
async fn triage_opens_links_and_dismisses_and_the_reporter_sees_why() {
    let app = spawn_app().await;
    let first = submit(&app, "Strange logins on my account from abroad").await;
    let second = submit(&app, "I was locked out after a password reset I did not ask for").await;
    let noise = submit(&app, "Your website is slow this morning").await;
    let noise_token = app.outbox().last().unwrap().follow_up_token();

    let incident: IncidentDetail =
        post_ok(&app, &format!("/api/reports/{}/incident", first.reference), json!({})).await;
    assert_eq!(incident.record.title, "Strange logins on my account from abroad", "the title defaults to the headline");
    assert_eq!(incident.record.opened_by, "Tyler King");
    let reference = incident.record.reference;
    let linked: IncidentDetail =
        post_ok(&app, &format!("/api/reports/{}/link", second.reference), json!({ "incident": reference.to_string() }))
            .await;
    assert_eq!(linked.reports.len(), 2);
    assert_eq!(linked.detected_at, linked.reports.iter().map(|r| r.received_at).min().unwrap());
    // Discovery starts when the reporter noticed it, not when the report was logged, and says so.
    let discovered = linked.clock.iter().find(|a| a.anchor == Anchor::Discovered).unwrap();
    assert_eq!(discovered.at.unwrap().to_rfc3339(), "2026-01-02T03:04:05+00:00");
    let source = format!("Report {}: when the reporter noticed it", first.reference);
    assert_eq!((discovered.source.as_deref(), discovered.set_by_hand), (Some(source.as_str()), false));
    let detected = linked.clock.iter().find(|a| a.anchor == Anchor::Detected).unwrap();
    assert_eq!(detected.source.as_deref(), Some("When the first report was received"));

    let link_noise = format!("/api/reports/{}/link", noise.reference);
    let unknown = post(&app, &link_noise, json!({ "incident": "INC-2026-000999" })).await;
    assert_eq!(error(unknown, 422).await.fields[0].field, "incident");
    let dismiss_noise = format!("/api/reports/{}/dismiss", noise.reference);
    let too_short = post(&app, &dismiss_noise, json!({ "reason": "no" })).await;
    assert_eq!(error(too_short, 422).await.fields[0].field, "reason");
    let reason = "Slowness during a planned deploy; not a security matter";
    let dismissed: ReportDetail =
        post_ok(&app, &format!("/api/reports/{}/dismiss", noise.reference), json!({ "reason": reason })).await;
    assert_eq!((dismissed.status, dismissed.dismissal_reason.as_deref()), (ReportStatus::Dismissed, Some(reason)));

    let seen: FollowUpView =
        app.client.get(app.url("/api/follow-up")).bearer_auth(noise_token).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen.dismissal_reason.as_deref(), Some(reason));
    assert_eq!(seen.status, ReportStatus::Dismissed);

    let open_dismissed = post(&app, &format!("/api/reports/{}/incident", noise.reference), json!({})).await;
    assert_eq!(error(open_dismissed, 409).await.code, ErrorCode::Conflict);
    let link_again = format!("/api/reports/{}/link", first.reference);
    let relinked = post(&app, &link_again, json!({ "incident": reference.to_string() })).await;
    assert!(error(relinked, 409).await.message.contains("already linked"));
    let verification: Verification = app.get_json(&format!("/api/audit/{}/verify", noise.reference)).await;
    assert!(verification.is_intact() && verification.entries_checked == 2, "the dismissal and the reporter's email");
}

#[tokio::test]
async fn an_incident_goes_from_declared_to_closed_under_the_rules() {
    let app = spawn_app().await;
    let detected = "2026-01-02T03:00:00+01:00";
    let mut incident: IncidentDetail = post_ok(
        &app,
        "/api/incidents",
        json!({ "title": "Credential stuffing on login", "detected_at": detected, "summary": "Seen in **Grafana**" }),
    )
    .await;
    assert_eq!(incident.detected_at.to_rfc3339(), "2026-01-02T02:00:00+00:00");
    assert_eq!(incident.version, 3, "opened, the summary note, then the obligations it brings");

    // Leaving identification needs a classification and both leads: the refusal says so.
    let refused = command(&app, &incident, json!({ "type": "move_phase", "to": "containment_short_term" })).await;
    let body = error(refused, 409).await;
    assert_eq!(body.code, ErrorCode::Refused);
    assert!(body.message.contains("Classify") && body.message.contains("response lead"), "{}", body.message);

    run(&app, &mut incident, json!({ "type": "classify", "category": "account_takeover", "severity": "high" })).await;
    assert!(incident.record.tasks.iter().any(|t| t.title.starts_with("Notify IT")), "playbook tasks were seeded");
    run(&app, &mut incident, json!({ "type": "assign_role", "role": "response_lead", "person": "Tyler King" })).await;
    run(&app, &mut incident, json!({ "type": "assign_role", "role": "technical_lead", "person": "Bracken King" }))
        .await;
    run(&app, &mut incident, json!({ "type": "set_data_categories", "categories": ["credentials", "Payroll data"] }))
        .await;
    assert_eq!(incident.record.classification.data_categories[1].as_str(), "payroll_data");

    // A stale version is a conflict, not a silent overwrite.
    let stale = IncidentDetail { version: incident.version - 1, ..incident.clone() };
    let conflict = command(&app, &stale, json!({ "type": "rename", "title": "Something else" })).await;
    assert_eq!(error(conflict, 409).await.code, ErrorCode::Conflict);

    // Open playbook tasks need an override reason; a short one is a field error.
    let no_reason = command(&app, &incident, json!({ "type": "move_phase", "to": "containment_short_term" })).await;
    assert_eq!(error(no_reason, 422).await.fields[0].field, "reason");
    let skip =
        command(&app, &incident, json!({ "type": "move_phase", "to": "eradication", "reason": "skip ahead please" }));
    assert!(error(skip.await, 409).await.message.contains("one at a time"));
    run(&app, &mut incident, json!({ "type": "move_phase", "to": "containment_short_term", "reason": "Management was told by phone at 03:10" })).await;
    assert_eq!(incident.record.phase, Phase::ContainmentShortTerm);

    let bad_target = command(
        &app,
        &incident,
        json!({ "type": "log_containment", "kind": "block_ip", "target": "evil.example", "result": "succeeded" }),
    );
    assert_eq!(error(bad_target.await, 422).await.fields[0].field, "target");
    run(&app, &mut incident, json!({ "type": "log_containment", "kind": "block_ip", "target": "203.0.113.9/24", "result": "succeeded", "note": "At the WAF" })).await;
    assert_eq!(incident.record.containment[0].target, "203.0.113.0/24");
    assert_eq!(incident.record.containment[0].performed_by, "Tyler King");

    let reason = "Tasks are tracked in the change ticket CHG-42 instead";
    for phase in ["containment_long_term", "eradication", "recovery"] {
        run(&app, &mut incident, json!({ "type": "move_phase", "to": phase, "reason": reason })).await;
    }
    let undecided =
        command(&app, &incident, json!({ "type": "move_phase", "to": "lessons_learned", "reason": reason }));
    assert!(error(undecided.await, 409).await.message.contains("verdict"));
    run(&app, &mut incident, json!({ "type": "set_verdict", "verdict": "confirmed" })).await;
    // Duties still open are named before the move, and the override keeps the list.
    let winding_down = incident.moves.legal.iter().find(|m| m.to == Phase::LessonsLearned).unwrap();
    let ReasonNeeded::OpenWork { duties, .. } = winding_down.reason.clone() else { panic!("{winding_down:?}") };
    assert!(duties.iter().any(|d| d.starts_with("Notify IT and management (")), "{duties:?}");
    let quiet = command(&app, &incident, json!({ "type": "move_phase", "to": "lessons_learned" })).await;
    assert!(error(quiet, 422).await.fields[0].message.contains("2 duty(ies) (Notify IT"));
    run(&app, &mut incident, json!({ "type": "move_phase", "to": "lessons_learned", "reason": reason })).await;
    assert_eq!(incident.record.phase_changes.last().unwrap().open_duties, duties);

    let early_close = command(&app, &incident, json!({ "type": "move_phase", "to": "closed" }));
    assert!(error(early_close.await, 409).await.message.contains("review"));
    let bad_review = command(
        &app,
        &incident,
        json!({ "type": "save_review", "form": { "follow_up_actions": [{ "action": "Rate limit", "owner": "Bracken", "due_on": "soon" }] } }),
    );
    assert_eq!(error(bad_review.await, 422).await.fields[0].field, "follow_up_actions.0");
    let review = json!({
        "findings": "Reused passwords from another breach",
        "root_cause": "No rate limit on the login endpoint",
        "what_worked": "Blocking at the WAF within the hour",
        "what_did_not": "Alerts went to an unwatched channel",
        "follow_up_actions": [{ "action": "Rate-limit login", "owner": "Bracken King", "due_on": "2026-12-15" }],
        "procedure_updates": "Login alerts page the on-call engineer"
    });
    run(&app, &mut incident, json!({ "type": "save_review", "form": review })).await;
    run(&app, &mut incident, json!({ "type": "complete_review" })).await;
    run(&app, &mut incident, json!({ "type": "move_phase", "to": "closed", "reason": reason })).await;
    assert_eq!(incident.record.phase, Phase::Closed);
    assert!(incident.moves.legal.is_empty());
    let after_close = command(&app, &incident, json!({ "type": "rename", "title": "Renamed later" }));
    assert_eq!(error(after_close.await, 409).await.code, ErrorCode::Refused);

    let lines = timeline(&app, &incident).await;
    assert_eq!(lines.len() as u64, incident.version);
    assert!(
        lines.iter().any(|l| l.summary
            == "Moved from Identification to Containment (short term): Management was told by phone at 03:10")
    );
    assert_eq!(lines[1].note_html.as_deref(), Some("<p>Seen in <strong>Grafana</strong></p>\n"));
    assert!(lines.iter().all(|l| l.actor == "Tyler King"));
    let verification: Verification = app.get_json(&format!("/api/audit/{}/verify", incident.record.reference)).await;
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.entries_checked, incident.version);
}

#[tokio::test]
async fn notes_render_markdown_but_never_markup() {
    let app = spawn_app().await;
    let mut incident = declare(&app, "Phishing wave").await;
    let note = "Blocked **sender**.\n\n<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))";
    run(&app, &mut incident, json!({ "type": "add_note", "markdown": note })).await;
    let html = timeline(&app, &incident).await.pop().unwrap().note_html.unwrap();
    assert!(html.contains("<strong>sender</strong>"), "{html}");
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("href=\"javascript"), "{html}");
}

#[tokio::test]
async fn tampering_with_the_stored_trail_is_reported_at_the_first_broken_link() {
    let app = spawn_app().await;
    let mut incident = declare(&app, "Malware on a build agent").await;
    for step in 0..20 {
        run(&app, &mut incident, json!({ "type": "add_note", "markdown": format!("Step {step}") })).await;
    }
    let reference = incident.record.reference.to_string();
    let verify = || async { app.get_json::<Verification>(&format!("/api/audit/{reference}/verify")).await };
    assert!(verify().await.is_intact());
    let db = app.database();
    let body: String = db
        .query_row("SELECT body FROM audit_entries WHERE subject = ?1 AND seq = 7", [&reference], |r| r.get(0))
        .unwrap();

    db.execute(
        "UPDATE audit_entries SET body = replace(body, 'Step 4', 'Step four') WHERE subject = ?1 AND seq = 7",
        [&reference],
    )
    .unwrap();
    assert_eq!(verify().await.broken.unwrap().seq, 7, "an edited entry");
    db.execute("UPDATE audit_entries SET body = ?2 WHERE subject = ?1 AND seq = 7", [&reference, &body]).unwrap();
    assert!(verify().await.is_intact(), "restored");

    db.execute("DELETE FROM audit_entries WHERE subject = ?1 AND seq = 12", [&reference]).unwrap();
    assert_eq!(verify().await.broken.unwrap().seq, 12, "a deleted entry");
    db.execute("DELETE FROM audit_entries WHERE subject = ?1 AND seq >= 12", [&reference]).unwrap();
    let truncated = verify().await.broken.unwrap();
    assert_eq!(truncated.seq, 12, "a truncated tail: {}", truncated.problem);
}

fn signed_alert(app: &TestApp, body: &Value, secret: &str, source: &str) -> reqwest::RequestBuilder {
    let bytes = serde_json::to_vec(body).unwrap();
    app.client
        .post(app.url(&format!("/api/alerts/{source}")))
        .header("content-type", "application/json")
        .header("Tocsin-Signature", sign(secret, &bytes, Utc::now()))
        .body(bytes)
}

#[tokio::test]
async fn signed_alerts_open_one_incident_per_key_and_unsigned_ones_are_refused() {
    let app = spawn_app().await;
    let alert = json!({ "criterion": "unusual_login_attempts", "source_key": "login-spike:eu", "title": "Login failures 40x baseline" });

    let unsigned = app.client.post(app.url(&format!("/api/alerts/{ALERT_SOURCE}"))).json(&alert).send().await.unwrap();
    assert_eq!(error(unsigned, 401).await.code, ErrorCode::Unauthorized);
    let wrong_secret = signed_alert(&app, &alert, "not-the-secret-but-long-enough-to-pass", ALERT_SOURCE);
    assert_eq!(wrong_secret.send().await.unwrap().status(), 401);
    let unknown_source = signed_alert(&app, &alert, ALERT_SECRET, "someone-else");
    assert_eq!(unknown_source.send().await.unwrap().status(), 401);
    let stale_header = sign(ALERT_SECRET, alert.to_string().as_bytes(), Utc::now() - chrono::Duration::minutes(10));
    let stale = app
        .client
        .post(app.url(&format!("/api/alerts/{ALERT_SOURCE}")))
        .header("Tocsin-Signature", stale_header)
        .body(alert.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);

    // The same key fired five times at once: one incident, every sighting counted.
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let request = signed_alert(&app, &alert, ALERT_SECRET, ALERT_SOURCE);
        sends.spawn(async move {
            let response = request.send().await.unwrap().error_for_status().unwrap();
            response.json::<AlertOutcome>().await.unwrap()
        });
    }
    let outcomes = sends.join_all().await;
    let incidents: std::collections::HashSet<_> = outcomes.iter().map(|o| o.incident).collect();
    assert_eq!(incidents.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| o.opened).count(), 1);
    let incident: IncidentDetail = app.get_json(&format!("/api/incidents/{}", outcomes[0].incident)).await;
    assert_eq!(incident.record.alerts[0].count, 5);
    assert_eq!(incident.record.classification.category.map(|c| c.as_str()), Some("unusual_login_attempts"));
    assert!(!incident.record.tasks.is_empty(), "the playbook applies to alert incidents too");

    let other_key = json!({ "criterion": "ddos", "source_key": "edge-saturation", "title": "Edge at 95%" });
    let response = signed_alert(&app, &other_key, ALERT_SECRET, ALERT_SOURCE).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let outcome: AlertOutcome = response.json().await.unwrap();
    assert_ne!(outcome.incident, outcomes[0].incident);
}

#[tokio::test]
async fn the_export_is_downloadable_markdown_and_escaped_print_html() {
    let app = spawn_app().await;
    let mut incident = declare(&app, "Lost laptop <script>alert(1)</script>").await;
    run(&app, &mut incident, json!({ "type": "add_note", "markdown": "Reported by **Sam**" })).await;
    let reference = incident.record.reference;

    let markdown = app.get(&format!("/api/incidents/{reference}/export.md")).await;
    assert_eq!(markdown.status(), 200);
    assert!(markdown.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let text = markdown.text().await.unwrap();
    for section in [
        "## Timeline",
        "## Investigation",
        "## Containment actions",
        "## Deadline clock",
        "## Obligations",
        "## Notifications",
        "## Post-incident review",
        "## Audit trail",
    ] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
    assert!(text.contains("Reported by **Sam**") && text.contains("the chain is intact"));
    let duty = text.lines().find(|l| l.starts_with("| POLICY-INTERNAL: Notify IT and management |")).expect(&text);
    assert!(duty.contains("Incident Management and Response Policy") && duty.ends_with("| Due soon |"), "{duty}");
    assert!(text.contains("| Discovered | ") && text.contains("| When the incident was opened |"), "{text}");
    assert!(text.contains("No notifications recorded."), "nothing was sent yet");
    assert!(
        text.contains(r"Lost laptop \<script\>alert(1)\</script\>") && !text.contains("<script>"),
        "typed markup stays text in a Markdown viewer"
    );

    let html = app.get(&format!("/api/incidents/{reference}/export.html")).await;
    for export in [&html, &app.get(&format!("/api/incidents/{reference}/export.md")).await] {
        let policy = export.headers()["content-security-policy"].to_str().unwrap();
        for directive in
            ["sandbox", "default-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'none'"]
        {
            assert!(policy.contains(directive), "{directive} missing from {policy}");
        }
    }
    let html = html.text().await.unwrap();
    assert!(html.contains("@media print"));
    assert!(html.contains("Lost laptop &lt;script&gt;") && !html.contains("<script>"), "the title is escaped");
    assert!(html.contains("Reported by <strong>Sam</strong>"));
    assert_eq!(app.get(&format!("/api/incidents/{reference}/export.pdf")).await.status(), 404);
}

/// Of concurrent attempts to open an incident from one report, one wins; the refused ones draw no
/// incident number, so the next incident is numbered right after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refusals_to_open_an_incident_burn_no_numbers() {
    let app = std::sync::Arc::new(spawn_app().await);
    let report = submit(&app, "Two hundred clicks on one button").await;
    let path = format!("/api/reports/{}/incident", report.reference);
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (app, path) = (app.clone(), path.clone());
        attempts.spawn(async move { post(&app, &path, json!({ "title": "" })).await.status().as_u16() });
    }
    let statuses: Vec<u16> = attempts.join_all().await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [201, 409].contains(s)), "{statuses:?}");
    let opened: ReportDetail = app.get_json(&format!("/api/reports/{}", report.reference)).await;
    let next = declare(&app, "The next incident").await;
    assert_eq!(next.record.reference.number, opened.incident.unwrap().number + 1, "no number skipped");
}
