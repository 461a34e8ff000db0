//! Where a rule applies: a country (`DE`), a region (`US-CA`), or the groups EU and EEA.

use crate::workflow::investigation::Jurisdiction;

pub const EU: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];
const EEA_EXTRA: [&str; 3] = ["IS", "LI", "NO"];

/// Checks a jurisdiction pattern of a rule: a country, a region, or the groups EU and EEA.
pub fn jurisdiction_pattern_ok(pattern: &str) -> bool {
    matches!(pattern, "EU" | "EEA") || Jurisdiction::parse(pattern).is_ok_and(|j| j.as_str() == pattern)
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
