//! The affected-people register over HTTP: a file imported a line at a time with every bad line
//! named and no one imported until all are good; 2 GB refused before it is read; and the breach
//! of the issue this was built for, where a German notice meets only the German part of GDPR
//! Art. 34 and California waits for the ten people without an email address.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use serde_json::{Value, json};
use shared::api::{ErrorBody, IncidentDetail, PeopleLeftPage, PeoplePage, TimelineEntry};
use shared::deadlines::rules::EntityRole;
use shared::notices::NoticeProgress;
use shared::record::effects::coverage;
use tocsin_tests::{TestApp, spawn_app, spawn_app_with};

async fn declare(app: &TestApp, title: &str) -> IncidentDetail {
    let answer = app.client.post(app.url("/api/incidents")).json(&json!({ "title": title })).send().await.unwrap();
    answer.json().await.unwrap()
}

async fn import(app: &TestApp, incident: &IncidentDetail, body: impl Into<reqwest::Body>) -> reqwest::Response {
    let path = format!("/api/incidents/{}/people?file_name=people.csv", incident.record.reference);
    app.client.post(app.url(&path)).header("content-type", "text/csv").body(body).send().await.unwrap()
}

async fn run(app: &TestApp, incident: &mut IncidentDetail, command: Value) {
    let path = format!("/api/incidents/{}/commands", incident.record.reference);
    let body = json!({ "expected_version": incident.version, "command": command });
    let answer = app.client.post(app.url(&path)).json(&body).send().await.unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "{command} answered {status}: {text}");
    *incident = serde_json::from_str(&text).unwrap();
}

async fn reload(app: &TestApp, incident: &mut IncidentDetail) {
    *incident = app.get_json(&format!("/api/incidents/{}", incident.record.reference)).await;
}

/// Lines of people: `count` in `place` from `first`, with these data elements, emails for all
/// but the last `without_email`.
fn people(prefix: &str, place: &str, count: usize, elements: &str, without_email: usize) -> String {
    (0..count)
        .map(|n| {
            let email = if n < count - without_email { format!("{prefix}-{n}@example.com") } else { String::new() };
            format!("{prefix}-{n:04},Person {prefix} {n},{email},{place},\"{elements}\"\n")
        })
        .collect()
}

const HEADER: &str = "id,name,email,jurisdiction,data_elements\n";

