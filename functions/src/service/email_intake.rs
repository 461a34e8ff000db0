//! Email intake: a message sent to the security address becomes a report, or a follow-up of the
//! report whose receipt it answers, through the same file checks as the form. A message that
//! cannot be read is recorded as refused, with the reason; a message delivered twice is taken
//! in once.

use sha2::{Digest, Sha256};
use shared::attachment::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, classify};
use shared::inbound::{EmailAuthentication, EmailIntake, InboundMessage, InboundOutcome, RefusedFile};
use shared::reference::Reference;
use shared::report::{DESCRIPTION_MAX, DESCRIPTION_MIN, NewReport, ReporterEmail, ReporterKind, ReporterName};

use super::email::ReceiptContext;
use super::error::ServiceError;
use super::inbound_email::{self, InboundEmail, InboundFile};
use super::services::{Services, Upload};
use super::token::SecretToken;
use crate::ports::{EmailArrival, FollowUpDraft, ReportDraft, StoreError, StoreResult};

/// A message as the receiving side hands it over.
pub struct ArrivingEmail<'a> {
    pub raw: &'a [u8],
    /// Where the raw message is kept (a file, an S3 key), recorded with it.
    pub kept_at: Option<String>,
    /// The receiving service's own verdicts (SES); otherwise they are read from the trusted
    /// server's `Authentication-Results` header, if any.
    pub authentication: Option<EmailAuthentication>,
    /// Set when the receiving service's virus scan flagged the message: none of its files is
    /// taken, each is listed with this reason.
    pub files_flagged: Option<String>,
}

/// What became of one message, and whether it had been taken in before.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Intake {
    pub message: InboundMessage,
    pub duplicate: bool,
}

/// Text longer than a description may be is cut, and the whole of it kept as this file.
const FULL_TEXT_FILE: &str = "message.txt";

impl Services {
    pub async fn take_in_email(&self, arriving: ArrivingEmail<'_>) -> Result<Intake, ServiceError> {
        let received_at = self.clock.now();
        let size_bytes = arriving.raw.len() as u64;
        let email = match inbound_email::read(arriving.raw, self.trusted_authserv_id.as_deref()) {
            Ok(email) => email,
            Err(unreadable) => {
                let message = InboundMessage {
                    message_key: format!("sha256:{:x}", Sha256::digest(arriving.raw)),
                    received_at,
                    sender: None,
                    subject: String::new(),
                    size_bytes,
                    kept_at: arriving.kept_at,
                    outcome: InboundOutcome::Rejected { reason: unreadable.to_string() },
                };
                tracing::warn!(key = %message.message_key, reason = %unreadable, "email refused");
                let recorded = self.reports.record_inbound(message.clone()).await?;
                return match recorded {
                    true => Ok(Intake { message, duplicate: false }),
                    false => self.known(&message.message_key).await,
                };
            }
        };
        if self.reports.inbound(&email.key).await?.is_some() {
            return self.known(&email.key).await;
        }
        let authentication = arriving.authentication.unwrap_or(email.authentication);
        let (text, mut files) = full_text(&email);
        files.extend(email.files.iter().cloned());
        let (uploads, refused_files) = match arriving.files_flagged {
            Some(reason) => {
                let refused = files.into_iter().map(|f| RefusedFile { file_name: f.file_name, reason: reason.clone() });
                (Vec::new(), refused.collect())
            }
            None => checked(files),
        };
        let attachments = self.store_uploads(uploads).await?;
        let intake = EmailIntake {
            message_key: email.key.clone(),
            sender: email.sender.as_ref().map(|s| s.address.clone()),
            subject: email.subject.clone(),
            authentication,
            refused_files,
        };
        let arrival = EmailArrival { intake, size_bytes, kept_at: arriving.kept_at };

        let written = match self.answered_report(&email, authentication).await? {
            Some(reference) => {
                let draft = FollowUpDraft {
                    message: Some(text),
                    received_at,
                    attachments: attachments.clone(),
                    email: Some(arrival),
                };
                self.reports.add_follow_up(reference, draft).await.map(|()| InboundOutcome::FollowUp { reference })
            }
            None => self.report_from(&email, text, received_at, attachments.clone(), arrival).await,
        };
        match written {
            Ok(outcome) => {
                tracing::info!(key = %email.key, ?outcome, attachments = attachments.len(), "email taken in");
                if let InboundOutcome::Report { reference } = outcome {
                    self.send_email_receipt(&email, reference, authentication).await;
                }
                self.known(&email.key).await.map(|intake| Intake { duplicate: false, ..intake })
            }
            // Delivered twice at once: the other delivery's write won.
            Err(StoreError::Conflict(_)) if self.reports.inbound(&email.key).await?.is_some() => {
                self.discard(&attachments).await;
                self.known(&email.key).await
            }
            Err(error) => {
                self.discard(&attachments).await;
                Err(error.into())
            }
        }
    }

    async fn known(&self, message_key: &str) -> Result<Intake, ServiceError> {
        let message = self.reports.inbound(message_key).await?.ok_or(ServiceError::NotFound)?;
        Ok(Intake { message, duplicate: true })
    }

