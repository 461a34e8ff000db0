//! What the rules' conditions and clocks read from an incident: its verdict, data, affected
//! people, jurisdictions, severity, risk and clock anchors. `record::effects::facts` fills it in
//! from a record; the engine reads nothing else.

use std::collections::{BTreeMap, BTreeSet};

use crate::people::Population;

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
    /// The people listed as affected, grouped by where they live and which of their data was
    /// involved; empty when no one is listed.
    pub population: Population,
    pub jurisdictions: BTreeSet<String>,
    pub severity: Option<Severity>,
    pub risk: RiskToPeople,
    pub roles: Vec<EntityRole>,
    pub anchors: BTreeMap<Anchor, DateTime<Utc>>,
}

impl Facts {
    /// Affected people in the jurisdictions matching any pattern whose data involved includes one
    /// of `elements` (any data when there are none): counted from the listed people, or the whole
    /// estimate when no one is listed or no listed person says where they live.
    fn affected_in(&self, patterns: &[String], elements: &[String]) -> u64 {
        if patterns.is_empty() {
            return if elements.is_empty() || self.population.is_empty() {
                self.affected_estimate
            } else {
                self.population.count_in(patterns, elements)
            };
        }
        if self.population.by_jurisdiction(&[], &[]).is_empty() {
            return if self.jurisdictions.iter().any(|j| patterns.iter().any(|p| jurisdiction_matches(p, j))) {
                self.affected_estimate
            } else {
                0
            };
        }
        self.population.count_in(patterns, elements)
    }

    /// The most affected people listed in one region (`US-CA`) whose data involved includes one
    /// of `elements`; everyone when no listed person's region is known, so that the duty errs
    /// toward applying.
    fn most_in_one_state(&self, elements: &[String]) -> u64 {
        let by_region = self.population.by_jurisdiction(&[], &[]);
        if !by_region.keys().any(|j| j.contains('-')) {
            return self.affected_estimate;
        }
        let scoped = self.population.by_jurisdiction(&[], elements);
        scoped.into_iter().filter(|(j, _)| j.contains('-')).map(|(_, n)| n).max().unwrap_or(0)
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
        let affected = self.affected_in(&when.jurisdictions, &when.data_categories);
        if !when.data_categories.is_empty() && !self.population.is_empty() && affected == 0 {
            return Some(format!(
                "none of the {} people listed had these data involved{}",
                self.population.total(),
                if when.jurisdictions.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", when.jurisdictions.join(", "))
                }
            ));
        }
        if let Some(min) = when.min_affected
            && affected < min
        {
            return Some(format!("{affected} affected people recorded there, fewer than {min}"));
        }
        if let Some(min) = when.min_affected_in_one_state
            && self.most_in_one_state(&when.data_categories) < min
        {
            return Some(format!(
                "at most {} affected people recorded in any one state, fewer than {min}",
                self.most_in_one_state(&when.data_categories)
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
