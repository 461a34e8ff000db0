//! What the rules' conditions and clocks read from an incident: its verdict, data, affected
//! people, jurisdictions, severity, risk and clock anchors.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::obligation::ObligationStatus;
use super::rules::{Anchor, Conditions, EntityRole, VerdictKind};
use crate::workflow::classification::{BreachVerdict, DataCategory, Severity};
use crate::workflow::investigation::RiskToPeople;
use crate::workflow::phase::Phase;
use crate::workflow::record::IncidentRecord;

pub const EU: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];
const EEA_EXTRA: [&str; 3] = ["IS", "LI", "NO"];

/// Checks a jurisdiction pattern of a rule: a country, a region, or the groups EU and EEA.
pub fn jurisdiction_pattern_ok(pattern: &str) -> bool {
    matches!(pattern, "EU" | "EEA")
        || crate::workflow::investigation::Jurisdiction::parse(pattern).is_ok_and(|j| j.as_str() == pattern)
}

/// Whether a person's jurisdiction (`DE`, `US-CA`) falls under a rule's pattern (`EU`, `US`, `US-CA`).
pub fn jurisdiction_matches(pattern: &str, jurisdiction: &str) -> bool {
    let country = jurisdiction.split('-').next().unwrap_or(jurisdiction);
    match pattern {
        "EU" => EU.contains(&country),
        "EEA" => EU.contains(&country) || EEA_EXTRA.contains(&country),
        _ if pattern.contains('-') => pattern == jurisdiction,
        _ => pattern == country,
    }
}

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

/// The first time the incident entered `phase` or a later one.
fn reached(record: &IncidentRecord, phase: Phase) -> Option<DateTime<Utc>> {
    record.phase_changes.iter().filter(|c| c.to >= phase && c.from < phase).map(|c| c.at).min()
}

/// Every clock anchor of the incident: those set by hand win over those derived from the record.
pub fn anchors(record: &IncidentRecord) -> BTreeMap<Anchor, DateTime<Utc>> {
    let mut derived = BTreeMap::new();
    let detected =
        [record.detected_at, record.first_report_at].into_iter().flatten().fold(record.opened_at, DateTime::min);
    derived.insert(Anchor::Detected, detected);
    if let BreachVerdict::Confirmed { confirmed_at } = record.classification.verdict {
        derived.insert(Anchor::Confirmed, confirmed_at);
    }
    let contained = reached(record, Phase::Eradication);
    let recovered = reached(record, Phase::LessonsLearned);
    let closed = record.phase_changes.iter().filter(|c| c.to == Phase::Closed).map(|c| c.at).max();
    for (anchor, at) in [(Anchor::Contained, contained), (Anchor::Recovered, recovered), (Anchor::Closed, closed)] {
        if let Some(at) = at {
            derived.insert(anchor, at);
        }
    }
    for (anchor, at) in &record.clock {
        derived.insert(anchor.clone(), *at);
    }
    // Awareness and determination are the confirmation unless set by hand; discovery is detection.
    for (anchor, from) in [
        (Anchor::Aware, Anchor::Confirmed),
        (Anchor::Determined, Anchor::Confirmed),
        (Anchor::Discovered, Anchor::Detected),
    ] {
        if !derived.contains_key(&anchor)
            && let Some(at) = derived.get(&from).copied()
        {
            derived.insert(anchor, at);
        }
    }
    for obligation in &record.obligations {
        if let ObligationStatus::Met { met_at, .. } = &obligation.status {
            derived.insert(Anchor::Met(obligation.id.clone()), *met_at);
        }
    }
    derived
}

impl Facts {
    pub fn of(record: &IncidentRecord, roles: &[EntityRole]) -> Self {
        let verdict = match record.classification.verdict {
            BreachVerdict::NotABreach => VerdictKind::NotABreach,
            BreachVerdict::Suspected => VerdictKind::Suspected,
            BreachVerdict::Confirmed { .. } => VerdictKind::Confirmed,
        };
        let findings = &record.investigation.findings;
        let data_categories = record
            .classification
            .data_categories
            .iter()
            .chain(&findings.data_accessed)
            .map(|c| c.as_str().to_owned())
            .collect();
        let mut affected_by_jurisdiction = BTreeMap::new();
        let mut jurisdictions: BTreeSet<String> =
            findings.jurisdictions.iter().map(|j| j.as_str().to_owned()).collect();
        for account in &record.investigation.affected_accounts {
            if let Some(j) = &account.jurisdiction {
                *affected_by_jurisdiction.entry(j.as_str().to_owned()).or_insert(0) += 1;
                jurisdictions.insert(j.as_str().to_owned());
            }
        }
        let listed = record.investigation.affected_accounts.len() as u64;
        Self {
            verdict,
            data_categories,
            affected_estimate: findings.affected_estimate.unwrap_or(0).max(listed),
            affected_by_jurisdiction,
            jurisdictions,
            severity: record.classification.severity,
            risk: findings.risk_to_people,
            roles: roles.to_vec(),
            anchors: anchors(record),
        }
    }

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
        if when.personal_data && !self.data_categories.iter().any(|c| c != DataCategory::BUSINESS_CRITICAL) {
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
