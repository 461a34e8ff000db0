//! Regulator filing drafts: for a duty to tell an authority, each required item of its rule
//! answered by the team, or drafted from what the record holds.

use std::collections::BTreeSet;

use super::effects::population;
use super::state::IncidentRecord;
use crate::data_elements::element;
use crate::deadlines::obligation::Obligation;
use crate::deadlines::timing::Anchor;
use crate::filings::{FilingDraft, FilingItem};
use crate::people::{Accounted, Accounting, group_digits};
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
    // Where the law leaves the authority to the team (GDPR's lead authority), its answer says who.
    let chosen = items
        .iter()
        .find(|i| i.requirement.to_lowercase().contains("authority it goes to") && !i.answer.trim().is_empty())
        .map(|i| i.answer.trim().to_owned());
    FilingDraft {
        obligation: obligation.id.clone(),
        title: obligation.rule.title.clone(),
        citation: obligation.rule.citation.clone(),
        recipient: chosen.or_else(|| obligation.rule.recipient.clone()),
        due_at: obligation.due_at,
        missing: items.iter().filter(|i| i.answer.trim().is_empty()).map(|i| i.requirement.clone()).collect(),
        items,
        filed: filing.and_then(|f| f.filed.clone()),
    }
}

/// The affected people the register holds in the duty's scope (its jurisdictions and data
/// elements), and the data elements recorded for them; `None` while the register is empty.
struct InScope {
    count: u64,
    total: u64,
    scope: String,
    /// The labels of the data elements involved for the people in scope.
    elements: Vec<String>,
}

fn label(id: &str) -> String {
    element(id).map_or_else(|| id.to_owned(), |e| e.label.clone())
}

fn in_scope(record: &IncidentRecord, obligation: &Obligation) -> Option<InScope> {
    let population = population(record);
    if population.is_empty() {
        return None;
    }
    let when = &obligation.rule.when;
    let (patterns, wanted) = (&when.jurisdictions, &when.data_categories);
    let mut elements = BTreeSet::new();
    let mut count = 0;
    for group in population.groups().iter().filter(|g| g.key.in_scope(patterns, wanted)) {
        count += group.count;
        elements.extend(group.key.data_elements.iter().map(String::as_str));
    }
    let mut scope = Vec::new();
    if !patterns.is_empty() {
        scope.push(format!(" in {}", patterns.join(", ")));
    }
    if !wanted.is_empty() {
        scope.push(match wanted.as_slice() {
            [one] => format!(" whose data includes {}", label(one).to_lowercase()),
            many => format!(" whose data includes one of the {} elements the law lists", many.len()),
        });
    }
    Some(InScope {
        count,
        total: population.total(),
        scope: scope.concat(),
        elements: elements.into_iter().map(label).collect(),
    })
}

impl InScope {
    /// Both figures: which one the authority wants can depend on where the organisation is
    /// established (GDPR Art. 3), so the team chooses, seeing both.
    fn describe(&self) -> String {
        if self.scope.is_empty() {
            return format!("{} affected people listed", group_digits(self.count));
        }
        format!(
            "{} affected people listed{} (of {} listed in all)",
            group_digits(self.count),
            self.scope,
            group_digits(self.total)
        )
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
    if asks(&["sample copy", "contents of the individual notice"]) {
        return sample_notice(record, obligation);
    }
    if asks(&["individual notice was provided", "were notified, with how and when"]) {
        return notices_sent(record);
    }
    if asks(&["became aware"]) {
        return anchored(record, Anchor::Aware);
    }
    if asks(&["date of discovery"]) {
        return anchored(record, Anchor::Discovered);
    }
    if asks(&["type of protected health information", "categories of personal data"]) {
        return scoped.filter(|s| !s.elements.is_empty()).map(|s| s.elements.join(", "));
    }
    if asks(&["type of breach"]) {
        return record.classification.category.map(|c| format!("{} (the incident's category)", c.label()));
    }
    if asks(&["nature", "brief description"]) {
        let mut text = nature(record, scoped.as_ref());
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
    if asks(&["measures", "mitigat", "remedia", "actions taken"]) {
        return measures(record);
    }
    None
}

/// The notice that met the duty this one follows (California's sample copy is of the notice
/// sent to its residents), or else the last campaign that finished; its sections as sent,
/// without the greeting that names the person.
fn sample_notice(record: &IncidentRecord, obligation: &Obligation) -> Option<String> {
    let follows = match &obligation.rule.anchor {
        Anchor::Met(id) => Some(id.as_str()),
        _ => None,
    };
    let finished = || record.notices.iter().filter(|n| n.finished.is_some());
    let notice = follows
        .and_then(|id| finished().rfind(|n| n.content.serves.iter().any(|s| s == id)))
        .or_else(|| finished().next_back())?;
    let content = &notice.content;
    let sections = [
        ("What happened", &content.nature),
        ("Likely consequences", &content.consequences),
        ("What we have done and will do", &content.measures),
        ("What you should do", &content.advice),
        ("If you are a controller of personal data we process for you", &content.controller_information),
        ("Who to contact", &content.contact),
    ];
    let mut text = format!("Customer notice {} as sent. Subject: {}", notice.id, content.subject);
    for (heading, body) in sections.into_iter().filter(|(_, body)| !body.is_empty()) {
        text.push_str(&format!("\n\n{}\n{body}", heading.to_uppercase()));
    }
    Some(text)
}

/// Each finished campaign (when it ended, how many it reached) and the people recorded as told
/// another way.
fn notices_sent(record: &IncidentRecord) -> Option<String> {
    let lines: Vec<String> = record
        .notices
        .iter()
        .filter_map(|n| {
            let result = n.finished.as_ref()?;
            Some(format!(
                "Customer notice {} sent by email, finished {}: {} sent",
                n.id,
                result.at.format("%Y-%m-%d"),
                group_digits(u64::from(result.sent))
            ))
        })
        .chain(
            record.accounted.iter().filter(|a| matches!(a.accounted, Accounted::Told { .. })).map(Accounting::describe),
        )
        .collect();
    (!lines.is_empty()).then(|| lines.join("; ") + ".")
}

/// The instant a clock anchor stands at, with where it comes from.
fn anchored(record: &IncidentRecord, anchor: Anchor) -> Option<String> {
    let sourced = record.sourced_anchors().remove(&anchor)?;
    Some(format!("{} UTC ({})", sourced.at.format("%Y-%m-%d %H:%M"), sourced.source))
}

/// The incident in a few sentences. The data concerned is that of the people in the duty's
/// scope where the register records it: the GDPR draft does not list the Americans' SSNs.
fn nature(record: &IncidentRecord, scoped: Option<&InScope>) -> String {
    let findings = &record.investigation.findings;
    let mut parts = vec![record.title.clone()];
    if let Some(category) = record.classification.category {
        parts.push(format!("Category: {}", category.label()));
    }
    let data: Vec<String> = match scoped.filter(|s| !s.elements.is_empty()) {
        Some(scoped) => scoped.elements.clone(),
        None => findings.data_accessed.iter().map(|c| c.label()).collect(),
    };
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
