//! The one way Tocsin turns an [`Email`] into an RFC 5322 message: the outbox writes it to a file,
//! SES sends it raw, so both carry the same text and HTML parts.

use anyhow::Context;
use chrono::{DateTime, Utc};
use lettre::Message;
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
        .subject(&email.subject)
        .date(date.into())
        .message_id(Some(format!("<{message_id}>")));
    for to in &email.to {
        builder = builder.to(to.parse().with_context(|| format!("invalid recipient {to:?}"))?);
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))?)
}