    /// The report whose receipt this message answers: named by `In-Reply-To`/`References`, or by
    /// the reference in the subject when the sender is the report's reporter (so a stranger
    /// quoting a reference opens a report of their own instead of adding to someone else's). A
    /// sender that failed DMARC may be forging the reporter's address, so it is never taken as them.
    async fn answered_report(
        &self,
        email: &InboundEmail,
        authentication: EmailAuthentication,
    ) -> Result<Option<Reference>, ServiceError> {
        if authentication.dmarc == shared::inbound::AuthVerdict::Fail {
            return Ok(None);
        }
        for id in &email.answers {
            // Both mailers' ids are the local part of the Message-ID they wrote.
            let local_part = id.trim_matches(['<', '>']).split('@').next().unwrap_or_default();
            if let Some(reference) = self.reports.report_by_receipt_id(local_part).await? {
                return Ok(Some(reference));
            }
        }
        let (Some(reference), Some(sender)) = (email.reference, &email.sender) else { return Ok(None) };
        let report = self.reports.report(reference).await?;
        let same_sender = report
            .and_then(|r| r.reporter_email)
            .is_some_and(|reporter| reporter.eq_ignore_ascii_case(&sender.address));
        Ok(same_sender.then_some(reference))
    }

    async fn report_from(
        &self,
        email: &InboundEmail,
        description: String,
        received_at: chrono::DateTime<chrono::Utc>,
        attachments: Vec<crate::ports::StoredAttachment>,
        arrival: EmailArrival,
    ) -> StoreResult<InboundOutcome> {
        let sender = email.sender.as_ref();
        // The sender's name and address are kept only when they would pass the form's checks.
        let report = NewReport {
            reporter_kind: ReporterKind::Unstated,
            name: sender
                .and_then(|s| s.name.as_deref())
                .and_then(|n| ReporterName::parse(n).ok())
                .map(ReporterName::into_inner),
            email: sender.and_then(|s| ReporterEmail::parse(&s.address).ok()).map(ReporterEmail::into_inner),
            description,
            steps_to_reproduce: None,
            observed_at: None,
            affected_system: None,
        };
        let draft = ReportDraft {
            report,
            received_at,
            // No link goes out for it (the reporter answers the receipt instead), so no one holds it.
            follow_up_token_hash: SecretToken::generate().hash(),
            attachments,
            email: Some(arrival),
        };
        self.reports.insert_report(draft).await.map(|reference| InboundOutcome::Report { reference })
    }

    /// The receipt, as for the form, and its id kept so a reply finds the report. A sender that
    /// failed DMARC is likely forged: no receipt goes to them (no mail to a stranger).
    async fn send_email_receipt(
        &self,
        email: &InboundEmail,
        reference: Reference,
        authentication: EmailAuthentication,
    ) {
        let Some(sender) = &email.sender else { return };
        if authentication.dmarc == shared::inbound::AuthVerdict::Fail {
            tracing::warn!(%reference, "no receipt: the sender failed DMARC");
            return;
        }
        let context = ReceiptContext {
            name: sender.name.clone(),
            reference: reference.to_string(),
            received_at: self.clock.now().format("%Y-%m-%d %H:%M").to_string(),
            follow_up_url: String::new(),
            headline: shared::report::headline(&email.subject),
            sender_name: self.sender_name.clone(),
        };
        let sent = async {
            let receipt = self.templates.receipt(sender.address.clone(), &context)?;
            let id = self.mailer.send(&receipt).await?;
            self.reports.set_receipt_id(reference, &id).await?;
            anyhow::Ok(())
        };
        // The report is safe already; a mail failure is logged, not turned into a lost report.
        if let Err(error) = sent.await {
            tracing::error!(%reference, error = format!("{error:#}"), "email receipt failed");
        }
    }
}

/// The report's text: the subject, then the body. Over the limit, it is cut and the whole text
/// comes as a file; with no text at all, it says so.
fn full_text(email: &InboundEmail) -> (String, Vec<InboundFile>) {
    let clean = |text: &str| -> String {
        text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect::<String>().trim().to_owned()
    };
    let text = clean(&[email.subject.as_str(), email.body.as_str()].join("\n\n"));
    if text.chars().count() < DESCRIPTION_MIN {
        return (format!("(An email with no text to speak of: \"{text}\". See its attachments.)"), Vec::new());
    }
    if text.chars().count() <= DESCRIPTION_MAX {
        return (text, Vec::new());
    }
    let note = format!("\n\n[Cut here: the whole message is attached as {FULL_TEXT_FILE}.]");
    let cut: String = text.chars().take(DESCRIPTION_MAX - note.chars().count()).collect();
    (cut + &note, vec![InboundFile { file_name: FULL_TEXT_FILE.to_owned(), bytes: text.into_bytes() }])
}

/// The files the form would take (the first five that pass its checks), and the rest with the
/// reason each was refused.
fn checked(files: Vec<InboundFile>) -> (Vec<Upload>, Vec<RefusedFile>) {
    let mut taken = Vec::new();
    let mut refused = Vec::new();
    for file in files {
        let reason = if file.bytes.len() as u64 > MAX_ATTACHMENT_BYTES {
            Some(format!("over the {} MB limit", MAX_ATTACHMENT_BYTES / (1024 * 1024)))
        } else if taken.len() == MAX_ATTACHMENTS {
            Some(format!("more than {MAX_ATTACHMENTS} files came with the message"))
        } else {
            classify(&file.file_name, &file.bytes).err().map(|refusal| refusal.to_string())
        };
        match reason {
            Some(reason) => refused.push(RefusedFile { file_name: file.file_name, reason }),
            None => taken.push(Upload { file_name: file.file_name, bytes: file.bytes }),
        }
    }
    (taken, refused)
}
