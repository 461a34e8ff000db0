//! Email content from templates. HTML parts are autoescaped (reporters' text can hold markup), text
//! parts are not.

use shared::access::TeamRole;
use shared::time::utc_minute;
use std::path::Path;

use anyhow::Context;
use minijinja::Environment;
use serde::Serialize;

use chrono::{DateTime, Utc};
use shared::deadlines::obligation::{Step, StepKind};

use crate::ports::{Email, ObligationRow};

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

/// The built-in templates, compiled in; an operator's file of the same name replaces one.
const BUILT_IN: &[(&str, &str)] = &[
    ("receipt.txt", include_str!("../../templates/email/receipt.txt")),
    ("receipt.html", include_str!("../../templates/email/receipt.html")),
    ("deadline.txt", include_str!("../../templates/email/deadline.txt")),
    ("deadline.html", include_str!("../../templates/email/deadline.html")),
    ("invitation.txt", include_str!("../../templates/email/invitation.txt")),
    ("invitation.html", include_str!("../../templates/email/invitation.html")),
    ("password_reset.txt", include_str!("../../templates/email/password_reset.txt")),
    ("password_reset.html", include_str!("../../templates/email/password_reset.html")),
    ("internal_notification.txt", include_str!("../../templates/email/internal_notification.txt")),
    ("internal_notification.html", include_str!("../../templates/email/internal_notification.html")),
    ("stakeholder_update.txt", include_str!("../../templates/email/stakeholder_update.txt")),
    ("stakeholder_update.html", include_str!("../../templates/email/stakeholder_update.html")),
    ("reporter_update.txt", include_str!("../../templates/email/reporter_update.txt")),
    ("reporter_update.html", include_str!("../../templates/email/reporter_update.html")),
    ("customer_notice.txt", include_str!("../../templates/email/customer_notice.txt")),
    ("customer_notice.html", include_str!("../../templates/email/customer_notice.html")),
    ("new_sign_in.txt", include_str!("../../templates/email/new_sign_in.txt")),
    ("new_sign_in.html", include_str!("../../templates/email/new_sign_in.html")),
];

impl EmailTemplates {
    /// The built-in templates, each replaced by a file of the same name in `overrides` if there is
    /// one. Every template is compiled here, so a broken override stops the start with its name.
    pub fn new(overrides: Option<&Path>) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.add_filter("paragraphs", paragraphs);
        // Autoescaping follows the template name: `.html` escapes, `.txt` does not.
        for (name, built_in) in BUILT_IN {
            let source = match overrides.map(|dir| dir.join(name)).filter(|path| path.is_file()) {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("reading the template {}", path.display()))?,
                None => (*built_in).to_owned(),
            };
            env.add_template_owned(*name, source).with_context(|| format!("the email template {name}"))?;
        }
        Ok(Self { env })
    }

    /// One message from the `<template>.txt` and `<template>.html` pair.
    pub fn render(
        &self,
        template: &str,
        to: &str,
        subject: &str,
        context: &impl Serialize,
        kind: &str,
    ) -> anyhow::Result<Email> {
        Ok(Email {
            to: vec![to.to_owned()],
            subject: subject.to_owned(),
            text: self.env.get_template(&format!("{template}.txt"))?.render(context)?,
            html: self.env.get_template(&format!("{template}.html"))?.render(context)?,
            tags: vec![("kind".to_owned(), kind.to_owned())],
        })
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

/// The blank-line separated paragraphs of a text, for an HTML part: `{% for p in text | paragraphs %}`.
fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// How long until (or since) `due`, in words: "3 h 5 min".
pub fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let minutes = (to - from).num_minutes().abs();
    match (minutes / (24 * 60), minutes / 60 % 24, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

impl EmailTemplates {
    /// A reminder before an obligation's due time, or an escalation after it.
    pub fn deadline_notice(
        &self,
        to: Vec<String>,
        row: &ObligationRow,
        step: &Step,
        now: DateTime<Utc>,
        url: &str,
    ) -> anyhow::Result<Email> {
        let obligation = &row.obligation;
        let due = obligation.due_at.unwrap_or(now);
        let (kind, subject) = match step.kind {
            StepKind::Reminder => {
                ("reminder", format!("Due in {}: {} ({})", span(now, due), obligation.rule.title, row.subject))
            }
            StepKind::Escalation(target) => (
                "escalation",
                format!(
                    "OVERDUE by {}: {} ({}), escalated to {}",
                    span(due, now),
                    obligation.rule.title,
                    row.subject,
                    target.label()
                ),
            ),
        };
        let context = minijinja::context! {
            kind,
            subject,
            incident => row.subject.to_string(),
            incident_title => row.incident_title,
            standing_duty => row.subject.kind == shared::reference::ReferenceKind::Policy,
            response_lead => row.response_lead,
            id => obligation.id,
            title => obligation.rule.title,
            citation => obligation.rule.citation,
            audience => obligation.rule.notify.iter().map(|a| a.label()).collect::<Vec<_>>().join(", "),
            recipient => obligation.rule.recipient,
            due => utc_minute(due),
            contents => obligation.rule.contents,
            url,
        };
        Ok(Email {
            to,
            subject: subject.clone(),
            text: self.env.get_template("deadline.txt")?.render(&context)?,
            html: self.env.get_template("deadline.html")?.render(&context)?,
            tags: vec![
                ("kind".to_owned(), format!("deadline-{kind}")),
                ("incident".to_owned(), row.subject.to_string()),
                ("obligation".to_owned(), obligation.id.clone()),
                ("step".to_owned(), step.key.clone()),
            ],
        })
    }
}

/// The email templates for accounts.
impl EmailTemplates {
    #[allow(clippy::too_many_arguments)]
    pub fn invitation(
        &self,
        to: &str,
        name: &str,
        role: TeamRole,
        invited_by: &str,
        link: &str,
        expires_at: DateTime<Utc>,
        sender_name: &str,
    ) -> anyhow::Result<Email> {
        let context = minijinja::context! {
            name, role => role.label(), invited_by, link, sender_name,
            expires_at => utc_minute(expires_at),
        };
        self.render(
            "invitation",
            to,
            "You are invited to Tocsin, the incident response dashboard",
            &context,
            "invitation",
        )
    }

    pub fn password_reset(
        &self,
        to: &str,
        name: &str,
        link: &str,
        expires_at: DateTime<Utc>,
        sender_name: &str,
    ) -> anyhow::Result<Email> {
        let context = minijinja::context! {
            name, link, sender_name, expires_at => utc_minute(expires_at),
        };
        self.render("password_reset", to, "Reset your Tocsin password", &context, "password_reset")
    }

    /// Tells an account's owner of a sign-in from a browser it had not been used from.
    pub fn new_sign_in(
        &self,
        to: &str,
        name: &str,
        address: &str,
        at: DateTime<Utc>,
        reset_link: &str,
        sender_name: &str,
    ) -> anyhow::Result<Email> {
        let context = minijinja::context! { name, address, at => utc_minute(at), reset_link, sender_name };
        self.render("new_sign_in", to, "New sign-in to your Tocsin account", &context, "new_sign_in")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_part_escapes_reporter_text_and_text_part_keeps_it() {
        let templates = EmailTemplates::new(None).unwrap();
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
