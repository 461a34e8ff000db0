//! Notification duties as data: each rule names the clock that starts it, its deadline, when it
//! applies, whom to tell and what to say. The built-in file is `shared/rules/deadlines.toml`.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::calendar::{Calendars, parse_timezone};
use super::jurisdiction::jurisdiction_pattern_ok;
use super::timing::{Anchor, Cap, Deadline};
use crate::data_elements::element;
use crate::workflow::classification::Severity;
use crate::workflow::investigation::RiskToPeople;

/// The rules shipped with Tocsin.
pub const BUILT_IN_RULES: &str = include_str!("../../rules/deadlines.toml");

/// The calendar id a rule uses for "our own business days"; the operator's settings name it.
pub const ORGANISATION_CALENDAR: &str = "organisation";

/// Who must be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// IT and management inside the organisation.
    Internal,
    Customers,
    DataSubjects,
    Regulator,
    /// The controller or covered entity we process data for.
    Controller,
    Media,
    CreditAgencies,
    /// Others who can reduce the harm (PIPEDA s.10.2), or the public.
    OtherOrganisations,
    /// The organisation itself: a review, an assessment or a record to keep.
    Organisation,
}

impl Audience {
    pub fn label(self) -> &'static str {
        match self {
            Audience::Internal => "IT and management",
            Audience::Customers => "Customers",
            Audience::DataSubjects => "Affected individuals",
            Audience::Regulator => "Regulator",
            Audience::Controller => "The controller (our customer)",
            Audience::Media => "Media",
            Audience::CreditAgencies => "Consumer reporting agencies",
            Audience::OtherOrganisations => "Other organisations",
            Audience::Organisation => "Ourselves (review or record)",
        }
    }
}

/// What the organisation is, which decides the duties that fall on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityRole {
    /// Decides why and how personal data is processed (GDPR controller, US "owner or licensor").
    Controller,
    /// Processes personal data for customers (GDPR processor, US "maintainer", data intermediary).
    Processor,
    /// HIPAA covered entity.
    CoveredEntity,
    /// HIPAA business associate.
    BusinessAssociate,
    /// NIS2 essential or important entity.
    Nis2Entity,
    /// DORA financial entity.
    FinancialEntity,
    /// SEC registrant (Form 8-K filer).
    SecRegistrant,
}

/// Conditions under which a rule applies. Every condition given must hold; lists mean "any of".
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Conditions {
    /// Breach verdicts: `suspected`, `confirmed`, `not_a_breach`. Empty means any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verdict: Vec<VerdictKind>,
    /// Data categories (slugs), any of which must be involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_categories: Vec<String>,
    /// Personal data must be involved: any data category other than business-critical data.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub personal_data: bool,
    /// Customers must be affected: affected accounts listed or estimated above zero.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub customer_impact: bool,
    /// Where affected people live, any of: `GB`, `US-CA`, `US` (any state), `EU`, `EEA`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jurisdictions: Vec<String>,
    /// At least this many affected people, counted in `jurisdictions` when given.
    pub min_affected: Option<u64>,
    /// Fewer than this many affected people.
    pub max_affected_below: Option<u64>,
    /// At least this many affected people in one state or other region of a country (HIPAA's
    /// media notice: "more than 500 residents of a State or jurisdiction").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_affected_in_one_state: Option<u64>,
    /// The organisation's roles, any of.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<EntityRole>,
    /// The incident's severity is at least this.
    pub min_severity: Option<Severity>,
    /// The assessed risk to people is at least this (an unassessed risk counts as high).
    pub min_risk: Option<RiskToPeople>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    NotABreach,
    Suspected,
    Confirmed,
}

/// A reminder before the due time: at a share of the window, or some hours before.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reminder {
    /// Percent of the window gone: 50 is half-way from the clock's start to the due time.
    pub at_percent: Option<u8>,
    pub hours_before: Option<u32>,
}

/// Who is told when an obligation is overdue, and how long after the due time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub after_hours: u32,
    pub to: EscalationTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    ResponseLead,
    Management,
}

