//! Reports sent by email, through the intake use case on the harness's store and outbox, with a
//! corpus of real-world-shaped messages (`functions/tests/fixtures/inbound/`), read back through
//! the API as the dashboard reads them.

use functions::service::email_intake::{ArrivingEmail, Intake};
use shared::api::ReportDetail;
use shared::inbound::{AuthVerdict, InboundOutcome};
use shared::report::ReporterKind;
use tocsin_tests::{TestApp, spawn_app};

fn corpus(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/tests/fixtures/inbound").join(name);
    std::fs::read(path).unwrap()
}

async fn take_in(app: &TestApp, raw: &[u8]) -> Intake {
    let arriving = ArrivingEmail { raw, kept_at: None, authentication: None, files_flagged: None };
    app.services.take_in_email(arriving).await.unwrap()
}

async fn new_report(app: &TestApp, raw: &[u8]) -> ReportDetail {
    let intake = take_in(app, raw).await;
    let InboundOutcome::Report { reference } = intake.message.outcome else { panic!("not a report: {intake:?}") };
    app.get_json(&format!("/api/reports/{reference}")).await
}

fn file_names(report: &ReportDetail) -> Vec<&str> {
    report.attachments.iter().map(|a| a.file_name.as_str()).collect()
}

#[tokio::test]
async fn each_message_of_the_corpus_becomes_a_report_with_what_it_carried() {
    let app = spawn_app().await;

    let plain = new_report(&app, &corpus("plain.eml")).await;
    assert_eq!(plain.reporter_kind, ReporterKind::Unstated);
    assert_eq!(
        (plain.reporter_name.as_deref(), plain.reporter_email.as_deref()),
        (Some("Ann Example"), Some("ann@example.com"))
    );
    assert!(
        plain.description.starts_with("Someone logged into my account from Brazil\n\nHello,"),
        "{}",
        plain.description
    );
    let email = plain.email.as_ref().expect("marked as sent by email");
    assert_eq!(email.authentication.dmarc, AuthVerdict::NotChecked, "no trusted header in this one");
    let receipts = app.outbox();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].entry.to, ["ann@example.com"]);
    assert!(receipts[0].text.contains(&plain.reference.to_string()));
    assert!(receipts[0].text.contains("reply to this email"), "{}", receipts[0].text);

    let html = new_report(&app, &corpus("html-only.eml")).await;
    assert!(html.description.contains("shows other customers' invoices"), "{}", html.description);
    assert!(!html.description.contains('<') && !html.description.contains("alert("), "{}", html.description);

    let inline = new_report(&app, &corpus("inline-image.eml")).await;
    assert_eq!(file_names(&inline), ["attachment-1.png"]);
    assert_eq!(inline.attachments[0].sha256.len(), 64);

    let mixed = new_report(&app, &corpus("attachments.eml")).await;
    assert_eq!(file_names(&mixed), ["auth.log", "report.pdf"]);
    let refused: Vec<&str> = mixed.email.as_ref().unwrap().refused_files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(refused, ["login-page.html", "invoice.exe"], "listed, not dropped");
    assert!(mixed.email.as_ref().unwrap().refused_files.iter().all(|f| !f.reason.is_empty()));

    // The trusted receiving server said DMARC failed: recorded, shown, and no receipt goes out.
    let before = app.outbox().len();
    let latin1 = new_report(&app, &corpus("latin1.eml")).await;
    assert!(latin1.description.starts_with("Problème de paiement très urgent\n\nBonjour"), "{}", latin1.description);
    assert_eq!(latin1.reporter_name.as_deref(), Some("Élodie Martin"));
    let verdicts = latin1.email.unwrap().authentication;
    assert_eq!(
        (verdicts.spf, verdicts.dkim, verdicts.dmarc),
        (AuthVerdict::Pass, AuthVerdict::Fail, AuthVerdict::Fail)
    );
    assert_eq!(app.outbox().len(), before, "no receipt to a sender that failed DMARC");

    let japanese = new_report(&app, &corpus("shift-jis-no-message-id.eml")).await;
    assert!(japanese.description.contains("リンクをクリックしてしまいました"), "{}", japanese.description);
}

fn reply(from: &str, subject: &str, in_reply_to: Option<&str>, text: &str) -> Vec<u8> {
    let threading = in_reply_to.map(|id| format!("In-Reply-To: {id}\r\nReferences: {id}\r\n")).unwrap_or_default();
    format!(
        "From: {from}\r\nTo: security@corp.example\r\nSubject: {subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <{}@mail.example.com>\r\n{threading}Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n",
        uuid::Uuid::now_v7()
    )
    .into_bytes()
}

#[tokio::test]
async fn a_reply_to_the_receipt_is_added_to_its_report_and_a_strangers_is_not() {
    let app = spawn_app().await;
    let report = new_report(&app, &corpus("plain.eml")).await;
    let reference = report.reference;
    let receipt_id = format!("<{}@outbox.tocsin>", app.outbox()[0].entry.id);

    // By In-Reply-To (the subject no longer names the report), then by the reference in the subject.
    let by_id = reply("Ann <ann@example.com>", "Re: more", Some(&receipt_id), "It happened again at 04:40.");
    let by_subject =
        reply("ann@example.com", &format!("Re: Your report {reference}"), None, "And at 05:10 from 198.51.100.2.");
    for raw in [by_id, by_subject] {
        let intake = take_in(&app, &raw).await;
        assert_eq!(intake.message.outcome, InboundOutcome::FollowUp { reference });
    }
    let detail: ReportDetail = app.get_json(&format!("/api/reports/{reference}")).await;
    let messages: Vec<&str> = detail.follow_ups.iter().filter_map(|f| f.message.as_deref()).collect();
    assert_eq!(
        messages,
        [
            "Re: more\n\nIt happened again at 04:40.",
            &format!("Re: Your report {reference}\n\nAnd at 05:10 from 198.51.100.2.")
        ]
    );
    assert!(detail.follow_ups.iter().all(|f| f.email.is_some()));

    // Someone else quoting the reference opens a report of their own.
    let stranger = reply("mallory@elsewhere.example", &format!("Re: {reference}"), None, "Please delete this report.");
    let InboundOutcome::Report { reference: other } = take_in(&app, &stranger).await.message.outcome else {
        panic!("a stranger's message must not join the report")
    };
    assert_ne!(other, reference);
    assert_eq!(app.all_reports().await.len(), 2);
}

