//! A suspected-incident report as the public form sends it, and the rules that make it valid.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::address::plain_address;
use crate::validation::{ValidationErrors, multi_line, single_line};

/// A file sent with a ticket, named in the form that it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadedFile {
    pub upload_id: String,
    pub file_name: String,
}

/// The public report form as typed: plain strings, so that a wrong value becomes a field error
/// rather than a malformed-request error. Sent as JSON, or as the `report` part of a multipart body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportForm {
    pub reporter_kind: String,
    pub name: String,
    pub email: String,
    pub description: String,
    pub steps_to_reproduce: String,
    /// RFC 3339 with an offset; empty when the reporter does not know.
    pub observed_at: String,
    pub affected_system: String,
    /// Files already sent straight to storage with upload tickets (AWS mode).
    pub uploads: Vec<UploadedFile>,
    /// From `GET /api/report-ticket` when the form opened: proves a form was filled in, and when.
    pub ticket: String,
    /// A field people never see (hidden from view and from screen readers); bots fill it in.
    pub website: String,
}

pub const NAME_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;
pub const DESCRIPTION_MIN: usize = 10;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const STEPS_MAX: usize = 20_000;
pub const AFFECTED_SYSTEM_MAX: usize = 500;
pub const FOLLOW_UP_MAX: usize = 20_000;
/// Browsers and servers disagree on the time by a little; a report "observed" a few minutes
/// ahead of the server clock is skew, not the future.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// Who is reporting: the policy invites customers, employees and third parties, and anyone may
/// stay anonymous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReporterKind {
    Customer,
    Employee,
    ThirdParty,
    Anonymous,
    /// The report came by email, which does not say who the sender is to us.
    Unstated,
}

impl ReporterKind {
    /// The form's choices; [`ReporterKind::Unstated`] is only for reports that came by email.
    pub const ALL: [ReporterKind; 4] =
        [ReporterKind::Customer, ReporterKind::Employee, ReporterKind::ThirdParty, ReporterKind::Anonymous];

    pub fn as_str(self) -> &'static str {
        match self {
            ReporterKind::Customer => "customer",
            ReporterKind::Employee => "employee",
            ReporterKind::ThirdParty => "third_party",
            ReporterKind::Anonymous => "anonymous",
            ReporterKind::Unstated => "unstated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReporterKind::Customer => "Customer or user of our service",
            ReporterKind::Employee => "Employee",
            ReporterKind::ThirdParty => "Third party (partner, supplier, researcher)",
            ReporterKind::Anonymous => "Anonymous",
            ReporterKind::Unstated => "Not stated (sent by email)",
        }
    }
}

impl FromStr for ReporterKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReporterKind::ALL
            .into_iter()
            .chain([ReporterKind::Unstated])
            .find(|k| k.as_str() == s)
            .ok_or_else(|| "Choose who you are: customer, employee, third party or anonymous".to_owned())
    }
}

/// Where a report stands, as both the team and the reporter see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waiting for the response team to look at it.
    Received,
    /// Linked to an incident the team is working on.
    Triaged,
    /// Looked at and not taken further; the reason is shown to the reporter.
    Dismissed,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 3] = [ReportStatus::Received, ReportStatus::Triaged, ReportStatus::Dismissed];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Received => "received",
            ReportStatus::Triaged => "triaged",
            ReportStatus::Dismissed => "dismissed",
        }
    }

    /// What the reporter reads on the follow-up page.
    pub fn label(self) -> &'static str {
        match self {
            ReportStatus::Received => "Received: waiting for the response team",
            ReportStatus::Triaged => "Under investigation by the response team",
            ReportStatus::Dismissed => "Closed by the response team without further action",
        }
    }
}

impl FromStr for ReportStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportStatus::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown report status {s:?}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterName(String);

impl ReporterName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = single_line(raw, "Your name", 1, NAME_MAX)?;
        if name.contains(['<', '>']) {
            return Err("Your name cannot contain < or >".to_owned());
        }
        Ok(Self(name))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterEmail(String);

impl ReporterEmail {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = single_line(raw, "Your email address", 1, EMAIL_MAX)?;
        plain_address(&text)
            .map(|address| Self(address.to_owned()))
            .ok_or_else(|| "Enter an email address in the format name@example.com".to_owned())
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, String> {
        multi_line(raw, "What happened", DESCRIPTION_MIN, DESCRIPTION_MAX).map(Self)
    }
}

