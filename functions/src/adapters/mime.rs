//! The one way Tocsin turns an [`Email`] into an RFC 5322 message: the outbox writes it to a file,
//! SES sends it raw, so both carry the same text and HTML parts.

use anyhow::Context;
use chrono::{DateTime, Utc};
use email_encoding::headers::writer::EmailWriter;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use crate::ports::Email;

pub fn build_message(
    sender: &Mailbox,
    email: &Email,
    message_id: &str,
    date: DateTime<Utc>,
) -> anyhow::Result<Message> {
    let mut builder = Message::builder()
        .from(sender.clone())
        .raw_header(subject_header(&email.subject)?)
        .date(date.into())
        .message_id(Some(format!("<{message_id}>")));
    for to in &email.to {
        builder = builder.to(to.parse().with_context(|| format!("invalid recipient {to:?}"))?);
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))?)
}

/// The Subject header. lettre writes ASCII words as they are, so a word shaped like an RFC 2047
/// encoded word (`=?utf-8?q?...?=`, from a title someone typed) would be decoded by mail clients
/// into other text, line breaks included; such a subject is encoded whole instead.
fn subject_header(subject: &str) -> anyhow::Result<HeaderValue> {
    let name = HeaderName::new_from_ascii_str("Subject");
    if !subject.contains("=?") {
        return Ok(HeaderValue::new(name, subject.to_owned()));
    }
    let mut encoded = String::new();
    {
        let mut writer = EmailWriter::new(&mut encoded, "Subject: ".len(), 0, false);
        email_encoding::headers::rfc2047::encode(subject, &mut writer).context("encoding the subject")?;
    }
    Ok(HeaderValue::dangerous_new_pre_encoded(name, subject.to_owned(), encoded))
}
