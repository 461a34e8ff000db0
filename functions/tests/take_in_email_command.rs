//! `tocsin take-in-email` takes a folder of `.eml` files into the local store through the same
//! intake as AWS: one line per message, a second run finds them all known, and every message,
//! refused ones included, is kept under the data directory.

use std::process::Command;

fn take_in(data_dir: &std::path::Path, path: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("take-in-email")
        .arg(path)
        .env("TOCSIN_DATA_DIR", data_dir)
        .env("TOCSIN_EMAIL__TRUSTED_AUTHSERV_ID", "mx.corp.example")
        .output()
        .expect("the tocsin binary runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    text
}

#[test]
fn a_folder_of_messages_is_taken_in_once() {
    let data_dir = tempfile::tempdir().unwrap();
    let inbox = tempfile::tempdir().unwrap();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inbound");
    for name in ["plain.eml", "attachments.eml", "html-only.eml"] {
        std::fs::copy(corpus.join(name), inbox.path().join(name)).unwrap();
    }
    std::fs::write(inbox.path().join("broken.eml"), b"\x00\x01 not an email").unwrap();
    std::fs::write(inbox.path().join("notes.txt"), b"not a message file").unwrap();

    let first = take_in(data_dir.path(), inbox.path());
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(lines.len(), 4, "the .eml files, in name order: {first}");
    assert!(
        lines[0].ends_with("attachments.eml: new report TOC-") || lines[0].contains("attachments.eml: new report TOC-"),
        "{first}"
    );
    assert!(lines[1].contains("broken.eml: refused: this is not an email message"), "{first}");
    assert!(lines[2].contains("html-only.eml: new report TOC-"), "{first}");
    assert!(lines[3].contains("plain.eml: new report TOC-"), "{first}");

    let second = take_in(data_dir.path(), inbox.path());
    assert_eq!(second.matches("(taken in before)").count(), 4, "{second}");
    let kept = std::fs::read_dir(data_dir.path().join("inbound")).unwrap().count();
    assert_eq!(kept, 4, "each message is kept, the refused one too");
}
