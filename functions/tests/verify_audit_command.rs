//! `tocsin verify-audit` checks every chain in the configured store and fails on the first break.

use functions::service::access::Caller;
use shared::access::TeamRole;
use std::process::Command;
use std::sync::Arc;

use functions::config::Settings;
use functions::ports::SystemClock;
use functions::startup::build_state;
use shared::api::{DeclareIncidentForm, IncidentCommandRequest};
use shared::record::IncidentCommand;

fn verify_audit(data_dir: &std::path::Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("verify-audit")
        .env("TOCSIN_DATA_DIR", data_dir)
        .output()
        .expect("the tocsin binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn the_command_reports_each_chain_and_fails_on_a_broken_one() {
    let data_dir = tempfile::tempdir().unwrap();
    let settings = Settings { data_dir: data_dir.path().to_path_buf(), ..Settings::default() };
    let state = build_state(&settings, String::new(), Arc::new(SystemClock)).await.unwrap();
    let form = DeclareIncidentForm { title: "Ransomware note on a file server".into(), ..Default::default() };
    let incident = state.services.declare_incident(form, &Caller::acting_as("Ann", TeamRole::Lead)).await.unwrap();
    let reference = incident.record.reference.to_string();
    for step in 0..3 {
        let command = IncidentCommand::AddNote { markdown: format!("Step {step}") };
        let request = IncidentCommandRequest { expected_version: incident.version + step, command };
        state
            .services
            .command(incident.record.reference, request, &Caller::acting_as("Ann", TeamRole::Lead))
            .await
            .unwrap();
    }

    let (ok, output) = verify_audit(data_dir.path());
    assert!(ok, "{output}");
    let entries = incident.version + 3;
    assert!(output.contains(&format!("ok      {reference} ({entries} entries)")), "{output}");

    let db = rusqlite::Connection::open(data_dir.path().join("tocsin.sqlite3")).unwrap();
    let step_one = entries - 1;
    db.execute("UPDATE audit_entries SET body = replace(body, 'Step 1', 'Step one') WHERE seq = ?1", [step_one as i64])
        .unwrap();
    let (ok, output) = verify_audit(data_dir.path());
    assert!(!ok, "{output}");
    assert!(output.contains(&format!("BROKEN  {reference} at entry {step_one}")), "{output}");
    let summary = "1 chain(s) checked: 1 incident(s), 0 report(s), 0 policy register, 0 security log(s); 1 broken";
    assert!(output.contains(summary), "{output}");
}
