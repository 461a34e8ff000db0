//! The AWS mailer: SES v2 `SendEmail` with the raw MIME message (both parts, as the outbox writes
//! them), the configuration set for event publishing, and tags that name what the email is about.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, MessageTag, RawMessage};
use lettre::message::Mailbox;
use uuid::Uuid;

use super::mime::build_message;
use crate::ports::{Clock, Email, Mailer, SentLookup};

pub struct SesMailer {
    client: Client,
    sender: Mailbox,
    configuration_set: Option<String>,
    clock: Arc<dyn Clock>,
}

impl SesMailer {
    pub fn new(
        client: Client,
        sender: &str,
        configuration_set: Option<String>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let sender = sender.parse().with_context(|| format!("the email sender {sender:?} is not a valid mailbox"))?;
        Ok(Self { client, sender, configuration_set, clock })
    }
}

/// SES tag values allow only letters, digits, `_`, `-`, `.` and `@`.
fn tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@') { c } else { '_' })
        .collect()
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> anyhow::Result<String> {
        let message_id = format!("{}@tocsin", Uuid::now_v7());
        let message = build_message(&self.sender, email, &message_id, self.clock.now())?;
        let raw =
            RawMessage::builder().data(Blob::new(message.formatted())).build().context("building the raw message")?;
        let mut request = self
            .client
            .send_email()
            .from_email_address(self.sender.to_string())
            .destination(Destination::builder().set_to_addresses(Some(email.to.clone())).build())
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone());
        for (name, value) in &email.tags {
            request = request.email_tags(MessageTag::builder().name(tag_value(name)).value(tag_value(value)).build()?);
        }
        let output = request.send().await.context("SES SendEmail")?;
        Ok(output.message_id().unwrap_or(&message_id).to_owned())
    }

    /// SES has no way to look a message up; its Send event (through the mail events function)
    /// settles the delivery instead.
    async fn sent_with_tag(&self, _delivery: &str) -> anyhow::Result<SentLookup> {
        Ok(SentLookup::Unknown)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_values_keep_references_and_replace_the_rest() {
        assert_eq!(super::tag_value("TOC-2026-000001"), "TOC-2026-000001");
        assert_eq!(super::tag_value("a b/c"), "a_b_c");
    }
}
