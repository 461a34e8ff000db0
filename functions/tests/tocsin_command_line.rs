//! `tocsin`'s command line: help and version, usage errors (exit 2) and failures (exit 1) told
//! as one clean message, never a Debug dump or a backtrace.

use std::process::{Command, Output};

fn tocsin(data_dir: &std::path::Path, args: &[&str]) -> Output {
    tocsin_with(data_dir, args, &[])
}

fn tocsin_with(data_dir: &std::path::Path, args: &[&str], variables: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .env("TOCSIN_DATA_DIR", data_dir)
        .envs(variables.iter().copied())
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .output()
        .expect("the tocsin binary runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn assert_no_debug_dump(text: &str) {
    for dump in ["backtrace", "Backtrace", "Stack", "panicked", "Error {", "Validation(", "Os {"] {
        assert!(!text.contains(dump), "{dump:?} in: {text}");
    }
}

#[test]
fn help_lists_every_command_and_version_prints_the_version() {
    let data_dir = tempfile::tempdir().unwrap();
    let help = tocsin(data_dir.path(), &["--help"]);
    assert_eq!(help.status.code(), Some(0), "{}", text(&help));
    let help = String::from_utf8_lossy(&help.stdout);
    for command in ["serve", "verify-audit", "invite-admin", "take-in-email", "--version"] {
        assert!(help.contains(command), "{command} missing from: {help}");
    }

    let invite_help = tocsin(data_dir.path(), &["invite-admin", "--help"]);
    assert_eq!(invite_help.status.code(), Some(0), "{}", text(&invite_help));
    assert!(text(&invite_help).contains("Usage: tocsin invite-admin <email> <name>"), "{}", text(&invite_help));

    let version = tocsin(data_dir.path(), &["--version"]);
    assert_eq!(version.status.code(), Some(0), "{}", text(&version));
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("tocsin {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_usage_error_exits_2_with_a_clear_message() {
    let data_dir = tempfile::tempdir().unwrap();
    let unknown = tocsin(data_dir.path(), &["frobnicate"]);
    let output = text(&unknown);
    assert_eq!(unknown.status.code(), Some(2), "{output}");
    assert!(output.contains("error: unrecognized subcommand 'frobnicate'"), "{output}");
    assert!(output.contains("Usage: tocsin"), "{output}");
    assert_no_debug_dump(&output);

    let no_paths = tocsin(data_dir.path(), &["take-in-email"]);
    let output = text(&no_paths);
    assert_eq!(no_paths.status.code(), Some(2), "{output}");
    assert!(output.contains("Usage: tocsin take-in-email <file.eml or folder>..."), "{output}");
}

#[test]
fn a_failing_command_exits_1_with_a_clean_message() {
    let data_dir = tempfile::tempdir().unwrap();
    let refused = tocsin(data_dir.path(), &["invite-admin", "not-an-address", "Ada"]);
    let output = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{output}");
    assert!(output.contains("email: Enter an email address"), "{output}");
    assert_no_debug_dump(&output);

    let missing = data_dir.path().join("missing.eml");
    let failed = tocsin(data_dir.path(), &["take-in-email", missing.to_str().unwrap()]);
    let output = text(&failed);
    assert_eq!(failed.status.code(), Some(1), "{output}");
    let error = last_line(&failed.stderr);
    assert!(error.starts_with(&format!("error: reading {}: ", missing.display())), "{output}");
    assert_no_debug_dump(&output);

    // Each cause in the chain, on one line.
    let misconfigured = tocsin_with(data_dir.path(), &["verify-audit"], &[("TOCSIN_SERVER__PORT", "eighty")]);
    let output = text(&misconfigured);
    assert_eq!(misconfigured.status.code(), Some(1), "{output}");
    let error = last_line(&misconfigured.stderr);
    assert!(error.starts_with("error: reading settings (defaults, tocsin.toml, TOCSIN_* variables): "), "{output}");
    assert!(error.contains("eighty"), "{output}");
    assert_no_debug_dump(&output);
}

fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).lines().last().unwrap_or_default().to_owned()
}
