//! Regulator filing drafts: for a duty to tell an authority, each required item of its rule
//! answered by the team, or drafted from what the record holds.

use super::state::IncidentRecord;
use crate::deadlines::jurisdiction::jurisdiction_matches;
use crate::deadlines::obligation::Obligation;
use crate::filings::{FilingDraft, FilingItem};
use crate::workflow::investigation::RiskToPeople;

/// The draft for `obligation`: each required item with the team's answer, or one drafted from
/// the record where the item asks for something the record holds (the nature and scale of the
/// breach, a contact point, the likely consequences, the measures taken).
pub fn draft(record: &IncidentRecord, obligation: &Obligation, contact_point: Option<&str>) -> FilingDraft {
    let filing = record.filings.get(&obligation.id);
    let items: Vec<FilingItem> = obligation
        .rule
        .contents
        .iter()
        .enumerate()
        .map(|(i, requirement)| {
            let written = filing.and_then(|f| f.answers.get(i)).filter(|a| !a.trim().is_empty());
            match written {
                Some(answer) => FilingItem { requirement: requirement.clone(), answer: answer.clone(), drafted: false },
                None => {
                    let answer = drafted_answer(record, obligation, requirement, contact_point).unwrap_or_default();
                    FilingItem { requirement: requirement.clone(), drafted: !answer.is_empty(), answer }
                }
            }
        })
        .collect();
    FilingDraft {
        obligation: obligation.id.clone(),
        title: obligation.rule.title.clone(),
        citation: obligation.rule.citation.clone(),
        recipient: obligation.rule.recipient.clone(),
        due_at: obligation.due_at,
        missing: items.iter().filter(|i| i.answer.trim().is_empty()).map(|i| i.requirement.clone()).collect(),
        items,
        filed: filing.and_then(|f| f.filed.clone()),
    }
}

/// The affected people the record lists in the jurisdictions the duty's law covers, and how it
/// names them; `None` when the law names no jurisdiction or the record lists nobody.
struct InScope {
    count: usize,
    listed: usize,
    scope: String,
}

fn in_scope(record: &IncidentRecord, obligation: &Obligation) -> Option<InScope> {
    let patterns = &obligation.rule.when.jurisdictions;
    let accounts = &record.investigation.affected_accounts;
    if patterns.is_empty() || accounts.is_empty() {
        return None;
    }
    let count = accounts
        .iter()
        .filter(|a| {
            a.jurisdiction.as_ref().is_some_and(|j| patterns.iter().any(|p| jurisdiction_matches(p, j.as_str())))
        })
        .count();
    Some(InScope { count, listed: accounts.len(), scope: patterns.join(", ") })
}

impl InScope {
    /// Both figures: which one the authority wants can depend on where the organisation is
    /// established (GDPR Art. 3), so the team chooses, seeing both.
    fn describe(&self) -> String {
        format!("{} affected people listed in {} (of {} listed in all)", self.count, self.scope, self.listed)
    }
}

/// What the record says towards one required item, matched by what the item asks for.
fn drafted_answer(
    record: &IncidentRecord,
    obligation: &Obligation,
    requirement: &str,
    contact_point: Option<&str>,
) -> Option<String> {
    let asks = |words: &[&str]| words.iter().any(|w| requirement.to_lowercase().contains(w));
    let scoped = in_scope(record, obligation);
    if asks(&["nature"]) {
        let mut text = nature(record);
        if let Some(scoped) = &scoped {
            text.push_str(&format!(" {}.", scoped.describe()));
        }
        return Some(text);
    }
    // "The number of Texas residents affected", not "the number already sent notice" or a phone number.
    if asks(&["number of", "number or estimated number"])
        && !asks(&["already", "sent notice", "toll-free", "telephone"])
    {
        return scoped.map(|s| s.describe());
    }
    if asks(&["contact", "dpo"]) {
        return contact_point.map(str::to_owned);
    }
    if asks(&["consequence"]) {
        return consequences(record);
    }
    if asks(&["measures", "mitigat", "remedia"]) {
        return measures(record);
    }
    None
}

fn nature(record: &IncidentRecord) -> String {
    let findings = &record.investigation.findings;
    let mut parts = vec![record.title.clone()];
    if let Some(category) = record.classification.category {
        parts.push(format!("Category: {}", category.label()));
    }
    let data: Vec<String> = findings.data_accessed.iter().map(|c| c.label()).collect();
    if !data.is_empty() {
        parts.push(format!("Data concerned: {}", data.join(", ")));
    }
    if let Some(people) = findings.affected_estimate {
        parts.push(format!("About {people} people affected"));
    }
    if let Some(records) = findings.records_estimate {
        parts.push(format!("About {records} records concerned"));
    }
    if let Some(detail) = &findings.failure_detail {
        parts.push(format!("What failed: {detail}"));
    }
    parts.join(". ") + "."
}

fn consequences(record: &IncidentRecord) -> Option<String> {
    let findings = &record.investigation.findings;
    let uses: Vec<&str> = findings.data_use.iter().map(|u| u.label()).collect();
    let assessed = findings.risk_to_people != RiskToPeople::NotAssessed;
    if uses.is_empty() && !assessed {
        return None;
    }
    let mut parts = Vec::new();
    if assessed {
        parts.push(format!("Assessed risk: {}", findings.risk_to_people.label().to_lowercase()));
    }
    if !uses.is_empty() {
        parts.push(format!("What was done with the data: {}", uses.join(", ").to_lowercase()));
    }
    Some(parts.join(". ") + ".")
}

fn measures(record: &IncidentRecord) -> Option<String> {
    let actions: Vec<String> = record
        .containment
        .iter()
        .filter(|a| a.reversal.is_none())
        .map(|a| format!("{}: {} ({})", a.kind.label(), a.target, a.result.label().to_lowercase()))
        .collect();
    (!actions.is_empty()).then(|| format!("Taken: {}.", actions.join("; ")))
}

#[cfg(test)]
mod tests;
