//! The full audit check (`tocsin verify-audit`): every chain the store holds is walked, of every
//! kind, and any alteration, deletion, insertion, reordering or truncation of one fails it.

use rusqlite::{Connection, params};
use serde_json::{Value, json};
use shared::api::{IncidentDetail, PolicyDetail, ReportReceipt};
use shared::audit::{Verification, check_summary};
use shared::reference::{Reference, ReferenceKind};
use tocsin_tests::{TestApp, spawn_app, valid_report};

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let response = app.client.post(app.url(path)).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap()
}

/// One chain of each kind, each with at least two entries.
async fn one_chain_of_each_kind(app: &TestApp) -> Vec<Reference> {
    let incident: IncidentDetail =
        serde_json::from_value(post(app, "/api/incidents", json!({ "title": "Lost laptop" })).await).unwrap();
    let reference = incident.record.reference;
    let command = json!({ "expected_version": incident.version, "command": { "type": "add_note", "markdown": "Wiped remotely" } });
    post(app, &format!("/api/incidents/{reference}/commands"), command).await;

    let report: ReportReceipt = app.submit_json(&valid_report()).await.json().await.unwrap();
    let dismissal = json!({ "reason": "A phishing test run by the security team" });
    post(app, &format!("/api/reports/{}/dismiss", report.reference), dismissal).await;

    let register: PolicyDetail = app.get_json("/api/policy").await;
    let review = json!({ "summary": "Read with legal", "communicated": true, "expected_version": register.version });
    post(app, "/api/policy/reviews", review).await;

    let security = app.services.security_logs().await.unwrap();
    vec![reference, report.reference, register.register.reference, security[0]]
}

async fn broken_chains(app: &TestApp) -> (Vec<Reference>, String) {
    let report = app.services.verify_all_audit_chains().await.unwrap();
    let broken = report.iter().filter(|v| !v.is_intact()).map(|v| v.subject).collect();
    (broken, check_summary(&report))
}

/// Ways to break a chain, each as SQL over the subject `$S`.
const TAMPERING: &[(&str, &str)] = &[
    (
        "alter an entry",
        "UPDATE audit_entries SET body = replace(body, '\"actor\":\"', '\"actor\":\"X') WHERE subject = $S AND seq = 1",
    ),
    ("delete an entry", "DELETE FROM audit_entries WHERE subject = $S AND seq = 1"),
    (
        "insert an entry",
        "INSERT INTO audit_entries (subject, seq, body, hash)
         SELECT subject, seq + 1, body, hash FROM audit_entries
         WHERE subject = $S AND seq = (SELECT max(seq) FROM audit_entries WHERE subject = $S)",
    ),
    (
        "reorder two entries",
        "UPDATE audit_entries SET seq = -1 WHERE subject = $S AND seq = 1;
         UPDATE audit_entries SET seq = 1 WHERE subject = $S AND seq = 2;
         UPDATE audit_entries SET seq = 2 WHERE subject = $S AND seq = -1;",
    ),
    (
        "truncate the tail",
        "DELETE FROM audit_entries WHERE subject = $S AND seq = (SELECT max(seq) FROM audit_entries WHERE subject = $S)",
    ),
    ("delete the head", "DELETE FROM audit_heads WHERE subject = $S"),
];

/// A chain's rows, to put back after each attempt.
struct ChainRows {
    entries: Vec<(i64, String, String)>,
    head: (i64, String),
}

fn snapshot(db: &Connection, subject: &str) -> ChainRows {
    let mut query = db.prepare("SELECT seq, body, hash FROM audit_entries WHERE subject = ?1").unwrap();
    let entries = query.query_map([subject], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    let head =
        db.query_row("SELECT seq, hash FROM audit_heads WHERE subject = ?1", [subject], |r| Ok((r.get(0)?, r.get(1)?)));
    ChainRows { entries: entries.map(Result::unwrap).collect(), head: head.unwrap() }
}

fn restore(db: &Connection, subject: &str, ChainRows { entries, head }: &ChainRows) {
    db.execute("DELETE FROM audit_entries WHERE subject = ?1", [subject]).unwrap();
    db.execute("DELETE FROM audit_heads WHERE subject = ?1", [subject]).unwrap();
    for (seq, body, hash) in entries {
        db.execute("INSERT INTO audit_entries VALUES (?1, ?2, ?3, ?4)", params![subject, seq, body, hash]).unwrap();
    }
    db.execute("INSERT INTO audit_heads VALUES (?1, ?2, ?3)", params![subject, head.0, head.1]).unwrap();
}

#[tokio::test]
async fn the_full_check_walks_every_chain_and_fails_on_any_tampering_of_any_kind() {
    let app = spawn_app().await;
    let chains = one_chain_of_each_kind(&app).await;
    let (broken, summary) = broken_chains(&app).await;
    assert_eq!(broken, [], "{summary}");
    for kind in ["1 incident(s)", "1 report(s)", "1 policy register", "1 security log(s)"] {
        assert!(summary.contains(kind), "{kind} not in {summary}");
    }

    let db = app.database();
    let mut caught = 0;
    for subject in &chains {
        let key = subject.to_string();
        let intact = snapshot(&db, &key);
        assert!(intact.entries.len() >= 2, "{subject} has {} entries: too few to reorder", intact.entries.len());
        for (tampering, sql) in TAMPERING {
            db.execute_batch(&sql.replace("$S", &format!("'{key}'"))).unwrap();
            let (broken, summary) = broken_chains(&app).await;
            assert_eq!(broken, [*subject], "{tampering} on {subject}: {summary}");
            assert!(summary.ends_with("; 1 broken"), "{summary}");
            restore(&db, &key, &intact);
            caught += 1;
        }
        // A record's whole chain gone is a break too; a security log has no record to miss it by.
        db.execute("DELETE FROM audit_entries WHERE subject = ?1", [&key]).unwrap();
        db.execute("DELETE FROM audit_heads WHERE subject = ?1", [&key]).unwrap();
        let (broken, summary) = broken_chains(&app).await;
        match subject.kind {
            ReferenceKind::Security => assert_eq!(broken, [], "{summary}"),
            _ => assert_eq!(broken, [*subject], "the whole chain of {subject} removed: {summary}"),
        }
        restore(&db, &key, &intact);
    }
    assert_eq!(broken_chains(&app).await.0, [], "everything restored");

    // Entries filed under a subject no record or head knows are found too.
    let stray = Reference::new(ReferenceKind::Report, 2020, 999);
    db.execute(
        "INSERT INTO audit_entries SELECT ?2, seq, body, hash FROM audit_entries WHERE subject = ?1",
        params![chains[0].to_string(), stray.to_string()],
    )
    .unwrap();
    assert_eq!(broken_chains(&app).await.0, [stray]);
    println!(
        "tampering caught: {caught} of {} attempts on {} kinds of chain",
        TAMPERING.len() * chains.len(),
        chains.len()
    );
}

#[test]
fn the_summary_counts_chains_by_kind() {
    let intact = |kind, number| Verification {
        subject: Reference::new(kind, 2026, number),
        entries_checked: 2,
        head: None,
        broken: None,
    };
    let mut report = vec![
        intact(ReferenceKind::Incident, 1),
        intact(ReferenceKind::Incident, 2),
        intact(ReferenceKind::Security, 1),
    ];
    report[1].broken = Some(shared::audit::BrokenLink { seq: 2, problem: "edited".into() });
    assert_eq!(
        check_summary(&report),
        "3 chain(s) checked: 2 incident(s), 0 report(s), 0 policy register, 1 security log(s); 1 broken"
    );
}
