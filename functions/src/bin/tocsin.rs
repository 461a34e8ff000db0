//! Runs Tocsin: under Lambda when the Lambda runtime is present, otherwise as the local server.
//! `tocsin verify-audit` checks every audit chain in the configured store instead, and
//! `tocsin invite-admin <email> <name>` invites an admin (the first one, on a new installation).

use std::process::ExitCode;
use std::sync::Arc;

use functions::config::Settings;
use functions::ports::SystemClock;
use functions::service::ServiceError;
use functions::startup::{Application, app_router, build_state};
use shared::access::InvitationForm;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let settings = Settings::load()?;
    // Lambda sets this reserved variable for custom runtimes.
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        functions::telemetry::init(true);
        let public_url = settings.server.public_url.clone().unwrap_or_default();
        let router = app_router(build_state(&settings, public_url, Arc::new(SystemClock)).await?, None);
        lambda_http::run(router).await.map_err(|e| anyhow::anyhow!(e))?;
        return Ok(ExitCode::SUCCESS);
    }
    functions::telemetry::init(false);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("verify-audit") => return verify_audit(&settings).await,
        Some("invite-admin") => return invite_admin(&settings).await,
        Some(other) => {
            anyhow::bail!("unknown command {other:?}: use `serve` (the default), `verify-audit` or `invite-admin`")
        }
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
