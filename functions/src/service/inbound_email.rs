//! A raw email (as SES stores it, or an `.eml` file) read into what a report needs, with
//! mail-parser: every charset and encoded word decoded, HTML-only mail turned into text (the
//! markup is never kept), each attachment and inline image as a named file. Nothing here decides
//! what is accepted: the intake checks the files as it checks the form's.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};
use shared::attachment::display_file_name;
use shared::inbound::{AuthVerdict, EmailAuthentication};
use shared::reference::{Reference, ReferenceKind};

/// SES receiving takes messages up to 40 MB; a larger `.eml` is refused the same way.
pub const MAX_MESSAGE_BYTES: usize = 40 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEmail {
    /// The same message delivered twice has the same key: its `Message-ID`, or a digest of the
    /// whole message when it has none.
    pub key: String,
    pub sender: Option<Sender>,
    pub subject: String,
    /// The text body; for HTML-only mail, the HTML's text.
    pub body: String,
    /// The message ids it answers (`In-Reply-To`, then `References`).
    pub answers: Vec<String>,
    /// A report reference in the subject, as a reply to a receipt keeps it.
    pub reference: Option<Reference>,
    pub files: Vec<InboundFile>,
    /// From an `Authentication-Results` header of the trusted receiving server, if any.
    pub authentication: EmailAuthentication,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// Lower-cased.
    pub address: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    #[error("the message is {bytes} bytes, over the {MAX_MESSAGE_BYTES}-byte limit")]
    TooLarge { bytes: usize },
    #[error("this is not an email message (it has no From, Subject, Date or Message-ID)")]
    NotAMessage,
}

/// Reads `raw`. `trusted_authserv_id` names the receiving server whose `Authentication-Results`
/// are believed (RFC 8601 section 5: anyone can write such a header into a message); without
/// it, or without its header, the verdicts stay "not checked".
pub fn read(raw: &[u8], trusted_authserv_id: Option<&str>) -> Result<InboundEmail, Unreadable> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(Unreadable::TooLarge { bytes: raw.len() });
    }
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| m.from().is_some() || m.subject().is_some() || m.date().is_some() || m.message_id().is_some())
        .ok_or(Unreadable::NotAMessage)?;
    let key = match message.message_id() {
        Some(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => format!("sha256:{:x}", Sha256::digest(raw)),
    };
    let sender = message.from().and_then(|from| from.first()).and_then(|addr| {
        let address = addr.address()?.trim().to_lowercase();
        let name = addr.name().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        address.contains('@').then_some(Sender { address, name })
    });
    let subject = message.subject().unwrap_or_default().trim().to_owned();
    let body = message.body_text(0).map(|text| text.replace("\r\n", "\n").trim().to_owned()).unwrap_or_default();
    let mut answers = ids(message.in_reply_to());
    answers.extend(ids(message.references()).into_iter().filter(|id| !answers.contains(id)).collect::<Vec<_>>());
    let files = message
        .attachments()
        .enumerate()
        .map(|(n, part)| {
            let file_name = match part.attachment_name() {
                Some(name) => display_file_name(name),
                None => unnamed(n + 1, part.content_type().map(|t| (t.ctype(), t.subtype().unwrap_or_default()))),
            };
            InboundFile { file_name, bytes: part.contents().to_vec() }
        })
        .collect();
    let authentication = trusted_authserv_id
        .and_then(|server| {
            message
                .header_values("Authentication-Results")
                .filter_map(HeaderValue::as_text)
                .find_map(|results| authentication_results(results, server))
        })
        .unwrap_or_default();
    Ok(InboundEmail {
        key,
        sender,
        reference: report_reference(&subject),
        subject,
        body,
        answers,
        files,
        authentication,
    })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    value.as_text_list().unwrap_or_default().iter().map(|id| id.trim().to_owned()).filter(|id| !id.is_empty()).collect()
}

/// A name for a part that has none (an inline screenshot, say), from its type.
fn unnamed(n: usize, content_type: Option<(&str, &str)>) -> String {
    let extension = match content_type {
        Some(("image", "png")) => "png",
        Some(("image", "jpeg" | "jpg")) => "jpg",
        Some(("image", "webp")) => "webp",
        Some(("application", "pdf")) => "pdf",
        Some(("text", "plain")) => "txt",
        Some(("text", "html")) => "html",
        Some(("message", "rfc822")) => "eml",
        _ => "bin",
    };
    format!("attachment-{n}.{extension}")
}

/// The first report reference (`TOC-2026-000123`) in `subject`.
pub fn report_reference(subject: &str) -> Option<Reference> {
    subject
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter_map(|word| word.parse::<Reference>().ok())
        .find(|reference| reference.kind == ReferenceKind::Report)
}