impl EscalationTarget {
    pub fn label(self) -> &'static str {
        match self {
            EscalationTarget::ResponseLead => "response lead",
            EscalationTarget::Management => "management",
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// The article or section the duty comes from.
    pub citation: String,
    pub anchor: Anchor,
    pub deadline: Deadline,
    pub cap: Option<Cap>,
    #[serde(default)]
    pub when: Conditions,
    pub notify: Vec<Audience>,
    /// The authority or party to file with, when there is one (the ICO, the Texas AG).
    pub recipient: Option<String>,
    /// What the notice or filing must contain, as a checklist.
    #[serde(default)]
    pub contents: Vec<String>,
    pub reminders: Option<Vec<Reminder>>,
    pub escalation: Option<Vec<Escalation>>,
    /// The duty starts applying on this date (a law not yet in force).
    pub effective_from: Option<NaiveDate>,
    /// An event of the record that meets the duty by itself.
    pub met_by: Option<MetBy>,
    /// The research's confidence in the rule: `H` or `M`.
    pub confidence: Option<String>,
    pub note: Option<String>,
}

impl Rule {
    /// Whether the duty is to tell people themselves (customers, data subjects), which a customer
    /// notice can meet.
    pub fn tells_individuals(&self) -> bool {
        self.notify.iter().all(|a| matches!(a, Audience::Customers | Audience::DataSubjects))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetBy {
    /// Completing the post-incident review.
    ReviewCompleted,
}

/// Reminders and escalations every rule gets unless it names its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub reminders: Vec<Reminder>,
    pub escalation: Vec<Escalation>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    /// The rules' version, kept on every obligation made from them.
    pub version: String,
    pub defaults: Option<Defaults>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// Checked rules with the defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    pub version: String,
    pub rules: Vec<Rule>,
}

fn check_rule(rule: &Rule, ids: &BTreeSet<&str>, calendars: &Calendars) -> Vec<String> {
    let mut errors = Vec::new();
    let id_ok = !rule.id.is_empty()
        && rule.id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '(' | ')' | '.'));
    if !id_ok {
        errors.push("the id must be letters, digits and - _ ( ) .".to_owned());
    }
    for (field, value) in [("title", &rule.title), ("citation", &rule.citation)] {
        if value.trim().is_empty() {
            errors.push(format!("{field} is empty"));
        }
    }
    // A rule naming data the vocabulary does not know would never arise: a typo, not a choice.
    for category in &rule.when.data_categories {
        if element(category).is_none() {
            errors.push(format!("data category {category:?} is not in the vocabulary (rules/data_elements.toml)"));
        }
    }
    if rule.notify.is_empty() {
        errors.push("notify names nobody".to_owned());
    }
    for anchor in std::iter::once(&rule.anchor).chain(rule.cap.as_ref().map(|c| &c.anchor)) {
        if let Anchor::Met(other) = anchor {
            if other == &rule.id {
                errors.push("a rule cannot start from its own filing".to_owned());
            } else if !ids.contains(other.as_str()) {
                errors.push(format!("anchor met:{other} names no rule"));
            }
        }
    }
    for calendar in rule.deadline.calendar_ids() {
        if calendar != ORGANISATION_CALENDAR && calendars.get(calendar).is_none() {
            let known: Vec<&str> = calendars.ids().collect();
            errors.push(format!(
                "calendar {calendar:?} is unknown (known: {}, {ORGANISATION_CALENDAR})",
                known.join(", ")
            ));
        }
    }
    for jurisdiction in &rule.when.jurisdictions {
        if !jurisdiction_pattern_ok(jurisdiction) {
            errors.push(format!("jurisdiction {jurisdiction:?} is not a code such as DE, US-CA, US, EU or EEA"));
        }
    }
    for reminder in rule.reminders.iter().flatten() {
        errors.extend(check_reminder(reminder));
    }
    if rule.confidence.as_deref().is_some_and(|c| !matches!(c, "H" | "M" | "H/M" | "M/H")) {
        errors.push("confidence must be H, M, H/M or M/H".to_owned());
    }
    if rule.anchor.is_organisation() {
        // A standing duty has no incident whose facts could decide whether it applies.
        if rule.when != Conditions::default() || rule.cap.is_some() || rule.met_by.is_some() {
            errors.push("a rule starting at policy_reviewed takes no conditions, cap or met_by".to_owned());
        }
    } else if rule.cap.as_ref().is_some_and(|c| c.anchor.is_organisation()) {
        errors.push("a cap cannot start at policy_reviewed".to_owned());
    }
    errors
}

fn check_reminder(reminder: &Reminder) -> Option<String> {
    match (reminder.at_percent, reminder.hours_before) {
        (Some(1..=99), None) | (None, Some(_)) => None,
        _ => Some("a reminder needs either at_percent (1 to 99) or hours_before".to_owned()),
    }
}

impl RuleSet {
    /// Checks rule files: the first is the base, later ones add rules or replace rules with the
    /// same id. Every problem is reported, each naming its rule.
    pub fn from_files(files: &[RulesFile], calendars: &Calendars) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        if files.is_empty() {
            return Err(vec!["no rules file".to_owned()]);
        }
        let defaults = files.iter().rev().find_map(|f| f.defaults.clone());
        let mut rules: Vec<Rule> = Vec::new();
        for file in files {
            let mut seen = BTreeSet::new();
            for rule in &file.rules {
                if !seen.insert(rule.id.as_str()) {
                    errors.push(format!("rule {:?}: the id is used twice in one file", rule.id));
                }
                match rules.iter_mut().find(|r| r.id == rule.id) {
                    Some(existing) => *existing = rule.clone(),
                    None => rules.push(rule.clone()),
                }
            }
        }
        match &defaults {
            Some(d) => errors.extend(d.reminders.iter().filter_map(check_reminder).map(|e| format!("defaults: {e}"))),
            None => errors.push("defaults: no file gives the default reminders and escalation".to_owned()),
        }
        let ids: BTreeSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        for rule in &rules {
            errors.extend(check_rule(rule, &ids, calendars).into_iter().map(|e| format!("rule {:?}: {e}", rule.id)));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let defaults = defaults.expect("checked above");
        for rule in &mut rules {
            rule.reminders.get_or_insert_with(|| defaults.reminders.clone());
            rule.escalation.get_or_insert_with(|| defaults.escalation.clone());
        }
        let version = files.iter().map(|f| f.version.as_str()).collect::<Vec<_>>().join("+");
        Ok(Self { version, rules })
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The organisation's own side of the rules: its roles and its business-day calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub roles: Vec<EntityRole>,
    pub calendar: String,
}

pub(super) fn timezone_of(name: &str) -> Tz {
    parse_timezone(name).expect("time zones are checked when rules load")
}

#[cfg(test)]
mod tests;
