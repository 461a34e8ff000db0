//! Runs Tocsin as the local server (on AWS Lambda, `tocsin-api` serves the same router).
//! `tocsin verify-audit` checks every audit chain in the configured store instead, and
//! `tocsin invite-admin <email> <name>` invites an admin (the first one, on a new installation),
//! and `tocsin take-in-email <file.eml or folder>...` takes reports sent by email into the store.

use std::process::ExitCode;
use std::sync::Arc;

use functions::config::Settings;
use functions::ports::SystemClock;
use functions::service::ServiceError;
use functions::service::email_intake::ArrivingEmail;
use functions::startup::{Application, build_state};
use sha2::Digest;
use shared::access::InvitationForm;
use shared::inbound::InboundOutcome;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let settings = Settings::load()?;
    functions::telemetry::init(false);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("verify-audit") => return verify_audit(&settings).await,
        Some("invite-admin") => return invite_admin(&settings).await,
        Some("take-in-email") => return take_in_email(&settings).await,
        Some(other) => anyhow::bail!(
            "unknown command {other:?}: use `serve` (the default), `verify-audit`, `invite-admin` or `take-in-email`"
        ),
    }
    let app = Application::build(settings).await?;
    tracing::info!("Tocsin is running at http://{}/ (dashboard: /dashboard)", app.address());
    if app.services().team().await?.is_empty() {
        tracing::warn!(
            "No one can sign in yet. Invite the first admin: `cargo xtask invite-admin you@example.com \"Your Name\"` \
             (or `tocsin invite-admin ...`), then open the link it prints"
        );
    }
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

/// Sends an admin invitation and prints its link, for whoever runs the command to open.
async fn invite_admin(settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut args = std::env::args().skip(2);
    let (Some(email), Some(name)) = (args.next(), args.next()) else {
        anyhow::bail!(
            "usage: tocsin invite-admin <email> <name>, e.g. tocsin invite-admin ada@example.com \"Ada Lovelace\""
        )
    };
    let public_url = settings.server.public_url.clone().unwrap_or_else(|| format!("http://{}", settings.address()));
    let state = build_state(settings, public_url, Arc::new(SystemClock)).await?;
    let form = InvitationForm { email: email.clone(), name, role: "admin".to_owned() };
    match state.services.invitation_link(form, "tocsin invite-admin").await {
        Ok(link) => {
            println!("Invitation sent to {email}. It works once, for 7 days:\n\n  {link}\n");
            Ok(ExitCode::SUCCESS)
        }
        Err(ServiceError::Validation(errors)) => {
            errors.0.iter().for_each(|e| eprintln!("{}: {}", e.field, e.message));
            Ok(ExitCode::FAILURE)
        }
        Err(other) => Err(other.into()),
    }
}

/// Prints one line per audit chain and fails if any is broken.
async fn verify_audit(settings: &Settings) -> anyhow::Result<ExitCode> {
    let state = build_state(settings, String::new(), Arc::new(SystemClock)).await?;
    let report = state.services.verify_all_audit_chains().await?;
    for verification in &report {
        match &verification.broken {
            None => println!("ok      {} ({} entries)", verification.subject, verification.entries_checked),
            Some(broken) => println!("BROKEN  {} at entry {}: {}", verification.subject, broken.seq, broken.problem),
        }
    }
    let broken = report.iter().filter(|v| !v.is_intact()).count();
    println!("{} chain(s) checked, {broken} broken", report.len());
    Ok(if broken == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Takes in each `.eml` file named, or found in a named folder, and prints what became of it.
/// Each message is first copied into `<data_dir>/inbound/`, so even a refused one is kept.
async fn take_in_email(settings: &Settings) -> anyhow::Result<ExitCode> {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(2).map(Into::into).collect();
    anyhow::ensure!(!paths.is_empty(), "usage: tocsin take-in-email <file.eml or folder>...");
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<_> =
                std::fs::read_dir(&path)?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
            found.retain(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml")));
            found.sort();
            files.extend(found);
        } else {
            files.push(path);
        }
    }
    let public_url = settings.server.public_url.clone().unwrap_or_else(|| format!("http://{}", settings.address()));
    let state = build_state(settings, public_url, Arc::new(SystemClock)).await?;
    let kept = settings.data_dir.join("inbound");
    std::fs::create_dir_all(&kept)?;
    for file in files {
        let raw = std::fs::read(&file).map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
        let copy = kept.join(format!("{:x}.eml", sha2::Sha256::digest(&raw)));
        std::fs::write(&copy, &raw)?;
        let arriving = ArrivingEmail {
            raw: &raw,
            kept_at: Some(copy.display().to_string()),
            authentication: None,
            files_flagged: None,
        };
        let intake = state.services.take_in_email(arriving).await?;
        let outcome = match &intake.message.outcome {
            InboundOutcome::Report { reference } => format!("new report {reference}"),
            InboundOutcome::FollowUp { reference } => format!("added to report {reference}"),
            InboundOutcome::Rejected { reason } => format!("refused: {reason}"),
        };
        let again = if intake.duplicate { " (taken in before)" } else { "" };
        println!("{}: {outcome}{again}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}