/// The SPF, DKIM and DMARC results of one `Authentication-Results` value, if `server` wrote it.
fn authentication_results(value: &str, server: &str) -> Option<EmailAuthentication> {
    let mut clauses = value.split(';');
    let authserv_id = clauses.next()?.split_whitespace().next()?;
    if !authserv_id.eq_ignore_ascii_case(server) {
        return None;
    }
    let mut authentication = EmailAuthentication::default();
    for clause in clauses {
        let Some((method, result)) = clause.split_whitespace().next().and_then(|r| r.split_once('=')) else {
            continue;
        };
        let verdict = AuthVerdict::from_result(result);
        match method.to_ascii_lowercase().as_str() {
            "spf" => authentication.spf = verdict,
            "dkim" if authentication.dkim != AuthVerdict::Pass => authentication.dkim = verdict,
            "dmarc" => authentication.dmarc = verdict,
            _ => {}
        }
    }
    Some(authentication)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(name: &str) -> InboundEmail {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inbound").join(name);
        read(&std::fs::read(path).unwrap(), Some("mx.corp.example")).unwrap()
    }

    fn names(email: &InboundEmail) -> Vec<&str> {
        email.files.iter().map(|f| f.file_name.as_str()).collect()
    }

    #[test]
    fn plain_text() {
        let email = corpus("plain.eml");
        assert_eq!(email.key, "plain-1@mail.example.com");
        assert_eq!(email.sender, Some(Sender { address: "ann@example.com".into(), name: Some("Ann Example".into()) }));
        assert_eq!(email.subject, "Someone logged into my account from Brazil");
        assert!(email.body.starts_with("Hello,\n\nI got an alert"), "{}", email.body);
        assert!(email.files.is_empty() && email.answers.is_empty() && email.reference.is_none());
        assert_eq!(email.authentication, EmailAuthentication::default(), "no header, nothing checked");
    }

    #[test]
    fn html_only_becomes_text_without_markup_or_script() {
        let email = corpus("html-only.eml");
        assert!(email.body.contains("The invoice portal shows other customers' invoices"), "{}", email.body);
        assert!(email.body.contains("open /invoices/1001"), "{}", email.body);
        for markup in ["<", "alert(", "color:red"] {
            assert!(!email.body.contains(markup), "{markup} in {:?}", email.body);
        }
    }

    #[test]
    fn an_inline_screenshot_is_a_file() {
        let email = corpus("inline-image.eml");
        assert_eq!(email.body, "A phishing page copies our sign-in page, see the screenshot.");
        assert_eq!(names(&email), ["attachment-1.png"]);
        assert!(email.files[0].bytes.starts_with(b"\x89PNG"));
    }

    #[test]
    fn every_attachment_is_read_allowed_or_not() {
        let email = corpus("attachments.eml");
        assert_eq!(email.body, "Logs and the page I was sent are attached.");
        assert_eq!(names(&email), ["auth.log", "report.pdf", "login-page.html", "invoice.exe"]);
        assert!(email.files[1].bytes.starts_with(b"%PDF-1.4"));
    }

    #[test]
    fn legacy_charsets_and_encoded_words() {
        let email = corpus("latin1.eml");
        assert_eq!(email.subject, "Problème de paiement très urgent");
        assert_eq!(email.sender.unwrap().name.as_deref(), Some("Élodie Martin"));
        assert!(email.body.contains("après la saisie de la carte. Problème depuis ce matin."), "{}", email.body);

        let email = corpus("shift-jis-no-message-id.eml");
        assert_eq!(email.subject, "不審なメール");
        assert_eq!(email.body, "不審なメールが届きました。リンクをクリックしてしまいました。");
        assert!(email.key.starts_with("sha256:"), "no Message-ID: keyed by content, {}", email.key);
    }

    #[test]
    fn a_reply_names_the_receipt_and_the_report() {
        let email = corpus("reply.eml");
        assert_eq!(email.answers, ["receipt-TOC-2026-000001@tocsin.localhost"]);
        assert_eq!(email.reference.map(|r| r.to_string()).as_deref(), Some("TOC-2026-000001"));
    }

    #[test]
    fn verdicts_come_only_from_the_trusted_server() {
        let raw =
            std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inbound/latin1.eml"))
                .unwrap();
        let trusted = read(&raw, Some("mx.corp.example")).unwrap().authentication;
        assert_eq!(
            trusted,
            EmailAuthentication { spf: AuthVerdict::Pass, dkim: AuthVerdict::Fail, dmarc: AuthVerdict::Fail }
        );
        assert!(!trusted.sender_verified());
        for server in [None, Some("mx.elsewhere.example")] {
            assert_eq!(read(&raw, server).unwrap().authentication, EmailAuthentication::default());
        }
    }

    #[test]
    fn what_is_not_a_message_or_too_large_is_refused_with_the_reason() {
        assert_eq!(read(b"", None), Err(Unreadable::NotAMessage));
        assert_eq!(read(b"\x00\x01binary", None), Err(Unreadable::NotAMessage));
        let huge = vec![b'a'; MAX_MESSAGE_BYTES + 1];
        assert_eq!(read(&huge, None), Err(Unreadable::TooLarge { bytes: MAX_MESSAGE_BYTES + 1 }));
    }

    #[test]
    fn references_in_subjects() {
        let found = |s: &str| report_reference(s).map(|r| r.to_string());
        assert_eq!(found("Re: [TOC-2026-000042] more logs"), Some("TOC-2026-000042".into()));
        assert_eq!(found("Re: INC-2026-000001 and toc-2026-000007"), Some("TOC-2026-000007".into()));
        assert_eq!(found("Invoice 2026-000042"), None);
    }
}
