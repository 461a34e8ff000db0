//! Runs Tocsin as the local server (on AWS Lambda, `tocsin-api` serves the same router).
//! `tocsin verify-audit` checks every audit chain in the configured store instead, and
//! `tocsin invite-admin <email> <name>` invites an admin (the first one, on a new installation),
//! and `tocsin take-in-email <file.eml or folder>...` takes reports sent by email into the store.
//! `tocsin --help` lists them. Exit codes: 0 done, 1 a failed check, refused input or error,
//! 2 a usage error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use functions::config::Settings;
use functions::ports::SystemClock;
use functions::service::ServiceError;
use functions::service::email_intake::ArrivingEmail;
use functions::startup::{Application, build_state};
use sha2::Digest;
use shared::access::InvitationForm;
use shared::audit::{Verification, check_summary};
use shared::inbound::InboundOutcome;

/// Tocsin, security incident response: the local server and its maintenance commands.
///
/// Settings come from `tocsin.toml` (or `$TOCSIN_CONFIG`), then `TOCSIN_*` variables.
#[derive(Parser)]
#[command(name = "tocsin", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the local server (the default when no command is given).
    Serve,
    /// Checks every audit chain in the configured store, one line per chain; fails if any is broken.
    VerifyAudit,
    /// Invites an admin (the first one, on a new installation) and prints the single-use link.
    #[command(after_help = "Example: tocsin invite-admin ada@example.com \"Ada Lovelace\"")]
    InviteAdmin {
        /// The admin's email address; the invitation is also sent there.
        #[arg(value_name = "email")]
        email: String,
        /// The admin's name, as the team sees it.
        #[arg(value_name = "name")]
        name: String,
    },
    /// Takes in reports sent by email: `.eml` files, or every `.eml` file in a folder.
    TakeInEmail {
        /// `.eml` files or folders of them; each message is first copied into `<data_dir>/inbound/`.
        #[arg(value_name = "file.eml or folder", required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Parses the command line (usage errors exit 2, `--help` and `--version` 0), then runs the
/// command; an error is printed as `error:` with its causes, and exits 1.
fn main() -> ExitCode {
    let cli = Cli::parse();
    run(cli.command.unwrap_or(Command::Serve)).unwrap_or_else(|error| {
        eprintln!("error: {error:#}");
        ExitCode::FAILURE
    })
}

#[tokio::main]
async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let settings = Settings::load()?;
    functions::telemetry::init(false);
    match command {
        Command::Serve => serve(settings).await,
        Command::VerifyAudit => verify_audit(&settings).await,
        Command::InviteAdmin { email, name } => invite_admin(&settings, email, name).await,
        Command::TakeInEmail { paths } => take_in_email(&settings, paths).await,
    }
}

/// Serves the API and the app until stopped.
async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
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
async fn invite_admin(settings: &Settings, email: String, name: String) -> anyhow::Result<ExitCode> {
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
    println!("{}", check_summary(&report));
    Ok(if report.iter().all(Verification::is_intact) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Takes in each `.eml` file named, or found in a named folder, and prints what became of it.
/// Each message is first copied into `<data_dir>/inbound/`, so even a refused one is kept.
async fn take_in_email(settings: &Settings, paths: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
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
