//! Email content from templates. HTML parts are autoescaped (reporters' text can hold markup), text
//! parts are not.

use minijinja::Environment;
use serde::Serialize;

use crate::ports::Email;

pub struct EmailTemplates {
    env: Environment<'static>,
}

#[derive(Serialize)]
pub struct ReceiptContext {
    pub name: Option<String>,
    pub reference: String,
    pub received_at: String,
    pub follow_up_url: String,
    pub headline: String,
    pub sender_name: String,
}

impl EmailTemplates {
    pub fn new() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        // Autoescaping follows the template name: `.html` escapes, `.txt` does not.
        env.add_template("receipt.txt", include_str!("../../templates/email/receipt.txt"))?;
        env.add_template("receipt.html", include_str!("../../templates/email/receipt.html"))?;
        Ok(Self { env })
    }

    pub fn receipt(&self, to: String, context: &ReceiptContext) -> anyhow::Result<Email> {
        Ok(Email {
            to: vec![to],
            subject: format!("We received your security report {}", context.reference),
            text: self.env.get_template("receipt.txt")?.render(context)?,
            html: self.env.get_template("receipt.html")?.render(context)?,
            tags: vec![("kind".to_owned(), "receipt".to_owned()), ("report".to_owned(), context.reference.clone())],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_part_escapes_reporter_text_and_text_part_keeps_it() {
        let templates = EmailTemplates::new().unwrap();
        let context = ReceiptContext {
            name: Some("Ada".into()),
            reference: "TOC-2026-000001".into(),
            received_at: "2026-11-23 10:00".into(),
            follow_up_url: "http://127.0.0.1:3000/follow-up#abc".into(),
            headline: "<script>alert(1)</script>".into(),
            sender_name: "Security team".into(),
        };
        let email = templates.receipt("ada@example.com".into(), &context).unwrap();
        assert!(email.html.contains("&lt;script&gt;alert(1)&lt;"));
        assert!(!email.html.contains("<script>"));
        assert!(email.text.contains("<script>alert(1)</script>"));
        assert!(email.text.contains("http://127.0.0.1:3000/follow-up#abc"));
        assert_eq!(email.subject, "We received your security report TOC-2026-000001");
    }
}
