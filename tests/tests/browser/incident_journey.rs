//! One incident from report to closure, worked through the dashboard as the team would: triage,
//! classification, roles, every phase with its checklist, containment, notes, affected accounts,
//! the review, and finally the audit check and the export.

use std::time::Instant;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::json;
use tocsin_tests::browser::Browser;

use super::{WAIT, app_with_ui, fill, screenshot, screenshot_at, sign_in, text_of};

const RESPONDER: &str = "Ada Responder";
const WIND_DOWN_REASON: &str = "Counsel advised that the parent company sends the notices under its own name";
const OVERRIDE_REASON: &str = "The containment tasks are handled by the on-call team outside Tocsin";

pub(crate) async fn element(c: &Client, id: &str) -> Element {
    c.wait().at_most(WAIT).for_element(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"))
}

pub(crate) async fn click(c: &Client, id: &str) {
    element(c, id).await.click().await.unwrap_or_else(|e| panic!("clicking #{id}: {e}"));
}

async fn choose(c: &Client, select_id: &str, value: &str) {
    element(c, select_id).await.select_by_value(value).await.unwrap_or_else(|e| panic!("#{select_id} = {value}: {e}"));
}

/// Sets a field the way typing would end (for date inputs, whose typed format depends on the locale).
async fn set_value(c: &Client, id: &str, value: &str) {
    element(c, id).await;
    let script = "const el = document.getElementById(arguments[0]); el.value = arguments[1]; \
                  el.dispatchEvent(new Event('input', { bubbles: true })); \
                  el.dispatchEvent(new Event('change', { bubbles: true }));";
    c.execute(script, vec![json!(id), json!(value)]).await.unwrap();
}

/// Waits until `ready` holds, checking every 100 ms; panics with `what` after `WAIT`.
pub(crate) async fn wait_until<F, Fut>(what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !ready().await {
        assert!(start.elapsed() < WAIT, "timed out waiting until {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The text of an element if it is there now, without waiting.
async fn text_now(c: &Client, css: &str) -> Option<String> {
    match c.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.ok(),
        Err(_) => None,
    }
}

pub(crate) async fn wait_for_text(c: &Client, css: &str, expected: &str) -> String {
    let mut last = String::new();
    let start = Instant::now();
    loop {
        if let Some(text) = text_now(c, css).await {
            if text.contains(expected) {
                return text;
            }
            last = text;
        }
        assert!(start.elapsed() < WAIT, "{css} never said {expected:?}; it said {last:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The incident version the page shows; it moves on with every change the server accepts.
async fn version(c: &Client) -> String {
    element(c, "incident").await.attr("data-version").await.unwrap().expect("the incident has a data-version")
}

/// Waits for a command sent from the page to land, and says what the page shows if it does not.
async fn changed(c: &Client, before: &str) {
    let start = Instant::now();
    loop {
        if version(c).await != before {
            return;
        }
        if start.elapsed() > WAIT {
            let notice = text_now(c, "#command-error").await.unwrap_or_default();
            let summaries = match c.find_all(Locator::Css(".error-summary")).await {
                Ok(found) => {
                    let mut texts = Vec::new();
                    for summary in found {
                        texts.push(summary.text().await.unwrap_or_default());
                    }
                    texts.join(" | ")
                }
                Err(_) => String::new(),
            };
            panic!("the change was not made (version still {before}); notice: {notice:?}; errors: {summaries:?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Clicks a button that sends a command, and waits until the incident has changed.
pub(crate) async fn command(c: &Client, button: &str) {
    let before = version(c).await;
    click(c, button).await;
    changed(c, &before).await;
}

/// Marks every open task done through its status select, one change at a time.
async fn finish_open_tasks(c: &Client) {
    let find_open = "const open = Array.from(document.querySelectorAll(\"select[id^='task-status-']\")) \
                     .find(select => select.value === 'open'); return open ? open.id : null;";
    loop {
        let open = c.execute(find_open, vec![]).await.unwrap();
        let Some(id) = open.as_str() else { return };
        let before = version(c).await;
        choose(c, id, "done").await;
        changed(c, &before).await;
    }
}

async fn phase(c: &Client) -> String {
    text_of(c, "#incident-phase").await
}

/// Moves to the next phase, with the reason box filled when the page asks for one.
async fn move_to(c: &Client, to: &str, label: &str, reason: Option<&str>) {
    if let Some(reason) = reason {
        let field = element(c, "phase_reason").await;
        field.clear().await.unwrap();
        field.send_keys(reason).await.unwrap();
    }
    command(c, &format!("move-{to}")).await;
    wait_for_text(c, "#incident-phase", label).await;
}

/// Clicks "Load more" until the whole timeline is on the page.
async fn whole_timeline(c: &Client) -> String {
    while let Ok(more) = c.find(Locator::Id("timeline-more")).await {
        let count = c.find_all(Locator::Css("#timeline li.timeline-entry")).await.unwrap().len();
        more.click().await.unwrap();
        wait_until("more timeline entries load", move || async move {
            c.find_all(Locator::Css("#timeline li.timeline-entry")).await.map(|e| e.len() > count).unwrap_or(false)
        })
        .await;
    }
    text_of(c, "#timeline").await
}

async fn timeline_says(c: &Client, expected: &str) -> String {
    let start = Instant::now();
    loop {
        let text = whole_timeline(c).await;
        if text.contains(expected) {
            return text;
        }
        assert!(start.elapsed() < WAIT, "the timeline never said {expected:?}: {text}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_team_works_an_incident_from_report_to_closure() {
    let app = app_with_ui().await;
    let browser = Browser::launch().await;
    let c = &browser.client;

    // A customer reports a takeover of their account.
    c.goto(&app.url("/report")).await.unwrap();
    click(c, "reporter_kind-customer").await;
    fill(c, "name", "Grace Hopper").await;
    fill(c, "email", "grace@example.com").await;
    fill(c, "description", "Someone changed the email address on my account and I can no longer sign in.").await;
    set_value(c, "observed_at", "2026-12-01T08:30").await;
    click(c, "submit-report").await;
    let report = text_of(c, "#report-reference").await;

    // The responder, a team lead, signs in and opens an incident from the report.
    let lead = app.join_as("lead", RESPONDER, "ada.responder@tocsin.example").await;
    sign_in(c, &app, &lead, &lead.recovery_codes[0]).await;
    c.goto(&app.url(&format!("/dashboard/reports/{report}"))).await.unwrap();
    element(c, "incident_title").await;
    element(c, "link_incident").await;
    element(c, "dismiss_reason").await;
    click(c, "open-incident").await;
    let reference = text_of(c, "#incident-reference").await;
    assert!(reference.starts_with("INC-"), "{reference}");
    assert_eq!(phase(c).await, "Identification");
    let blocked = text_of(c, ".blocked-move").await;
    assert!(blocked.contains("Classify"), "the next phase waits for classification: {blocked}");
    // Discovery starts when the customer noticed it, and the clock says where that time comes from.
    let discovered = text_of(c, "#anchor-discovered").await;
    assert!(discovered.contains(&format!("Report {report}: when the reporter noticed it")), "{discovered}");
    for (width, name) in [(1280, "desktop"), (320, "phone")] {
        c.set_window_size(width, 1000).await.unwrap();
        screenshot_at(c, "#clock", &format!("incident-clock-{name}")).await;
        screenshot_at(c, "#data-name", &format!("incident-data-involved-{name}")).await;
    }
    c.set_window_size(1280, 1000).await.unwrap();

    // An account takeover with customer data: the lead keeps it to the people working it.
    command(c, "restrict").await;
    wait_for_text(c, "#access", "Restricted:").await;
    let outsider = app.join_as("member", "Oscar Outsider", "oscar@tocsin.example").await;
    let hidden = outsider.client().get(app.url(&format!("/api/incidents/{reference}"))).send().await.unwrap();
    assert_eq!(hidden.status(), 404, "a member outside the incident does not see it");

    // Classification adds the playbook's identification tasks; the verdict and both leads follow.
    choose(c, "category", "account_takeover").await;
    click(c, "severity-high").await;
    command(c, "save-classification").await;
    click(c, "verdict-confirmed").await;
    command(c, "save-verdict").await;
    wait_for_text(c, "#incident-verdict", "Confirmed").await;
    choose(c, "role", "response_lead").await;
    fill(c, "person", RESPONDER).await;
    command(c, "assign-role").await;
    choose(c, "role", "technical_lead").await;
    fill(c, "person", "Tyler Tech").await;
    command(c, "assign-role").await;
    wait_for_text(c, "#role-technical_lead", "Tyler Tech").await;
    screenshot(c, "incident-identification").await;

    // Deadlines: the internal notice counts down from detection; meeting it records its evidence.
    let internal = "[data-obligation='POLICY-INTERNAL']";
    let countdown = wait_for_text(c, internal, "Notify IT and management").await;
    assert!(countdown.contains("due in"), "a live countdown: {countdown}");
    choose(c, "meet_evidence_kind_POLICY-INTERNAL", "message_id").await;
    fill(c, "meet_evidence_POLICY-INTERNAL", "<0001@mail.example>").await;
    command(c, "meet_submit_POLICY-INTERNAL").await;
    wait_for_text(c, internal, "<0001@mail.example>").await;
    // Marked met too soon: it opens again with a reason, and is met again with better evidence.
    c.find(Locator::Css(&format!("{internal} .obligation-reopen summary"))).await.unwrap().click().await.unwrap();
    fill(c, "reopen_reason_POLICY-INTERNAL", "That message went to IT only; management was not told").await;
    screenshot_at(c, internal, "obligation-reopen").await;
    command(c, "reopen_submit_POLICY-INTERNAL").await;
    choose(c, "meet_evidence_kind_POLICY-INTERNAL", "message_id").await;
    fill(c, "meet_evidence_POLICY-INTERNAL", "<0002@mail.example>").await;
    command(c, "meet_submit_POLICY-INTERNAL").await;
    wait_for_text(c, internal, "<0002@mail.example>").await;
    screenshot(c, "incident-deadlines").await;

    // Identification: every task done, so the move needs no reason.
    finish_open_tasks(c).await;
    move_to(c, "containment_short_term", "Containment (short term)", None).await;

    // Short-term containment: block the attacker's address; the open tasks are overridden once.
    choose(c, "action_kind", "block_ip").await;
    fill(c, "action_target", "203.0.113.7").await;
    choose(c, "action_result", "succeeded").await;
    command(c, "log-action").await;
    wait_for_text(c, "#containment-actions", "203.0.113.7").await;
    element(c, "phase_reason").await;
    move_to(c, "containment_long_term", "Containment (long term)", Some(OVERRIDE_REASON)).await;

    // Long-term containment: a note with markup in it shows as text, Markdown still renders.
    fill(c, "note_markdown", "The attacker used **stolen** credentials. <script>document.title='pwned'</script>").await;
    command(c, "add-note").await;
    let timeline = timeline_says(c, "<script>").await;
    assert!(timeline.contains(RESPONDER), "the timeline names the responder as actor: {timeline}");
    assert!(c.find(Locator::Css("#timeline script")).await.is_err(), "no script element in the timeline");
    assert!(c.find(Locator::Css("#timeline .timeline-note strong")).await.is_ok(), "Markdown renders");
    assert_ne!(c.title().await.unwrap(), "pwned");

    // Stakeholders get a status update: previewed, then sent, on the timeline and in the outbox.
    fill(c, "stakeholders", "ceo@tocsin.example\nlegal@tocsin.example").await;
    command(c, "save-stakeholders").await;
    fill(c, "update_message", "Stolen credentials revoked; **no customer data** seen leaving so far.").await;
    click(c, "preview-update").await;
    let preview = wait_for_text(c, "#email-preview", "no customer data").await;
    assert!(preview.contains("To: ceo@tocsin.example, legal@tocsin.example"), "{preview}");
    screenshot(c, "incident-status-update").await;
    command(c, "send-update").await;
    timeline_says(c, "Status update sent to ceo@tocsin.example, legal@tocsin.example").await;
    let updates = app.outbox().into_iter().filter(|e| e.subject.starts_with("Update on security incident")).count();
    assert_eq!(updates, 2, "one message per stakeholder");

    // Affected people: a file with a bad line is refused line by line, then a good one is imported.
    let files = tempfile::tempdir().unwrap();
    let bad = files.path().join("people-bad.csv");
    std::fs::write(&bad, "id,email,jurisdiction\nA-1,ann@example.com,DE\nA-2,not-an-email,FR\n").unwrap();
    let before = version(c).await;
    element(c, "people_file").await.send_keys(bad.to_str().unwrap()).await.unwrap();
    click(c, "import-people").await;
    let errors = wait_for_text(c, "#people-line-errors", "Line 3").await;
    assert!(errors.contains("not an email address"), "{errors}");
    assert_eq!(version(c).await, before, "nothing was imported");
    let good = files.path().join("people.csv");
    std::fs::write(
        &good,
        "id,name,email,jurisdiction,data_elements\nA-1,Ann,ann@example.com,DE,credentials\n\
         A-2,Bob,bob@example.com,US-CA,credentials;ssn\n",
    )
    .unwrap();
    element(c, "people_file").await.send_keys(good.to_str().unwrap()).await.unwrap();
    command(c, "import-people").await;
    wait_for_text(c, "#people-count", "2 people listed.").await;
    assert!(c.find(Locator::Id("people-line-errors")).await.is_err(), "the line errors are gone");
    wait_for_text(c, "#people-by-jurisdiction", "Social Security number").await;
    click(c, "people-show").await;
    wait_for_text(c, "#people-list", "bob@example.com").await;
    for (width, name) in [(1280, "desktop"), (390, "phone")] {
        c.set_window_size(width, 1000).await.unwrap();
        screenshot_at(c, "#affected-people-section", &format!("incident-affected-people-{name}")).await;
    }
    c.set_window_size(1280, 1000).await.unwrap();

    // The remaining phases, each with its checklist finished.
    for (to, label) in [("eradication", "Eradication"), ("recovery", "Recovery")] {
        finish_open_tasks(c).await;
        move_to(c, to, label, None).await;
    }
    // Winding down with duties still open: the page names them before the click, and the move
    // needs a reason, which the phase history keeps with the list.
    finish_open_tasks(c).await;
    let duties = wait_for_text(c, "#phase .open-duties", "These duties are still open").await;
    assert!(duties.contains("Review the incident policy after a major incident (Incident Management"), "{duties}");
    screenshot_at(c, "#phase", "phase-open-duties").await;
    move_to(c, "lessons_learned", "Lessons learned", Some(WIND_DOWN_REASON)).await;
    wait_for_text(c, "#phase", "duties left open:").await;

    // Lessons learned: the review, drafted then completed; it is read-only afterwards.
    fill(c, "review_findings", "Credentials reused from another site's breach.").await;
    fill(c, "review_root_cause", "No second factor on customer accounts.").await;
    fill(c, "review_what_worked", "Blocking the address stopped the attack within the hour.").await;
    fill(c, "review_what_did_not", "Nobody was told for two hours.").await;
    fill(c, "review_procedure_updates", "Page the on-call lead for every account takeover.").await;
    click(c, "add-review-action").await;
    fill(c, "review_action_0", "Offer two-factor sign-in to customers").await;
    fill(c, "review_owner_0", "Tyler Tech").await;
    set_value(c, "review_due_0", "2026-12-01").await;
    command(c, "save-review").await;
    command(c, "complete-review").await;
    wait_for_text(c, "#review-completed", RESPONDER).await;
    assert!(c.find(Locator::Id("save-review")).await.is_err(), "a completed review is read-only");

    // Closing, then the checks: the phase, the audit trail and the export.
    finish_open_tasks(c).await;
    move_to(c, "closed", "Closed", Some(WIND_DOWN_REASON)).await;
    assert_eq!(phase(c).await, "Closed");
    screenshot(c, "incident-closed").await;

    click(c, "verify-audit").await;
    let audit = wait_for_text(c, "#audit-result", "Intact").await;
    assert!(audit.contains("entries"), "{audit}");

    let export = element(c, "export-markdown").await;
    let href = export.attr("href").await.unwrap().expect("an export link");
    assert!(href.ends_with(&format!("/incidents/{reference}/export.md")), "{href}");
    assert!(export.attr("download").await.unwrap().is_some(), "the export downloads");
    element(c, "export-html").await;
    export.click().await.unwrap();
    let saved = || {
        let files = std::fs::read_dir(&browser.downloads).into_iter().flatten().flatten();
        files.map(|entry| entry.path()).find(|path| path.extension().is_some_and(|e| e == "md"))
    };
    wait_until("the export is downloaded", || async { saved().is_some() }).await;
    let markdown = std::fs::read_to_string(saved().unwrap()).unwrap();
    assert!(markdown.contains(&reference) && markdown.contains("203.0.113.7"), "{markdown}");

    // A severe incident calls for a policy review; the team holds it and records it in the
    // register, which meets this year's duty and starts next year's clock.
    c.goto(&app.url("/dashboard/policy")).await.unwrap();
    wait_for_text(c, "[data-obligation]", "POLICY-ANNUAL-1").await;
    click(c, "review-submit").await;
    wait_for_text(c, "#review-errors", "Summary").await;
    fill(c, "review_summary", "Sections 4 to 7 read after this incident; escalation contacts updated").await;
    fill(c, "review_changes", "Added two-factor sign-in to the containment checklist").await;
    click(c, "review_communicated").await;
    click(c, "review-submit").await;
    wait_for_text(c, "[data-obligation]", "POLICY-ANNUAL-2").await;
    let reviews = wait_for_text(c, "#policy-reviews", "escalation contacts updated").await;
    assert!(reviews.contains(RESPONDER) && reviews.contains("Yes"), "{reviews}");
    screenshot(c, "policy-register").await;
    browser.close().await;
}

/// A GDPR breach's authority filing, prepared on its obligation: drafted from the record, the
/// missing item written, saved, then recorded as filed, which meets the duty.
#[tokio::test]
async fn the_team_prepares_and_records_a_regulator_filing() {
    let app = app_with_ui().await;
    let declare = json!({ "title": "Customer database copied", "detected_at": "", "summary": "" });
    let incident: shared::api::IncidentDetail =
        app.client.post(app.url("/api/incidents")).json(&declare).send().await.unwrap().json().await.unwrap();
    let reference = incident.record.reference;
    let mut version = incident.version;
    for change in [
        json!({ "type": "set_verdict", "verdict": "confirmed", "confirmed_at": chrono::Utc::now() }),
        json!({ "type": "set_data_categories", "categories": ["Personal information"] }),
        json!({ "type": "record_investigation", "form": { "affected_estimate": "1200", "jurisdictions": ["FR"], "risk_to_people": "high_risk" } }),
    ] {
        let body = json!({ "expected_version": version, "command": change });
        let path = format!("/api/incidents/{reference}/commands");
        let changed: shared::api::IncidentDetail =
            app.client.post(app.url(&path)).json(&body).send().await.unwrap().json().await.unwrap();
        version = changed.version;
    }

    let browser = Browser::launch().await;
    let c = &browser.client;
    let code = app.admin.code_at(chrono::Utc::now() + chrono::Duration::seconds(30));
    sign_in(c, &app, &app.admin, &code).await;
    c.goto(&app.url(&format!("/dashboard/incidents/{reference}"))).await.unwrap();
    click(c, "filing-EU-GDPR-33").await;
    let missing = wait_for_text(c, "#filing-missing-EU-GDPR-33", "Art. 33(3)(d)").await;
    assert!(!missing.contains("Art. 33(3)(a)"), "the nature is drafted from the record: {missing}");
    let nature = element(c, "filing_EU-GDPR-33_answer_0").await.prop("value").await.unwrap().unwrap_or_default();
    assert!(nature.contains("About 1200 people affected"), "{nature}");

    fill(c, "filing_EU-GDPR-33_answer_3", "Access keys rotated; the export bucket made private.").await;
    command(c, "filing_save_EU-GDPR-33").await;
    wait_until("the measures are no longer missing", || async {
        text_now(c, "#filing-missing-EU-GDPR-33").await.is_some_and(|t| !t.contains("Art. 33(3)(d)"))
    })
    .await;
    screenshot(c, "incident-regulator-filing").await;
    choose(c, "filing_method_EU-GDPR-33", "email").await;
    fill(c, "filing_reference_EU-GDPR-33", "CNIL-2026-4711").await;
    command(c, "filing_record_EU-GDPR-33").await;
    wait_for_text(c, "[data-obligation='EU-GDPR-33']", "CNIL-2026-4711 (Email)").await;
    browser.close().await;
}

async fn imported_version(app: &tocsin_tests::TestApp, reference: &shared::reference::Reference) -> u64 {
    let detail: shared::api::IncidentDetail = app.get_json(&format!("/api/incidents/{reference}")).await;
    detail.version
}

/// A customer notice from the dashboard: composed, its recipients taken from the affected
/// accounts, previewed, approval asked; a lead signs in and approves it, and the page shows the
/// sending finish. Each customer's message is in the outbox once.
#[tokio::test]
async fn a_customer_notice_is_composed_approved_by_a_lead_and_sent() {
    let app = app_with_ui().await;
    let declare = json!({ "title": "Customer database copied", "detected_at": "", "summary": "" });
    let incident: shared::api::IncidentDetail =
        app.client.post(app.url("/api/incidents")).json(&declare).send().await.unwrap().json().await.unwrap();
    let reference = incident.record.reference;
    let csv = "id,name,email\nA-1,Ann Archer,ann@example.com\nA-2,Bo Brandt,bo@example.com\nA-3,Cy,\n";
    let imported = app.client.post(app.url(&format!("/api/incidents/{reference}/people"))).body(csv);
    assert_eq!(imported.send().await.unwrap().status(), 200);
    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await;
    // A confirmed breach of personal data: the policy's duty to tell customers arises.
    let mut version = imported_version(&app, &reference).await;
    for command in [
        json!({ "type": "set_verdict", "verdict": "confirmed" }),
        json!({ "type": "set_data_categories", "categories": ["contact_details"] }),
    ] {
        let body = json!({ "expected_version": version, "command": command });
        let answer = app.client.post(app.url(&format!("/api/incidents/{reference}/commands"))).json(&body).send();
        let detail: shared::api::IncidentDetail = answer.await.unwrap().json().await.unwrap();
        version = detail.version;
    }
    let detail: shared::api::IncidentDetail = app.get_json(&format!("/api/incidents/{reference}")).await;
    let ids: Vec<&str> = detail.record.obligations.iter().map(|o| o.id.as_str()).collect();
    assert!(ids.contains(&"POLICY-CUSTOMER"), "{ids:?}");

    let browser = Browser::launch().await;
    let c = &browser.client;
    let code = app.admin.code_at(chrono::Utc::now() + chrono::Duration::seconds(30));
    sign_in(c, &app, &app.admin, &code).await;
    c.goto(&app.url(&format!("/dashboard/incidents/{reference}"))).await.unwrap();
    fill(c, "notice_subject", "Important: your account data").await;
    fill(c, "notice_nature", "On 20 November someone copied part of our customer database.").await;
    fill(c, "notice_consequences", "Phishing emails that look like ours.").await;
    fill(c, "notice_measures", "We closed the hole and reset every password.").await;
    fill(c, "notice_advice", "Choose a new password.").await;
    fill(c, "notice_controller_information", "Ask our DPO for the list of your users concerned.").await;
    fill(c, "notice_contact", "Dana Privacy, dpo@corp.example").await;
    click(c, "notice_serves-POLICY-CUSTOMER").await;
    command(c, "notice-new-save").await;
    wait_for_text(c, "#notice-1-status", "Draft").await;
    // The draft's editor shares the page with the compose form: its error links reach its own fields.
    click(c, "notice-1-edit").await;
    set_value(c, "notice_subject_1", "").await;
    click(c, "notice-1-save").await;
    wait_for_text(c, "#notice-1-errors", "Subject").await;
    c.find(Locator::Css("#notice-1-errors a")).await.unwrap().click().await.unwrap();
    let focused = c.execute("return document.activeElement.id", vec![]).await.unwrap();
    assert_eq!(focused, json!("notice_subject_1"), "the link focuses the draft's own field");
    fill(c, "notice_subject_1", "Important: your account data").await;
    command(c, "notice-1-from-register").await;
    wait_for_text(c, "#notice-1", "2 recipient(s) from the affected-people register").await;
    wait_for_text(c, "#notice-1-refused", "A-3: no email address").await;
    click(c, "notice-1-preview").await;
    wait_for_text(c, "#email-preview", "Dear Ann Archer").await;
    command(c, "notice-1-ask").await;
    wait_for_text(c, "#notice-1-status", "Waiting for approval (asked by Tyler King)").await;
    screenshot(c, "incident-customer-notice").await;
    assert!(
        app.outbox().iter().all(|e| !e.entry.to[0].ends_with("@example.com")),
        "nothing goes to customers before approval"
    );

    c.find(Locator::Id("sign-out")).await.unwrap().click().await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Id("sign-in")).await.unwrap();
    let code = lead.code_at(chrono::Utc::now() + chrono::Duration::seconds(30));
    sign_in(c, &app, &lead, &code).await;
    c.goto(&app.url(&format!("/dashboard/incidents/{reference}"))).await.unwrap();
    command(c, "notice-1-approve").await;
    wait_for_text(c, "#notice-1-progress", "2 sent, 0 failed, 0 suppressed, 0 waiting").await;
    wait_until("the campaign is finished", || async {
        let detail: shared::api::IncidentDetail = app.get_json(&format!("/api/incidents/{reference}")).await;
        detail.record.notices[0].finished.is_some()
    })
    .await;
    let customers: Vec<String> =
        app.outbox().into_iter().map(|e| e.entry.to[0].clone()).filter(|to| to.ends_with("@example.com")).collect();
    assert_eq!(customers, ["ann@example.com", "bo@example.com"]);
    // Cy had no address: the notice reached everyone on its list, not everyone it must tell.
    let detail: shared::api::IncidentDetail = app.get_json(&format!("/api/incidents/{reference}")).await;
    let duty = detail.record.obligations.iter().find(|o| o.id == "POLICY-CUSTOMER").unwrap();
    assert!(duty.is_open(), "{:?}", duty.status);
    wait_for_text(c, "#notice-1", "1 left out: no email address (1)").await;
    screenshot_at(c, "#notice-1", "incident-notice-left-out").await;
    let served = "#served-by-POLICY-CUSTOMER";
    wait_for_text(c, served, "Notice 1: 2 sent, 0 failed, 0 suppressed; 1 left out: no email address (1)").await;
    wait_for_text(c, "#told-POLICY-CUSTOMER", "2 of 3 in its scope told").await;
    // Who is left, and why.
    click(c, "left-show-POLICY-CUSTOMER").await;
    wait_for_text(c, "#left-POLICY-CUSTOMER", "A-3").await;
    wait_for_text(c, "#left-POLICY-CUSTOMER", "no email address, and no postal address").await;
    for (width, name) in [(1280, "desktop"), (390, "phone")] {
        c.set_window_size(width, 1000).await.unwrap();
        screenshot_at(c, "[data-obligation='POLICY-CUSTOMER']", &format!("obligation-served-by-notice-{name}")).await;
    }
    c.set_window_size(1280, 1000).await.unwrap();

    // Cy was sent a letter: recorded against the duty, which everyone in its scope now meets.
    click(c, "people-account-open").await;
    choose(c, "people_account_duty", "POLICY-CUSTOMER").await;
    fill(c, "people_account_ids", "A-3").await;
    choose(c, "people_account_how", "letter").await;
    set_value(c, "people_account_told_at", "2026-12-01T10:00").await;
    for (width, name) in [(1280, "desktop"), (390, "phone")] {
        c.set_window_size(width, 1000).await.unwrap();
        screenshot_at(c, "#affected-people-section", &format!("incident-people-told-by-letter-{name}")).await;
    }
    c.set_window_size(1280, 1000).await.unwrap();
    command(c, "account-people").await;
    wait_for_text(c, "[data-obligation='POLICY-CUSTOMER']", "3 of 3 people in scope told; the last by letter").await;
    let timeline: shared::api::Page<shared::api::TimelineEntry> =
        app.get_json(&format!("/api/incidents/{reference}/timeline?limit=200")).await;
    assert!(
        timeline
            .items
            .iter()
            .any(|e| e.summary == "1 person recorded as told for POLICY-CUSTOMER by letter on 2026-12-01"),
        "{:?}",
        timeline.items.iter().map(|e| &e.summary).collect::<Vec<_>>()
    );
    browser.close().await;
}

/// A duty falls overdue as time moves on: the server's clock jumps a quarter of an hour, its
/// deadline timer escalates by email, and the incident page (which keeps the server's time, not
/// the browser's) shows the duty overdue.
#[tokio::test]
async fn an_internal_notice_falls_overdue_when_time_moves_on_and_is_escalated() {
    let app = tocsin_tests::spawn_app_with(|settings| {
        settings.server.static_dir = Some(tocsin_tests::browser::dist_dir());
        settings.deadlines.check_every_seconds = 1;
    })
    .await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    sign_in(c, &app, &app.admin, &app.admin.recovery_codes[0]).await;

    // Declared in the dashboard, detected 50 minutes ago (in the browser's time zone, as typed).
    c.goto(&app.url("/dashboard/incidents")).await.unwrap();
    fill(c, "declare_title", "Admin console reachable without sign-in").await;
    element(c, "declare_detected_at").await;
    let fifty_minutes_ago = "const d = new Date(Date.now() - 50 * 60000), p = n => String(n).padStart(2, '0'); \
        const el = document.getElementById('declare_detected_at'); \
        el.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`; \
        el.dispatchEvent(new Event('input', { bubbles: true }));";
    c.execute(fifty_minutes_ago, vec![]).await.unwrap();
    click(c, "declare-incident").await;
    let reference = text_of(c, "#incident-reference").await;
    let internal = "[data-obligation='POLICY-INTERNAL']";
    wait_for_text(c, internal, "due in").await;
    let overdue = |app: &tocsin_tests::TestApp| {
        app.outbox().into_iter().filter(|e| e.subject.starts_with("OVERDUE")).collect::<Vec<_>>()
    };
    assert!(overdue(&app).is_empty(), "nothing is overdue yet");

    app.clock.advance(chrono::Duration::minutes(15));
    wait_until("the timer escalates the overdue notice", || async { !overdue(&app).is_empty() }).await;
    let escalation = &overdue(&app)[0];
    assert!(escalation.subject.contains(&reference), "{}", escalation.subject);
    assert!(escalation.text.contains("Notify IT and management"), "{}", escalation.text);

    c.refresh().await.unwrap();
    let standing = wait_for_text(c, internal, "overdue by").await;
    assert!(standing.contains("Overdue"), "the badge says so too: {standing}");
    screenshot_at(c, "#deadlines", "incident-overdue").await;
    browser.close().await;
}

/// An anonymous reporter sends a screenshot and a log, keeps the private link the page gives
/// them (there is no email to send it to), and comes back through it: they see that the team has
/// taken the report up, and add what they learnt since, with another file.
#[tokio::test]
async fn an_anonymous_reporter_follows_up_through_the_private_link() {
    let app = app_with_ui().await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let files = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let path = files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let screenshot_file = file("login-page.png", tocsin_tests::PNG_BYTES);
    let log_file = file("access.log", b"203.0.113.7 - - [24/Nov/2026:08:12:01 +0000] \"POST /login\" 200\n");

    c.goto(&app.url("/report")).await.unwrap();
    click(c, "reporter_kind-anonymous").await;
    fill(c, "description", "Our staff login page accepted a password that was never set for my account.").await;
    fill(c, "attachments", &format!("{screenshot_file}\n{log_file}")).await;
    click(c, "submit-report").await;
    let reference = text_of(c, "#report-reference").await;
    let link = element(c, "follow-up-link").await.attr("href").await.unwrap().expect("a private link");
    assert!(app.outbox().is_empty(), "an anonymous report sends no email");
    let detail: shared::api::ReportDetail = app.get_json(&format!("/api/reports/{reference}")).await;
    let names: Vec<_> = detail.attachments.iter().map(|a| a.file_name.as_str()).collect();
    assert_eq!(names, ["login-page.png", "access.log"]);
    assert_eq!(detail.reporter_name, None);

    // The team takes it up; the reporter, back later through the link, sees so.
    let open = json!({ "title": "Staff login accepts unset passwords" });
    let opened = app.client.post(app.url(&format!("/api/reports/{reference}/incident"))).json(&open).send();
    assert_eq!(opened.await.unwrap().status(), 201);
    c.goto(&link).await.unwrap();
    wait_for_text(c, "#follow-up-status", "Under investigation by the response team").await;
    fill(c, "follow_up_message", "It happens only from the office network, never over the VPN.").await;
    fill(c, "follow_up_attachments", &file("office-network.log", b"10.0.4.17 POST /login 200\n")).await;
    click(c, "submit-follow-up").await;
    wait_for_text(c, ".add-information", "your information was added").await;
    screenshot(c, "follow-up-added").await;

    let detail: shared::api::ReportDetail = app.get_json(&format!("/api/reports/{reference}")).await;
    assert_eq!(detail.follow_ups.len(), 1);
    assert!(detail.follow_ups[0].message.as_deref().unwrap_or_default().contains("office network"));
    assert_eq!(detail.follow_ups[0].attachments.len(), 1);
    browser.close().await;
}

/// Only the moves the rules allow are offered; a move made from a page that another member has
/// since overtaken is refused, and the page catches up instead of overwriting their change.
#[tokio::test]
async fn a_phase_move_from_a_stale_page_is_refused_and_the_page_catches_up() {
    let app = app_with_ui().await;
    let declare = json!({ "title": "Ransomware note on a file server", "detected_at": "", "summary": "" });
    let incident: shared::api::IncidentDetail =
        app.client.post(app.url("/api/incidents")).json(&declare).send().await.unwrap().json().await.unwrap();
    let reference = incident.record.reference.to_string();
    let mut version = incident.version;
    let mut run = async |command: serde_json::Value| {
        let path = app.url(&format!("/api/incidents/{reference}/commands"));
        let body = json!({ "expected_version": version, "command": command });
        let response = app.client.post(path).json(&body).send().await.unwrap();
        assert!(response.status().is_success(), "{command}: {}", response.status());
        version = response.json::<shared::api::IncidentDetail>().await.unwrap().version;
    };
    run(json!({ "type": "classify", "category": "malware", "severity": "high" })).await;
    run(json!({ "type": "assign_role", "role": "response_lead", "person": "Tyler King" })).await;
    run(json!({ "type": "assign_role", "role": "technical_lead", "person": "Bracken King" })).await;

    let browser = Browser::launch().await;
    let c = &browser.client;
    sign_in(c, &app, &app.admin, &app.admin.recovery_codes[0]).await;
    c.goto(&app.url(&format!("/dashboard/incidents/{reference}"))).await.unwrap();
    element(c, "move-containment_short_term").await;
    assert!(c.find(Locator::Id("move-eradication")).await.is_err(), "skipping a phase is never offered");
    fill(c, "phase_reason", "The file server is isolated; the remaining checks run in parallel").await;

    // Meanwhile a colleague makes the move from their own screen.
    run(json!({ "type": "move_phase", "to": "containment_short_term", "reason": "Isolated the server at 09:40" }))
        .await;
    click(c, "move-containment_short_term").await;
    wait_for_text(c, "#command-error", "reloaded with the latest changes").await;
    wait_until("the page shows the colleague's move", || async { phase(c).await == "Containment (short term)" }).await;
    screenshot_at(c, "#phase", "phase-move-refused").await;
    let record: shared::api::IncidentDetail = app.get_json(&format!("/api/incidents/{reference}")).await;
    assert_eq!(record.record.phase_changes.len(), 1, "one move, the colleague's: {:?}", record.record.phase_changes);
    browser.close().await;
}
