//! The post-incident review (policy 4.5): findings, root cause, what worked and what did not,
//! follow-up actions with owners and due dates, and the procedure updates it leads to.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::{ValidationErrors, multi_line, single_line};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpAction {
    pub action: String,
    pub owner: String,
    pub due_on: NaiveDate,
}

/// The saved draft, and when and by whom it was completed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Review {
    #[serde(flatten)]
    pub draft: ReviewDraft,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<String>,
}

impl Review {
    pub fn is_complete(&self) -> bool {
        self.completed_at.is_some()
    }

    /// What is still missing before the review can be marked complete.
    pub fn missing(&self) -> Vec<&'static str> {
        let d = &self.draft;
        [
            (d.findings.is_empty(), "findings"),
            (d.root_cause.is_empty(), "root cause"),
            (d.what_worked.is_empty(), "what worked"),
            (d.what_did_not.is_empty(), "what did not work"),
            (d.procedure_updates.is_empty(), "procedure updates (write \"none needed\" if so)"),
        ]
        .into_iter()
        .filter_map(|(missing, name)| missing.then_some(name))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpActionForm {
    pub action: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
}

/// The review as typed. Every text may be left empty while the review is a draft.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewForm {
    pub findings: String,
    pub root_cause: String,
    pub what_worked: String,
    pub what_did_not: String,
    pub follow_up_actions: Vec<FollowUpActionForm>,
    pub procedure_updates: String,
}

pub const REVIEW_TEXT_MAX: usize = 20_000;

/// The parsed draft: every text trimmed, every follow-up action complete.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewDraft {
    pub findings: String,
    pub root_cause: String,
    pub what_worked: String,
    pub what_did_not: String,
    pub follow_up_actions: Vec<FollowUpAction>,
    pub procedure_updates: String,
}

impl ReviewForm {
    pub fn parse(&self) -> Result<ReviewDraft, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut text = |field: &str, label: &str, raw: &str| {
            if raw.trim().is_empty() {
                return String::new();
            }
            errors.collect(field, multi_line(raw, label, 1, REVIEW_TEXT_MAX)).unwrap_or_default()
        };
        let findings = text("findings", "Findings", &self.findings);
        let root_cause = text("root_cause", "Root cause", &self.root_cause);
        let what_worked = text("what_worked", "What worked", &self.what_worked);
        let what_did_not = text("what_did_not", "What did not work", &self.what_did_not);
        let procedure_updates = text("procedure_updates", "Procedure updates", &self.procedure_updates);
        let mut follow_up_actions = Vec::new();
        for (index, form) in self.follow_up_actions.iter().enumerate() {
            let field = format!("follow_up_actions.{index}");
            let action = errors.collect(&field, single_line(&form.action, "Follow-up action", 3, 500));
            let owner = errors.collect(&field, super::roles::parse_person(&form.owner, "Follow-up owner"));
            let due_on = errors.collect(
                &field,
                NaiveDate::parse_from_str(form.due_on.trim(), "%Y-%m-%d")
                    .map_err(|_| "Due date must be a date such as 2026-12-01".to_owned()),
            );
            if let (Some(action), Some(owner), Some(due_on)) = (action, owner, due_on) {
                follow_up_actions.push(FollowUpAction { action, owner, due_on });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ReviewDraft { findings, root_cause, what_worked, what_did_not, follow_up_actions, procedure_updates })
    }
}