/// Optional free text; an empty field is `None`, never an empty string.
fn optional<T>(raw: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<Option<T>, String> {
    if raw.trim().is_empty() { Ok(None) } else { parse(raw).map(Some) }
}

/// When the reporter saw it: RFC 3339 with an offset (the form converts the browser's local time),
/// not in the future and not before 2000.
pub fn parse_observed_at(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let when = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| "Enter a valid date and time".to_owned())?
        .with_timezone(&Utc);
    if when > now + CLOCK_SKEW {
        return Err("When you noticed it cannot be in the future".to_owned());
    }
    if when < Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap() {
        return Err("When you noticed it must be after the year 2000".to_owned());
    }
    Ok(when)
}

/// A report that passed every rule. Built only by [`NewReport::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub reporter_kind: ReporterKind,
    pub name: Option<String>,
    pub email: Option<String>,
    pub description: String,
    pub steps_to_reproduce: Option<String>,
    pub observed_at: Option<DateTime<Utc>>,
    pub affected_system: Option<String>,
}

impl NewReport {
    /// Checks every field and reports all failures together, in form order.
    pub fn parse(form: &ReportForm, now: DateTime<Utc>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let kind = errors.collect("reporter_kind", form.reporter_kind.parse::<ReporterKind>());
        let identified = kind != Some(ReporterKind::Anonymous);
        let name = errors.collect(
            "name",
            if identified {
                ReporterName::parse(&form.name).map(Some)
            } else {
                optional(&form.name, ReporterName::parse)
            },
        );
        let email = errors.collect(
            "email",
            if identified {
                ReporterEmail::parse(&form.email).map(Some)
            } else {
                optional(&form.email, ReporterEmail::parse)
            },
        );
        let description = errors.collect("description", Description::parse(&form.description));
        let steps = errors.collect(
            "steps_to_reproduce",
            optional(&form.steps_to_reproduce, |raw| multi_line(raw, "Steps to reproduce", 1, STEPS_MAX)),
        );
        let observed_at = errors.collect("observed_at", optional(&form.observed_at, |raw| parse_observed_at(raw, now)));
        let affected_system = errors.collect(
            "affected_system",
            optional(&form.affected_system, |raw| {
                single_line(raw, "Affected system or account", 1, AFFECTED_SYSTEM_MAX)
            }),
        );
        match (kind, name, email, description, steps, observed_at, affected_system) {
            (
                Some(reporter_kind),
                Some(name),
                Some(email),
                Some(description),
                Some(steps),
                Some(observed_at),
                Some(affected_system),
            ) if errors.is_empty() => Ok(NewReport {
                reporter_kind,
                name: name.map(|n| n.0),
                email: email.map(|e| e.0),
                description: description.0,
                steps_to_reproduce: steps,
                observed_at,
                affected_system,
            }),
            _ => Err(errors),
        }
    }
}

/// More information a reporter adds through the follow-up link. Text is optional when files come with it.
pub fn parse_follow_up_message(raw: &str, has_files: bool) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        return if has_files { Ok(None) } else { Err("Add a message or at least one file".to_owned()) };
    }
    multi_line(raw, "Your message", 1, FOLLOW_UP_MAX).map(Some)
}

pub const HEADLINE_MAX: usize = 120;

/// The description's first non-empty line, shortened for lists and email subjects.
pub fn headline(description: &str) -> String {
    let line = description.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    if line.chars().count() <= HEADLINE_MAX {
        return line.to_owned();
    }
    let mut short: String = line.chars().take(HEADLINE_MAX - 1).collect();
    short.push('…');
    short
}

