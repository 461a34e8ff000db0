//! The policy register: the organisation's reviews of its incident policy and its standing
//! duties (the yearly review, policy §8), kept apart from any incident with its own audit chain.
//!
//! Each standing duty runs in cycles. A cycle is an obligation whose clock starts at the last
//! review (`POLICY-ANNUAL-1`, then `POLICY-ANNUAL-2`...); recording a review meets the open cycle
//! and opens the next, so the board keeps every past year as history.

use crate::time::utc_minute;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deadlines::obligation::{Deadlines, Evidence, EvidenceKind, Obligation, ObligationChange, ObligationStatus};
use crate::deadlines::timing::Anchor;
use crate::reference::Reference;
use crate::validation::{ValidationErrors, multi_line};

/// How the register is named on the obligations board and in reminders.
pub const REGISTER_TITLE: &str = "Incident policy";
pub const SUMMARY_MAX: usize = 4_000;
pub const CHANGES_MAX: usize = 4_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRegister {
    pub reference: Reference,
    pub established_at: DateTime<Utc>,
    /// The last review before Tocsin kept the register, from the settings.
    pub reviewed_before: Option<DateTime<Utc>>,
    /// Newest last.
    pub reviews: Vec<PolicyReview>,
    /// Every cycle of every standing duty, oldest first.
    pub obligations: Vec<Obligation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyReview {
    pub reviewed_at: DateTime<Utc>,
    pub by: String,
    /// What was reviewed and what was found.
    pub summary: String,
    /// The changes made, if any.
    pub changes: Option<String>,
    /// Whether the updates were communicated to all stakeholders, as §8 asks.
    pub communicated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PolicyEvent {
    Established { reviewed_before: Option<DateTime<Utc>> },
    Reviewed { review: PolicyReview },
    ObligationsReconciled { changes: Vec<ObligationChange> },
}

/// A review as typed in the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyReviewForm {
    /// When the review was held; now if not given.
    #[serde(default)]
    pub reviewed_at: Option<DateTime<Utc>>,
    pub summary: String,
    #[serde(default)]
    pub changes: String,
    #[serde(default)]
    pub communicated: bool,
    /// The register's version the form was filled against.
    pub expected_version: u64,
}

impl PolicyRegister {
    pub fn establish(
        reference: Reference,
        reviewed_before: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> (Self, PolicyEvent) {
        let register =
            Self { reference, established_at: at, reviewed_before, reviews: Vec::new(), obligations: Vec::new() };
        (register, PolicyEvent::Established { reviewed_before })
    }

    /// When the policy was last reviewed: the latest review, the one before Tocsin, or, failing
    /// both, when the register was set up.
    pub fn last_reviewed_at(&self) -> DateTime<Utc> {
        self.reviews.iter().map(|r| r.reviewed_at).max().or(self.reviewed_before).unwrap_or(self.established_at)
    }

    pub fn apply(&mut self, event: &PolicyEvent, actor: &str) {
        match event {
            PolicyEvent::Established { .. } => {}
            PolicyEvent::Reviewed { review } => {
                let evidence = Evidence { kind: EvidenceKind::Note, value: evidence_of(review), file: None };
                for obligation in self.obligations.iter_mut().filter(|o| o.is_open()) {
                    obligation.status = ObligationStatus::Met {
                        met_at: review.reviewed_at,
                        by: actor.to_owned(),
                        evidence: evidence.clone(),
                    };
                }
                self.reviews.push(review.clone());
            }
            PolicyEvent::ObligationsReconciled { changes } => {
                for change in changes {
                    if let ObligationChange::Opened { obligation } = change {
                        self.obligations.push(obligation.as_ref().clone());
                    }
                }
            }
        }
    }

    /// Checks a review and turns it into the event that records it.
    pub fn review(
        &self,
        form: PolicyReviewForm,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<PolicyEvent, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let summary = errors.collect("summary", multi_line(&form.summary, "Summary", 3, SUMMARY_MAX));
        let changes = errors.collect("changes", multi_line(&form.changes, "Changes", 0, CHANGES_MAX));
        let reviewed_at = form.reviewed_at.unwrap_or(now);
        if reviewed_at > now {
            errors.push("reviewed_at", "The review cannot be in the future");
        } else if reviewed_at < self.last_reviewed_at() {
            let last = utc_minute(self.last_reviewed_at());
            errors.push("reviewed_at", format!("The review cannot come before the last one ({last})"));
        }
        match (summary, changes) {
            (Some(summary), Some(changes)) if errors.is_empty() => Ok(PolicyEvent::Reviewed {
                review: PolicyReview {
                    reviewed_at,
                    by: by.to_owned(),
                    summary,
                    changes: (!changes.is_empty()).then_some(changes),
                    communicated: form.communicated,
                },
            }),
            _ => Err(errors),
        }
    }
}

fn evidence_of(review: &PolicyReview) -> String {
    let first_line = review.summary.lines().next().unwrap_or_default();
    format!("Policy reviewed: {first_line}")
}

pub fn describe(event: &PolicyEvent) -> String {
    match event {
        PolicyEvent::Established { reviewed_before: Some(at) } => {
            format!("Policy register set up; last reviewed {}", at.format("%Y-%m-%d"))
        }
        PolicyEvent::Established { reviewed_before: None } => "Policy register set up".to_owned(),
        PolicyEvent::Reviewed { review } => format!("{} ({})", evidence_of(review), review.by),
        PolicyEvent::ObligationsReconciled { changes } => {
            changes.iter().map(ObligationChange::describe).collect::<Vec<_>>().join("; ")
        }
    }
}

impl Deadlines {
    /// Opens the next cycle of every standing duty in force that has no open cycle, its clock
    /// starting at the last review.
    pub fn reconcile_register(&self, register: &PolicyRegister, now: DateTime<Utc>) -> Option<PolicyEvent> {
        let anchors = BTreeMap::from([(Anchor::PolicyReviewed, register.last_reviewed_at())]);
        let changes: Vec<ObligationChange> = self
            .rules
            .rules
            .iter()
            .filter(|rule| rule.anchor.is_organisation())
            .filter(|rule| rule.effective_from.is_none_or(|from| now.date_naive() >= from))
            .filter_map(|rule| {
                let cycles = register.obligations.iter().filter(|o| o.rule.id == rule.id);
                if cycles.clone().any(Obligation::is_open) {
                    return None;
                }
                Some(self.opened(format!("{}-{}", rule.id, cycles.count() + 1), rule, &anchors, now))
            })
            .collect();
        (!changes.is_empty()).then_some(PolicyEvent::ObligationsReconciled { changes })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::deadlines::calendar::Calendars;
    use crate::deadlines::rules::{EntityRole, Organisation, RuleSet, RulesFile};
    use crate::reference::ReferenceKind;

    fn deadlines() -> Deadlines {
        let file: RulesFile = toml::from_str(crate::deadlines::rules::BUILT_IN_RULES).unwrap();
        let calendars = Calendars::built_in();
        let rules = RuleSet::from_files(&[file], &calendars).unwrap();
        let organisation = Organisation { roles: vec![EntityRole::Controller], calendar: "us-federal".into() };
        Deadlines { rules, calendars, organisation }
    }

    fn day(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, 12, 0, 0).unwrap()
    }

    fn reconciled(deadlines: &Deadlines, register: &mut PolicyRegister, now: DateTime<Utc>) {
        if let Some(event) = deadlines.reconcile_register(register, now) {
            register.apply(&event, "tocsin");
        }
        assert_eq!(deadlines.reconcile_register(register, now), None, "reconciling twice changes nothing");
    }

    fn form(summary: &str, reviewed_at: Option<DateTime<Utc>>) -> PolicyReviewForm {
        PolicyReviewForm {
            reviewed_at,
            summary: summary.into(),
            changes: String::new(),
            communicated: true,
            expected_version: 0,
        }
    }

    #[test]
    fn each_review_meets_the_open_year_and_opens_the_next() {
        let deadlines = deadlines();
        let reference = Reference::new(ReferenceKind::Policy, 2026, 1);
        let (mut register, _) = PolicyRegister::establish(reference, Some(day(2026, 2, 28)), day(2026, 11, 23));
        reconciled(&deadlines, &mut register, day(2026, 11, 23));
        let first = &register.obligations[0];
        let end_of_day = |d: DateTime<Utc>| d + chrono::Duration::seconds(11 * 3600 + 59 * 60 + 59);
        assert_eq!(first.id, "POLICY-ANNUAL-1");
        assert_eq!(first.due_at, Some(end_of_day(day(2027, 2, 28))), "a year after the last review");

        let event =
            register.review(form("Sections 4 to 8 read; contacts updated", None), "Tyler", day(2027, 2, 1)).unwrap();
        register.apply(&event, "Tyler");
        reconciled(&deadlines, &mut register, day(2027, 2, 1));
        assert!(
            matches!(register.obligations[0].status, ObligationStatus::Met { met_at, .. } if met_at == day(2027, 2, 1))
        );
        let second = &register.obligations[1];
        assert_eq!(second.id, "POLICY-ANNUAL-2");
        assert_eq!(second.due_at, Some(end_of_day(day(2028, 2, 1))));
        assert!(second.is_open());
    }

    #[test]
    fn a_review_needs_a_summary_and_a_time_in_order() {
        let reference = Reference::new(ReferenceKind::Policy, 2026, 1);
        let (register, _) = PolicyRegister::establish(reference, Some(day(2026, 6, 1)), day(2026, 11, 23));
        let now = day(2026, 11, 23);
        let errors = register.review(form("  ", None), "Tyler", now).unwrap_err();
        assert!(errors.for_field("summary").is_some());
        let errors = register.review(form("Read it all", Some(day(2026, 12, 1))), "Tyler", now).unwrap_err();
        assert_eq!(errors.for_field("reviewed_at"), Some("The review cannot be in the future"));
        let errors = register.review(form("Read it all", Some(day(2026, 5, 1))), "Tyler", now).unwrap_err();
        assert!(errors.for_field("reviewed_at").unwrap().starts_with("The review cannot come before the last one"));
        assert!(register.review(form("Read it all", Some(day(2026, 7, 1))), "Tyler", now).is_ok());
    }
}
