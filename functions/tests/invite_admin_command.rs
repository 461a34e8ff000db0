//! `tocsin invite-admin` makes the first admin possible: it prints a single-use link and emails it.

use std::process::Command;

fn invite_admin(data_dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("invite-admin")
        .args(args)
        .env("TOCSIN_DATA_DIR", data_dir)
        .output()
        .expect("the tocsin binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[test]
fn the_command_prints_and_emails_an_admin_invitation_and_names_bad_input() {
    let data_dir = tempfile::tempdir().unwrap();
    let (ok, output) = invite_admin(data_dir.path(), &["ada@example.com", "Ada Lovelace"]);
    assert!(ok, "{output}");
    assert!(output.contains("Invitation sent to ada@example.com"), "{output}");
    let link = output.split_whitespace().find(|word| word.contains("/welcome#")).expect("a link");
    assert!(link.starts_with("http://127.0.0.1:3000/welcome#"), "{link}");
    let outbox = std::fs::read_to_string(data_dir.path().join("outbox/index.jsonl")).unwrap();
    assert!(outbox.contains("ada@example.com"), "{outbox}");

    let (ok, output) = invite_admin(data_dir.path(), &["not-an-address", "Ada"]);
    assert!(!ok && output.contains("email: Enter an email address"), "{output}");
    let (ok, output) = invite_admin(data_dir.path(), &["ada@example.com"]);
    assert!(!ok && output.contains("Usage: tocsin invite-admin <email> <name>"), "{output}");
}
