//! The event-driven functions' handlers, as the Lambda runtime calls them: the scheduled deadline
//! run (EventBridge Scheduler), the SES event recorder (an EventBridge rule), the mail intake
//! (SES receiving's Lambda action) and the people import (S3's notification of an uploaded file).
//! The HTTP function needs none: `lambda_http` hands API Gateway's requests to the same router as
//! the local server.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::adapters::{s3_events, ses_events, ses_inbound};
use crate::ports::InboundMailbox;
use crate::service::Services;
use crate::service::email_intake::ArrivingEmail;

/// Time kept back from the Lambda timeout to record the last notice sent.
const MARGIN: Duration = Duration::from_secs(10);

/// What the schedule passes (its context attributes, see the template's `DeadlineSchedule`). Every
/// field is optional, so a hand-made `{}` test invocation from the console also runs.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRun {
    pub scheduled_time: Option<DateTime<Utc>>,
    pub execution_id: Option<String>,
    /// Scheduler writes it as text ("1"); a retry of a run is safe, as each step is sent once.
    pub attempt_number: Option<String>,
}

/// One scheduled run: the deadlines due now, then approved customer notices until shortly before
/// the function's timeout. Its figures are logged (a scheduled invocation's response goes
/// nowhere) and returned.
pub async fn deadline_run(services: &Services, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let run: ScheduledRun = if event.payload.is_null() {
        ScheduledRun::default()
    } else {
        serde_json::from_value(event.payload).map_err(|e| format!("not a scheduled run's input: {e}"))?
    };
    // The checker looks at what is due now: a run delivered late (a retry) still sees it all.
    let deadlines = services.run_due(services.clock.now()).await.map_err(|e| e.to_string())?;
    let left = event.context.deadline().duration_since(SystemTime::now()).unwrap_or_default();
    let notices = services.send_notices(left.saturating_sub(MARGIN)).await.map_err(|e| e.to_string())?;
    let figures = json!({
        "scheduled_time": run.scheduled_time,
        "execution_id": run.execution_id,
        "attempt": run.attempt_number,
        "deadlines": deadlines,
        "notices": notices,
    });
    tracing::info!(run = %figures, "scheduled run done");
    Ok(figures)
}

/// One SES event. A failure is returned, so EventBridge retries it; recording one twice changes
/// nothing.
/// Serves `handle` for each event Lambda delivers, until the runtime stops.
pub async fn serve_events<'a, F, Fut>(services: &'a Services, handle: F) -> anyhow::Result<()>
where
    F: Fn(&'a Services, LambdaEvent<Value>) -> Fut,
    Fut: Future<Output = Result<Value, Error>>,
{
    lambda_runtime::run(service_fn(|event| handle(services, event))).await.map_err(|e| anyhow::anyhow!(e))
}

pub async fn mail_event(services: &Services, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let recorded = record_ses_event(services, &event.payload).await?;
    Ok(json!({ "recorded": recorded }))
}

/// Records one SES event; `false` when it is about no notice Tocsin sent.
pub async fn record_ses_event(services: &Services, event: &Value) -> anyhow::Result<bool> {
    match ses_events::parse(event)? {
        Some(report) => Ok(services.record_mail_event(report).await?),
        None => Ok(false),
    }
}

/// The messages SES received for the security address, each taken in from where SES's S3 action
/// stored it, with SES's verdicts. A failure is returned, so Lambda retries the event; a message
/// taken in already is known, not taken twice.
pub async fn mail_intake(
    services: &Services,
    mailbox: &dyn InboundMailbox,
    event: LambdaEvent<Value>,
) -> Result<Value, Error> {
    let received = ses_inbound::parse(&event.payload).map_err(|e| format!("not an SES receipt event: {e}"))?;
    let mut taken_in = Vec::with_capacity(received.len());
    for mail in received {
        let (raw, kept_at) = mailbox
            .fetch(&mail.message_id)
            .await?
            .ok_or_else(|| format!("message {} is not in the inbound bucket", mail.message_id))?;
        let arriving = ArrivingEmail {
            raw: &raw,
            kept_at: Some(kept_at),
            authentication: Some(mail.authentication),
            files_flagged: mail.virus_found.then(|| "the mail service's virus scan flagged this message".to_owned()),
        };
        taken_in.push(services.take_in_email(arriving).await.map_err(|e| e.to_string())?);
    }
    let answer = json!({ "taken_in": taken_in });
    tracing::info!(intake = %answer, "mail taken in");
    Ok(answer)
}

/// The files of people S3 reports uploaded under the import prefix, each imported as the account
/// whose ticket it came with, its outcome kept for the app and the file removed. An import that
/// failed is an outcome too; only a failure to read or keep one is returned, so Lambda retries
/// the event (an import whose outcome is kept is not run twice).
pub async fn people_import(services: &Services, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let created = s3_events::parse(&event.payload).map_err(|e| format!("not an S3 event notification: {e}"))?;
    let mut imports = Vec::with_capacity(created.len());
    for object in created {
        let Some(import_id) = object.import_id() else {
            tracing::warn!(key = %object.key, "an object outside the import prefix; the notification's filter should leave it out");
            continue;
        };
        let status = services.import_uploaded_people(import_id).await.map_err(|e| format!("{e:#}"))?;
        imports.push(json!({ "import": import_id, "status": status }));
    }
    let answer = json!({ "imports": imports });
    tracing::info!(imports = %answer, "uploaded imports taken in");
    Ok(answer)
}