#[tokio::test]
async fn the_same_message_delivered_twice_makes_one_report() {
    let app = spawn_app().await;
    let raw = corpus("attachments.eml");
    let first = take_in(&app, &raw).await;
    let again = take_in(&app, &raw).await;
    assert!(!first.duplicate && again.duplicate);
    assert_eq!(first.message, again.message);

    // Two deliveries at the same moment: one report, and no orphaned file from the loser.
    let raw = corpus("inline-image.eml");
    let (a, b) = tokio::join!(take_in(&app, &raw), take_in(&app, &raw));
    assert_eq!(a.message.outcome, b.message.outcome);
    assert!(a.duplicate ^ b.duplicate, "exactly one of the two took it in");
    assert_eq!(app.all_reports().await.len(), 2);
    assert_eq!(app.stored_attachment_files(), 3, "auth.log, report.pdf and the screenshot, once each");
    assert_eq!(app.outbox().len(), 2, "one receipt per message");
}

#[tokio::test]
async fn unreadable_and_oversize_messages_are_kept_as_refused_records() {
    let app = spawn_app().await;
    let garbage = take_in(&app, b"\x00\x01 not an email").await;
    let InboundOutcome::Rejected { reason } = &garbage.message.outcome else { panic!("{garbage:?}") };
    assert!(reason.contains("not an email message"), "{reason}");

    let mut huge = corpus("plain.eml");
    huge.resize(functions::service::inbound_email::MAX_MESSAGE_BYTES + 1, b'a');
    let oversize = take_in(&app, &huge).await;
    let InboundOutcome::Rejected { reason } = &oversize.message.outcome else { panic!("{oversize:?}") };
    assert!(reason.contains("over the"), "{reason}");
    assert!(take_in(&app, &huge).await.duplicate, "refused once, known after");

    let recorded = app.services.reports.list_inbound(10).await.unwrap();
    assert_eq!(recorded.len(), 2);
    assert!(app.all_reports().await.is_empty());
}

#[tokio::test]
async fn the_team_sees_every_message_and_what_became_of_it() {
    let app = spawn_app().await;
    let report = take_in(&app, &corpus("plain.eml")).await;
    take_in(&app, b"\x00 not an email").await;
    let listed: Vec<shared::inbound::InboundMessage> = app.get_json("/api/inbound").await;
    assert_eq!(listed.len(), 2);
    assert!(matches!(&listed[0].outcome, InboundOutcome::Rejected { reason } if reason.contains("not an email")));
    assert_eq!(listed[1].outcome, report.message.outcome);
    assert_eq!(listed[1].sender.as_deref(), Some("ann@example.com"));
    let anonymous = reqwest::get(app.url("/api/inbound")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// A report made by email has no follow-up link: its reporter's status emails say to reply, and a
/// reply to one (the reference is in its subject) joins the report.
#[tokio::test]
async fn status_emails_to_an_email_reporter_ask_for_a_reply_not_a_link() {
    let app = spawn_app().await;
    let report = new_report(&app, &corpus("plain.eml")).await;
    let reason = "This was our own security team testing sign-in alerts.";
    let dismiss = app.client.post(app.url(&format!("/api/reports/{}/dismiss", report.reference)));
    assert_eq!(dismiss.json(&serde_json::json!({ "reason": reason })).send().await.unwrap().status(), 200);
    let update = app.outbox().pop().unwrap();
    assert!(update.subject.contains(&report.reference.to_string()), "{}", update.subject);
    assert!(update.text.contains("reply to this email") && !update.text.contains("follow-up link"), "{}", update.text);
    assert!(update.html.contains("reply to this email"), "{}", update.html);

    let answer = reply("ann@example.com", &format!("Re: {}", update.subject), None, "It was not me, though.");
    assert_eq!(take_in(&app, &answer).await.message.outcome, InboundOutcome::FollowUp { reference: report.reference });
}

/// A message that failed DMARC may forge the reporter's address: it opens a report of its own
/// (flagged) instead of joining theirs, even with their reference in the subject.
#[tokio::test]
async fn a_forged_reply_does_not_join_the_reporters_report() {
    let app = spawn_app().await;
    let report = new_report(&app, &corpus("plain.eml")).await;
    let mut forged =
        b"Authentication-Results: mx.corp.example; spf=fail; dkim=none; dmarc=fail header.from=example.com\r\n"
            .to_vec();
    forged.extend(reply(
        "ann@example.com",
        &format!("Re: {}", report.reference),
        None,
        "Please send my data to this address.",
    ));
    let InboundOutcome::Report { reference } = take_in(&app, &forged).await.message.outcome else {
        panic!("a forged reply must not join the report")
    };
    assert_ne!(reference, report.reference);
    let genuine = reply("ann@example.com", &format!("Re: {}", report.reference), None, "One more detail.");
    assert_eq!(take_in(&app, &genuine).await.message.outcome, InboundOutcome::FollowUp { reference: report.reference });
}
