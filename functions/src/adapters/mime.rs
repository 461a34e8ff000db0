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

#[cfg(test)]
mod tests {
    use mail_parser::MessageParser;
    use proptest::prelude::*;
    use shared::notifications::parse_address;

    use super::*;

    /// What an accepted address becomes on the way out: lettre builds the `To:` header, and a
    /// strict reader (mail-parser) finds exactly that one address in it.
    fn round_trip(address: &str) -> Option<String> {
        let email = Email {
            to: vec![address.to_owned()],
            subject: "Test".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            tags: vec![],
        };
        let sender: Mailbox = "Tocsin <security@tocsin.example>".parse().unwrap();
        let bytes = build_message(&sender, &email, "m-1@tocsin.example", Utc::now()).ok()?.formatted();
        let parsed = MessageParser::default().parse(&bytes)?;
        let to: Vec<String> = parsed.to()?.iter().filter_map(|a| a.address().map(str::to_owned)).collect();
        (to.len() == 1).then(|| to[0].clone())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        #[test]
        fn every_address_taken_can_be_sent_and_read_back(
            // Half hostile (quotes, brackets, white space, line breaks, non-ASCII), half plain
            // atext, so both refusals and accepted addresses are exercised.
            local in prop_oneof![
                r#"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~"(),:;<>\\\[\] \r\n\tä@-]{1,24}"#,
                r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,24}",
            ],
            domain in r"[a-z0-9.ä\[\]-]{1,16}\.(com|ie|[a-z0-9]{1,3})",
        ) {
            let raw = format!("{local}@{domain}");
            if let Ok(address) = parse_address(&raw) {
                prop_assert_eq!(round_trip(&address), Some(address.clone()), "{:?} was taken", raw);
            }
        }
    }

    #[test]
    fn the_issues_hostile_addresses_are_refused_and_plain_ones_round_trip() {
        for hostile in [
            "\"<script>alert(1)</script>\"@example.com",
            "\"a,b@evil.example\"@example.com",
            "=?utf-8?q?a=0D=0A?=@example.com",
        ] {
            assert!(parse_address(hostile).is_err(), "{hostile}");
        }
        for plain in ["ann@example.com", "o'neil+x@mail.example.co.uk", "a{b}|c~d@example.org"] {
            assert_eq!(round_trip(plain).as_deref(), Some(plain));
        }
    }
}
