//! What the rules' conditions and clocks read from an incident: its verdict, data, affected
//! people, jurisdictions, severity, risk and clock anchors. `record::effects::facts` fills it in
//! from a record; the engine reads nothing else.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::jurisdiction::jurisdiction_matches;
use super::rules::{Conditions, EntityRole, VerdictKind};
use super::timing::Anchor;
use crate::workflow::classification::{DataCategory, Severity};
use crate::workflow::investigation::RiskToPeople;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub verdict: VerdictKind,
    pub data_categories: BTreeSet<String>,
    pub affected_estimate: u64,
    /// Listed affected accounts by jurisdiction; accounts without one are not in here.
    pub affected_by_jurisdiction: BTreeMap<String, u64>,
    pub jurisdictions: BTreeSet<String>,
    pub severity: Option<Severity>,
    pub risk: RiskToPeople,
    pub roles: Vec<EntityRole>,
    pub anchors: BTreeMap<Anchor, DateTime<Utc>>,
}

impl Facts {
    /// Affected people in the jurisdictions matching any pattern: counted from the listed
    /// accounts, or the whole estimate when no listed account says where it lives.
    fn affected_in(&self, patterns: &[String]) -> u64 {
        if patterns.is_empty() {
            return self.affected_estimate;
        }
        if self.affected_by_jurisdiction.is_empty() {
            return if self.jurisdictions.iter().any(|j| patterns.iter().any(|p| jurisdiction_matches(p, j))) {
                self.affected_estimate
            } else {
                0
            };
        }
        self.affected_by_jurisdiction
            .iter()
            .filter(|(j, _)| patterns.iter().any(|p| jurisdiction_matches(p, j)))
            .map(|(_, n)| n)
            .sum()
    }

    /// The most affected people recorded in one region (`US-CA`); everyone when the record does
    /// not say where they live, so that the duty errs toward applying.
    fn most_in_one_state(&self) -> u64 {
        let by_region = self.affected_by_jurisdiction.iter().filter(|(j, _)| j.contains('-')).map(|(_, n)| *n);
        by_region.max().unwrap_or(self.affected_estimate)
    }

    /// The first condition that does not hold, in words; `None` when the rule applies.
    pub fn unmet(&self, when: &Conditions) -> Option<String> {
        if !when.verdict.is_empty() && !when.verdict.contains(&self.verdict) {
            return Some(match self.verdict {
                VerdictKind::NotABreach => "the verdict is \"not a breach\"".to_owned(),
                VerdictKind::Suspected => "the breach is not confirmed".to_owned(),
                VerdictKind::Confirmed => "it applies only before a breach is confirmed".to_owned(),
            });
        }
        if !when.data_categories.is_empty() && !when.data_categories.iter().any(|c| self.data_categories.contains(c)) {
            let names: Vec<String> = when
                .data_categories
                .iter()
                .map(|c| DataCategory::parse(c).map(|c| c.label()).unwrap_or(c.clone()))
                .collect();
            return Some(format!("none of these data categories is involved: {}", names.join(", ")));
        }
        if when.personal_data
            && !self.data_categories.iter().any(|c| DataCategory::parse(c).is_ok_and(|c| c.is_personal()))
        {
            return Some("no personal data is recorded as involved".to_owned());
        }
        if when.customer_impact && self.affected_estimate == 0 {
            return Some("no affected customers are recorded".to_owned());
        }
        if !when.jurisdictions.is_empty()
            && !self.jurisdictions.iter().any(|j| when.jurisdictions.iter().any(|p| jurisdiction_matches(p, j)))
        {
            return Some(format!("no affected people are recorded in {}", when.jurisdictions.join(", ")));
        }
        let affected = self.affected_in(&when.jurisdictions);
        if let Some(min) = when.min_affected
            && affected < min
        {
            return Some(format!("{affected} affected people recorded there, fewer than {min}"));
        }
        if let Some(min) = when.min_affected_in_one_state
            && self.most_in_one_state() < min
        {
            return Some(format!(
                "at most {} affected people recorded in any one state, fewer than {min}",
                self.most_in_one_state()
            ));
        }
        if let Some(max) = when.max_affected_below
            && affected >= max
        {
            return Some(format!("{affected} affected people recorded there, {max} or more"));
        }
        if !when.roles.is_empty() && !when.roles.iter().any(|r| self.roles.contains(r)) {
            return Some(
                "the organisation's roles in the settings do not include the role this duty falls on".to_owned(),
            );
        }
        // Severity runs from critical (first) to low (last).
        if let Some(min) = when.min_severity
            && self.severity.is_none_or(|s| s > min)
        {
            return Some(format!("the severity is below {}", min.label().to_lowercase()));
        }
        if let Some(min) = when.min_risk
            && !self.risk.reaches(min)
        {
            return Some(format!("the risk to people is assessed as \"{}\"", self.risk.label().to_lowercase()));
        }
        None
    }
}