#[tokio::test]
async fn a_file_with_bad_lines_imports_no_one_and_names_each_line() {
    let app = spawn_app().await;
    let incident = declare(&app, "Export bucket left public").await;
    let mut bad = format!(
        "{HEADER}A-1,Ann,ann@example.com,DE,credentials\n\
         A-2,Bo,not-an-address,FR,\n\
         A-3,Cy,,XX,\n\
         A-4,Di,,US-CA,horoscope\n\
         A-1,Ann again,,DE,\n"
    )
    .into_bytes();
    bad.extend_from_slice(b"A-5,M\xfcller,,DE,\n");
    let answer = import(&app, &incident, bad).await;
    assert_eq!(answer.status(), 422);
    let body: ErrorBody = answer.json().await.unwrap();
    let lines: Vec<&str> = body.fields.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    for (line, says) in [
        ("Line 3:", "not an email address"),
        ("Line 4:", "\"XX\" is not an ISO 3166"),
        ("Line 5:", "\"horoscope\" is not a data element"),
        ("Line 6:", "already listed on line 2"),
        ("Line 7:", "not UTF-8"),
    ] {
        assert!(lines.iter().any(|l| l.starts_with(line) && l.contains(says)), "{line} {says} in {lines:?}");
    }
    assert!(body.fields.iter().all(|f| f.field == "file"));
    let mut after = incident.clone();
    reload(&app, &mut after).await;
    assert_eq!(after.version, incident.version, "nothing was recorded");
    let page: PeoplePage = app.get_json(&format!("/api/incidents/{}/people", incident.record.reference)).await;
    assert_eq!((page.people.len(), page.total), (0, 0), "no one was imported");

    let good = format!("{HEADER}{}", people("DE", "DE", 120, "credentials; name", 0));
    let answer = import(&app, &incident, good.clone()).await;
    assert_eq!(answer.status(), 200);
    let imported: IncidentDetail = answer.json().await.unwrap();
    assert_eq!(imported.record.people.total(), 120);
    let page: PeoplePage = app.get_json(&format!("/api/incidents/{}/people?limit=50", incident.record.reference)).await;
    assert_eq!((page.people.len(), page.total, page.next_after.as_deref()), (50, 120, Some("DE-0049")));
    let next: PeoplePage =
        app.get_json(&format!("/api/incidents/{}/people?limit=100&after=DE-0049", incident.record.reference)).await;
    assert_eq!((next.people[0].person.id.as_str(), next.people.len(), next.next_after), ("DE-0050", 70, None));

    // The trail keeps the batch's counts and the file's digest, not the people.
    let timeline: shared::api::Page<TimelineEntry> =
        app.get_json(&format!("/api/incidents/{}/timeline", incident.record.reference)).await;
    let digest: String =
        <sha2::Sha256 as sha2::Digest>::digest(good.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let entry = timeline.items.iter().find(|e| e.summary.starts_with("Affected people imported")).unwrap();
    assert_eq!(
        entry.summary,
        format!(
            "Affected people imported from people.csv: 120 (120 added, 0 corrected); 120 people listed (SHA-256 {}…)",
            &digest[..12]
        )
    );
}

#[tokio::test]
async fn two_gigabytes_are_refused_before_they_are_read() {
    let app = spawn_app().await;
    let incident = declare(&app, "Mass breach").await;
    // Announce 2 GB and send a few bytes: the answer comes from the length alone.
    let address = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/incidents/{}/people HTTP/1.1\r\nHost: {address}\r\nCookie: {}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n{HEADER}",
        incident.record.reference,
        app.admin.session_cookie,
        2u64 << 30
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let body: ErrorBody = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert!(body.message.contains("The file is 2.1 GB; at most 1024 MB"), "{}", body.message);
    let mut after = incident.clone();
    reload(&app, &mut after).await;
    assert!(after.record.people.is_empty());
}

fn notice(subject: &str, serves: &[&str]) -> Value {
    json!({
        "subject": subject,
        "nature": "Someone copied part of our customer database on 20 November.",
        "contact": "Dana Privacy, dpo@corp.example",
        "consequences": "Phishing emails that look like ours.",
        "measures": "We closed the hole and reset every password.",
        "advice": "Choose a new password.",
        "controller_information": "Ask dpo@corp.example.",
        "serves": serves,
    })
}

/// Chooses notice `id`'s recipients from the register, has a second member approve it, and
/// waits until every delivery is settled and the campaign is on the record.
async fn send_notice(app: &TestApp, lead: &reqwest::Client, incident: &mut IncidentDetail, id: u32, places: &[&str]) {
    let reference = incident.record.reference;
    let path = format!("/api/incidents/{reference}/notices/{id}/recipients");
    let chosen = app.client.post(app.url(&path)).json(&json!({ "source": "register", "jurisdictions": places }));
    assert_eq!(chosen.send().await.unwrap().status(), 200);
    reload(app, incident).await;
    run(app, incident, json!({ "type": "request_notice_approval", "notice_id": id })).await;
    let approve =
        json!({ "expected_version": incident.version, "command": { "type": "approve_notice", "notice_id": id } });
    let approved = lead.post(app.url(&format!("/api/incidents/{reference}/commands"))).json(&approve).send().await;
    assert_eq!(approved.unwrap().status(), 200);
    for _ in 0..300 {
        let progress: NoticeProgress = app.get_json(&format!("/api/incidents/{reference}/notices/{id}/progress")).await;
        reload(app, incident).await;
        let finished = incident.record.notices.iter().any(|n| n.id == id && n.finished.is_some());
        if progress.counts.settled() && finished {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("notice {id} did not finish");
}

fn told(incident: &IncidentDetail, duty: &str) -> (u64, u64) {
    let obligation = incident.record.obligations.iter().find(|o| o.id == duty).unwrap_or_else(|| panic!("{duty}"));
    coverage(&incident.record, obligation).unwrap()
}

fn is_open(incident: &IncidentDetail, duty: &str) -> bool {
    incident.record.obligations.iter().any(|o| o.id == duty && o.is_open())
}

#[tokio::test]
async fn a_german_notice_meets_only_the_german_part_and_california_waits_for_everyone() {
    let app = spawn_app_with(|s| {
        s.notifications.notices_per_second = 5_000;
        s.deadlines.roles = vec![EntityRole::Controller, EntityRole::CoveredEntity];
    })
    .await;
    let mut incident = declare(&app, "Customer database copied").await;
    let base = "name; contact_details; credentials";
    let health = "name; credentials; ssn; health_information";
    let file = [
        HEADER.to_owned(),
        people("CA", "US-CA", 1_180, base, 10),
        people("CAH", "US-CA", 20, health, 0),
        people("TX", "US-TX", 290, base, 0),
        people("TXH", "US-TX", 10, health, 0),
        people("NY", "US-NY", 190, base, 0),
        people("NYH", "US-NY", 10, health, 0),
        people("DE", "DE", 600, base, 0),
        people("FR", "FR", 200, base, 0),
        people("IE", "IE", 50, base, 0),
    ]
    .concat();
    let answer = import(&app, &incident, file).await;
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    reload(&app, &mut incident).await;
    for change in [
        json!({ "type": "set_verdict", "verdict": "confirmed", "confirmed_at": chrono::Utc::now() }),
        json!({ "type": "record_investigation", "form": { "affected_estimate": "2550", "risk_to_people": "high_risk" } }),
    ] {
        run(&app, &mut incident, change).await;
    }
    // 40 people with health information: the yearly HHS log, not the 60-day notice or the media.
    assert!(is_open(&incident, "US-HIPAA-HHSLOG") && is_open(&incident, "US-HIPAA-IND"));
    for never in ["US-HIPAA-HHS500", "US-HIPAA-MEDIA", "TX-AG"] {
        assert!(incident.record.obligations.iter().all(|o| o.id != never || !o.is_open()), "{never}");
    }
    assert_eq!(told(&incident, "EU-GDPR-34"), (0, 850));
    assert_eq!(told(&incident, "CA-IND"), (0, 1_200));

    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await.client();
    // A notice in German for the people in Germany, serving Art. 34 and California's duty.
    let draft = json!({ "type": "draft_notice", "notice_id": null, "form": notice("Ein Datenleck", &["EU-GDPR-34", "CA-IND"]) });
    run(&app, &mut incident, draft).await;
    send_notice(&app, &lead, &mut incident, 1, &["DE"]).await;
    assert_eq!(told(&incident, "EU-GDPR-34"), (600, 850), "only the German part of Art. 34");
    assert_eq!(told(&incident, "CA-IND"), (0, 1_200), "no Californian was in the German list");
    assert!(is_open(&incident, "EU-GDPR-34") && is_open(&incident, "CA-IND"));
    assert!(!incident.record.obligations.iter().any(|o| o.id == "CA-AG" && o.due_at.is_some()), "no AG clock yet");

    // The English notice for California: 1,190 told, ten left out for want of an address.
    let draft = json!({ "type": "draft_notice", "notice_id": null, "form": notice("Your account data", &["CA-IND"]) });
    run(&app, &mut incident, draft).await;
    send_notice(&app, &lead, &mut incident, 2, &["US-CA"]).await;
    let list = incident.record.notices[1].recipients.clone().unwrap();
    assert_eq!((list.count, list.left_out), (1_190, 10));
    assert_eq!(list.left_out_because.get("no email address"), Some(&10));
    assert_eq!(told(&incident, "CA-IND"), (1_190, 1_200));
    assert!(is_open(&incident, "CA-IND"), "California waits for the ten");

    // France and Ireland: Art. 34 is met once everyone in the EU was told.
    let draft =
        json!({ "type": "draft_notice", "notice_id": null, "form": notice("Une fuite de données", &["EU-GDPR-34"]) });
    run(&app, &mut incident, draft).await;
    send_notice(&app, &lead, &mut incident, 3, &["FR", "IE"]).await;
    assert_eq!(told(&incident, "EU-GDPR-34"), (850, 850));
    let art34 = incident.record.obligations.iter().find(|o| o.id == "EU-GDPR-34").unwrap();
    assert!(!art34.is_open(), "{art34:?}");

    // Five more French customers are found: Art. 34 opens again until they are told.
    let more = format!("{HEADER}{}", people("FR2", "FR", 5, base, 0));
    assert_eq!(import(&app, &incident, more).await.status(), 200);
    reload(&app, &mut incident).await;
    assert_eq!(told(&incident, "EU-GDPR-34"), (850, 855));
    assert!(is_open(&incident, "EU-GDPR-34"), "people added later reopen coverage");

    // The ten Californians' addresses are found: a correction, and a notice that mails only them.
    let found: String =
        (1_170..1_180).map(|n| format!("CA-{n:04},Person CA {n},ca-{n}@example.com,US-CA,\"{base}\"\n")).collect();
    let corrected: IncidentDetail = import(&app, &incident, format!("{HEADER}{found}")).await.json().await.unwrap();
    assert_eq!(corrected.record.people.total(), 2_555, "corrected, not added");
    incident = corrected;
    let draft = json!({ "type": "draft_notice", "notice_id": null, "form": notice("Your account data", &["CA-IND"]) });
    run(&app, &mut incident, draft).await;
    send_notice(&app, &lead, &mut incident, 4, &["US-CA"]).await;
    let list = incident.record.notices[3].recipients.clone().unwrap();
    assert_eq!((list.count, list.already_told, list.left_out), (10, 1_190, 0));
    assert_eq!(told(&incident, "CA-IND"), (1_200, 1_200));
    assert!(!is_open(&incident, "CA-IND"), "everyone in California was told");
    let page: PeoplePage =
        app.get_json(&format!("/api/incidents/{}/people?after=CA-1178&limit=1", incident.record.reference)).await;
    assert_eq!(page.people[0].told, ["CA-IND"]);

    // The export is the record: what each list took, who it left out and why, and each duty's count.
    let export = app.client.get(app.url(&format!("/api/incidents/{}/export.md", incident.record.reference)));
    let export = export.send().await.unwrap().text().await.unwrap();
    for part in [
        "2,555 listed in the register (DE 600, FR 205, IE 50, US-CA 1,200, US-NY 200, US-TX 300)",
        "recipients: 1190 by email from the affected-people register in US-CA; 10 left out: no email address (10)",
        "recipients: 600 by email from the affected-people register in DE",
        "people told: 850 of 855 in its scope",
        "recipients: 10 by email from the affected-people register in US-CA (1190 already told, not mailed again)",
        "people told: 1,200 of 1,200 in its scope",
    ] {
        assert!(export.contains(part), "{part:?} in {export}");
    }

    // Someone told turns out to have lost their SSN too: what they were told was for other
    // facts, so California counts them as not told until a notice for the new facts reaches them.
    let corrected = format!("{HEADER}CA-0000,Person CA 0,ca-0@example.com,US-CA,\"{base}; ssn\"\n");
    incident = import(&app, &incident, corrected).await.json().await.unwrap();
    assert_eq!(told(&incident, "CA-IND"), (1_199, 1_200));
    assert!(is_open(&incident, "CA-IND"), "a told person corrected out of their scope reopens coverage");
    let timeline: shared::api::Page<TimelineEntry> =
        app.get_json(&format!("/api/incidents/{}/timeline?limit=500", incident.record.reference)).await;
    assert!(
        timeline.items.iter().any(|e| e.summary.contains("1 corrected, 1 of them to be told again")),
        "{:#?}",
        timeline.items.iter().map(|e| &e.summary).collect::<Vec<_>>()
    );

    // Tocsin's count is not something a person can claim.
    let claim = json!({ "type": "meet_obligation", "id": "CA-IND", "evidence_kind": "coverage", "evidence": "all" });
    let path = format!("/api/incidents/{}/commands", incident.record.reference);
    let refused =
        app.client.post(app.url(&path)).json(&json!({ "expected_version": incident.version, "command": claim }));
    assert_eq!(refused.send().await.unwrap().status(), 422);
}

/// The three Californians without an email address: two are sent a letter, one has died; the
/// team records both, and California's duty is met on that record. An id the register does not
/// hold, or a German, is refused and nothing is recorded.
#[tokio::test]
async fn people_told_by_letter_or_not_required_complete_a_duty_and_nothing_else_counts() {
    let app = spawn_app_with(|s| s.notifications.notices_per_second = 5_000).await;
    let mut incident = declare(&app, "Support mailbox forwarded").await;
    let base = "name; contact_details; credentials";
    let file = [HEADER.to_owned(), people("CA", "US-CA", 30, base, 3), people("DE", "DE", 5, base, 0)].concat();
    assert_eq!(import(&app, &incident, file).await.status(), 200);
    reload(&app, &mut incident).await;
    for change in [
        json!({ "type": "set_verdict", "verdict": "confirmed", "confirmed_at": chrono::Utc::now() }),
        json!({ "type": "record_investigation", "form": { "affected_estimate": "35", "risk_to_people": "high_risk" } }),
    ] {
        run(&app, &mut incident, change).await;
    }
    let lead = app.join_as("lead", "Leo Lead", "leo@tocsin.example").await.client();
    // Consumers, not controllers: the controllers' section stays empty and out of the notice.
    let mut form = notice("Your account data", &["CA-IND"]);
    form["controller_information"] = json!("");
    run(&app, &mut incident, json!({ "type": "draft_notice", "notice_id": null, "form": form })).await;
    send_notice(&app, &lead, &mut incident, 1, &["US-CA"]).await;
    assert_eq!(told(&incident, "CA-IND"), (27, 30));
    // What went out, read back by a mail parser: one notice each to the 27 with an address.
    let notices: Vec<_> = app.outbox().into_iter().filter(|m| m.entry.to[0].ends_with("@example.com")).collect();
    assert_eq!(notices.len(), 27);
    let first = notices.iter().find(|m| m.entry.to[0] == "ca-0@example.com").unwrap();
    assert_eq!(first.subject, "Your account data");
    assert!(first.text.starts_with("Dear Person CA 0,") && first.text.contains("WHAT HAPPENED"), "{}", first.text);
    assert!(!first.text.contains("CONTROLLER") && !first.html.contains("If you are a controller"), "{}", first.html);
    let text = first.text.replace("\r\n", "\n");
    assert!(text.contains("WHAT YOU SHOULD DO\nChoose a new password.\n\nWHO TO CONTACT"), "{text}");

    let path = format!("/api/incidents/{}/people/accounted", incident.record.reference);
    let account = |form: Value| app.client.post(app.url(&path)).json(&form).send();
    let refused = account(json!({ "duty": "CA-IND", "ids": "CA-0027\nDE-0001, nobody", "how": "letter",
        "told_at": chrono::Utc::now() }))
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let body: ErrorBody = refused.json().await.unwrap();
    let messages: Vec<&str> = body.fields.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["Not in the register: nobody", "Not in the scope of CA-IND (where they live or what they lost): DE-0001"]
    );
    // Who is left, and why: the three without an email address, none with a postal address.
    let left_path = format!("/api/incidents/{}/people/left?duty=CA-IND&limit=2", incident.record.reference);
    let left: PeopleLeftPage = app.get_json(&left_path).await;
    let ids: Vec<&str> = left.people.iter().map(|p| p.listed.person.id.as_str()).collect();
    assert_eq!(ids, ["CA-0027", "CA-0028"]);
    assert_eq!(left.people[0].why, "no email address, and no postal address");
    let rest: PeopleLeftPage = app.get_json(&format!("{left_path}&after={}", left.next_after.unwrap())).await;
    let ids: Vec<&str> = rest.people.iter().map(|p| p.listed.person.id.as_str()).collect();
    assert_eq!((ids, rest.next_after), (vec!["CA-0029"], None));
    let not_a_duty = app.client.get(app.url(&left_path.replace("CA-IND", "TX-AG"))).send().await.unwrap();
    assert_eq!(not_a_duty.status(), 422);

    let no_reason = account(json!({ "duty": "CA-IND", "ids": "CA-0029", "how": "not_required", "reason": "" }));
    assert_eq!(no_reason.await.unwrap().status(), 422);
    reload(&app, &mut incident).await;
    assert_eq!(told(&incident, "CA-IND"), (27, 30), "nothing recorded");

    let letters = account(json!({ "duty": "CA-IND", "ids": "CA-0027\nCA-0028", "how": "letter",
        "told_at": "2026-12-01T10:00:00Z" }));
    let answer = letters.await.unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    reload(&app, &mut incident).await;
    assert_eq!(told(&incident, "CA-IND"), (29, 30));
    assert!(is_open(&incident, "CA-IND"));
    let deceased = account(json!({ "duty": "CA-IND", "ids": "CA-0029", "how": "not_required",
        "reason": "Died before the breach; the estate was told by the account team" }));
    incident = deceased.await.unwrap().json().await.unwrap();
    assert_eq!(told(&incident, "CA-IND"), (30, 30));
    let duty = incident.record.obligations.iter().find(|o| o.id == "CA-IND").unwrap();
    let shared::deadlines::obligation::ObligationStatus::Met { evidence, .. } = &duty.status else {
        panic!("{:?}", duty.status)
    };
    assert_eq!(evidence.value, "30 of 30 people in scope told; the last recorded as not required");
    let page: PeoplePage =
        app.get_json(&format!("/api/incidents/{}/people?after=CA-0026&limit=3", incident.record.reference)).await;
    assert!(page.people.iter().all(|l| l.told == ["CA-IND"]), "{page:?}");

    // The letters came back undelivered: the privacy officer reopens the duty, with the reason.
    let reason = "Two letters returned undelivered; new addresses are being traced";
    run(&app, &mut incident, json!({ "type": "reopen_obligation", "id": "CA-IND", "reason": reason })).await;
    assert!(is_open(&incident, "CA-IND"), "a met duty reopens with a reason");

    let timeline: shared::api::Page<TimelineEntry> =
        app.get_json(&format!("/api/incidents/{}/timeline?limit=200", incident.record.reference)).await;
    let said: Vec<&str> = timeline.items.iter().map(|e| e.summary.as_str()).collect();
    for line in [
        "2 people recorded as told for CA-IND by letter on 2026-12-01",
        "1 person recorded as not required to be told for CA-IND: Died before the breach; the estate was told by the account team",
        "Obligation CA-IND reopened: Two letters returned undelivered; new addresses are being traced",
    ] {
        assert!(said.contains(&line), "{line:?} in {said:#?}");
    }
    let export = app.client.get(app.url(&format!("/api/incidents/{}/export.md", incident.record.reference)));
    let export = export.send().await.unwrap().text().await.unwrap();
    assert!(export.contains("Died before the breach"), "{export}");
}