impl fmt::Display for ReporterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn valid_form() -> ReportForm {
        ReportForm {
            reporter_kind: "customer".into(),
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            description: "I received a password reset I never asked for.".into(),
            steps_to_reproduce: String::new(),
            observed_at: "2026-11-23T10:00:00+01:00".into(),
            affected_system: "my account ada@example.com".into(),
            ..ReportForm::default()
        }
    }

    fn field_errors(form: &ReportForm) -> Vec<String> {
        NewReport::parse(form, now()).unwrap_err().0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_complete_form_parses() {
        let report = NewReport::parse(&valid_form(), now()).unwrap();
        assert_eq!(report.reporter_kind, ReporterKind::Customer);
        assert_eq!(report.observed_at, Some(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()));
        assert_eq!(report.steps_to_reproduce, None);
    }

    #[test]
    fn identified_reporters_need_name_and_email() {
        let form = ReportForm { name: " ".into(), email: String::new(), ..valid_form() };
        assert_eq!(field_errors(&form), ["name", "email"]);
    }

    #[test]
    fn anonymous_reporters_may_leave_name_and_email_empty_but_not_invalid() {
        let form =
            ReportForm { reporter_kind: "anonymous".into(), name: String::new(), email: String::new(), ..valid_form() };
        let report = NewReport::parse(&form, now()).unwrap();
        assert_eq!((report.name, report.email), (None, None));
        let form = ReportForm { reporter_kind: "anonymous".into(), email: "not-an-address".into(), ..valid_form() };
        assert_eq!(field_errors(&form), ["email"]);
    }

    #[test]
    fn email_syntax_is_checked() {
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "Ada <ada@example.com>",
            "ada@[127.0.0.1]",
            "a b@example.com",
        ] {
            let form = ReportForm { email: bad.into(), ..valid_form() };
            assert_eq!(field_errors(&form), ["email"], "{bad} should be refused");
        }
    }

    #[test]
    fn unknown_reporter_kind_is_a_field_error() {
        let form = ReportForm { reporter_kind: "alien".into(), ..valid_form() };
        assert_eq!(field_errors(&form), ["reporter_kind"]);
    }

    #[test]
    fn observed_at_cannot_be_in_the_future_or_malformed() {
        let form = ReportForm { observed_at: "2026-11-23T12:10:00Z".into(), ..valid_form() };
        assert_eq!(field_errors(&form), ["observed_at"]);
        let form = ReportForm { observed_at: "2026-11-23T12:04:00Z".into(), ..valid_form() };
        assert!(NewReport::parse(&form, now()).is_ok(), "within clock skew");
        let form = ReportForm { observed_at: "yesterday".into(), ..valid_form() };
        assert_eq!(field_errors(&form), ["observed_at"]);
    }

    #[test]
    fn description_has_bounds() {
        let form = ReportForm { description: "short".into(), ..valid_form() };
        assert_eq!(field_errors(&form), ["description"]);
        let form = ReportForm { description: "x".repeat(DESCRIPTION_MAX + 1), ..valid_form() };
        assert_eq!(field_errors(&form), ["description"]);
    }

    #[test]
    fn html_in_names_is_refused_but_kept_as_text_in_descriptions() {
        let form = ReportForm { name: "<script>alert(1)</script>".into(), ..valid_form() };
        assert_eq!(field_errors(&form), ["name"]);
        let xss_report = "Stored XSS: <script>alert(document.cookie)</script> in the profile page";
        let form = ReportForm { description: xss_report.into(), ..valid_form() };
        assert_eq!(NewReport::parse(&form, now()).unwrap().description, xss_report);
    }

    #[test]
    fn follow_up_needs_text_or_files() {
        assert!(parse_follow_up_message("  ", false).is_err());
        assert_eq!(parse_follow_up_message("  ", true), Ok(None));
        assert_eq!(parse_follow_up_message(" more ", false), Ok(Some("more".into())));
    }

    #[test]
    fn headline_is_the_first_line_shortened() {
        assert_eq!(headline("\n  First line \nsecond"), "First line");
        let long = headline(&"y".repeat(500));
        assert_eq!(long.chars().count(), HEADLINE_MAX);
        assert!(long.ends_with('…'));
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_errors_name_real_fields(
            kind in ".{0,12}", name in ".{0,40}", email in ".{0,40}", description in ".{0,60}", observed in ".{0,30}"
        ) {
            let form = ReportForm { reporter_kind: kind, name, email, description, observed_at: observed, ..valid_form() };
            if let Err(errors) = NewReport::parse(&form, now()) {
                prop_assert!(!errors.is_empty());
                for e in errors.0 {
                    prop_assert!(["reporter_kind", "name", "email", "description", "observed_at"].contains(&e.field.as_str()));
                }
            }
        }
    }
}
