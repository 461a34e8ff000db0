use super::*;
use crate::deadlines::calendar::Calendars;

fn built_in() -> RuleSet {
    let file: RulesFile = toml::from_str(BUILT_IN_RULES).expect("the rules file parses");
    RuleSet::from_files(&[file], &Calendars::built_in()).unwrap_or_else(|errors| panic!("{errors:#?}"))
}

/// Every duty rated H or M in `shared/reference/breach-regimes.md` (the policies' own first).
const EXPECTED: &[&str] = &[
    "POLICY-INTERNAL",
    "POLICY-CUSTOMER",
    "POLICY-REVIEW",
    "POLICY-UPDATE-AFTER-MAJOR",
    "POLICY-ANNUAL",
    "EU-GDPR-33",
    "EU-GDPR-33(2)",
    "EU-GDPR-34",
    "EU-NIS2-EW",
    "EU-NIS2-IN",
    "EU-NIS2-FR",
    "EU-NIS2-REC",
    "EU-DORA-INIT",
    "EU-DORA-INT",
    "EU-DORA-FIN",
    "UK-33",
    "UK-33(2)",
    "UK-34",
    "UK-PECR",
    "CH-24-FDPIC",
    "CH-24-PROC",
    "CH-24-DS",
    "US-HIPAA-IND",
    "US-HIPAA-MEDIA",
    "US-HIPAA-HHS500",
    "US-HIPAA-HHSLOG",
    "US-HIPAA-BA",
    "NY-AG-HIPAA",
    "NY-AG-HIPAA-LOG",
    "US-SEC-8K",
    "CA-IND",
    "CA-AG",
    "CA-MAINT",
    "NY-IND",
    "NY-REG",
    "NY-REG-DOS",
    "NY-REG-DSP",
    "TX-IND",
    "TX-AG",
    "FL-IND",
    "FL-AG",
    "FL-3PA",
    "FL-CRA",
    "CO-IND",
    "CO-AG",
    "WA-IND",
    "WA-AG",
    "US-AL-IND",
    "US-AL-AG",
    "US-AZ-IND",
    "US-AZ-AG",
    "US-CT-IND",
    "US-CT-AG",
    "US-DE-IND",
    "US-DE-AG",
    "US-IN-IND",
    "US-IN-AG",
    "US-ME-IND",
    "US-ME-AG",
    "US-MD-IND",
    "US-MD-AG",
    "US-NM-IND",
    "US-NM-AG",
    "US-OH-IND",
    "US-OR-IND",
    "US-OR-AG",
    "US-RI-IND",
    "US-RI-AG",
    "US-SD-IND",
    "US-SD-AG",
    "US-TN-IND",
    "US-VT-IND",
    "US-VT-AG",
    "US-WI-IND",
    "CA-PIPEDA-OPC",
    "CA-PIPEDA-IND",
    "CA-PIPEDA-3P",
    "AU-26WH",
    "AU-26WK",
    "AU-26WL",
    "BR-ANPD",
    "BR-ANPD-SUPP",
    "BR-TIT",
    "BR-TIT-DECL",
    "SG-ASSESS",
    "SG-DI",
    "SG-PDPC",
    "SG-IND",
    "JP-PRELIM",
    "JP-FINAL",
    "JP-FINAL-60",
    "JP-ENT",
    "JP-IND",
    "IN-DPB-1",
    "IN-DPB-72",
    "IN-DP",
    "IN-CERTIN",
];

#[test]
fn the_built_in_rules_load_and_cover_every_h_and_m_duty() {
    let rules = built_in();
    for id in EXPECTED {
        let rule = rules.rule(id).unwrap_or_else(|| panic!("{id} is missing"));
        assert!(rule.reminders.is_some() && rule.escalation.is_some(), "{id}: defaults filled in");
    }
    for rule in rules.rules.iter().filter(|r| !r.id.starts_with("POLICY-")) {
        assert!(matches!(rule.confidence.as_deref(), Some("H" | "M" | "H/M" | "M/H")), "{}: confidence", rule.id);
        assert!(!rule.contents.is_empty() || rule.note.is_some(), "{}: contents or a note", rule.id);
    }
}

#[test]
fn the_policys_sensitive_data_is_every_element_of_the_vocabulary() {
    let file: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
    let rules = RuleSet::from_files(&[file], &Calendars::built_in()).unwrap();
    let listed = &rules.rule("POLICY-CUSTOMER").unwrap().when.data_categories;
    let vocabulary: Vec<&str> = crate::data_elements::vocabulary().iter().map(|e| e.id.as_str()).collect();
    assert_eq!(listed.iter().map(String::as_str).collect::<Vec<_>>(), vocabulary, "a new element is sensitive too");
}

#[test]
fn bad_rules_are_refused_with_every_problem_named() {
    let text = r#"
        version = "test"
        [defaults]
        reminders = [{ at_percent = 150 }]
        escalation = []
        [[rule]]
        id = "A"
        title = ""
        citation = "x"
        anchor = "met:NOPE"
        deadline = { business_days = 3, calendar = "mars" }
        when = { jurisdictions = ["Europe"], data_categories = ["health_records"] }
        notify = []
    "#;
    let file: RulesFile = toml::from_str(text).unwrap();
    let errors = RuleSet::from_files(&[file], &Calendars::built_in()).unwrap_err();
    let joined = errors.join("\n");
    for expected in [
        "at_percent",
        "title is empty",
        "notify names nobody",
        "met:NOPE names no rule",
        "\"mars\" is unknown",
        "\"Europe\"",
        "data category \"health_records\" is not in the vocabulary",
    ] {
        assert!(joined.contains(expected), "{expected:?} not in {joined}");
    }
    let bad_deadline = r#"
        version = "test"
        [[rule]]
        id = "A"
        title = "t"
        citation = "c"
        anchor = "detected"
        deadline = { hours = 3, months = 1 }
        notify = ["internal"]
    "#;
    let error = toml::from_str::<RulesFile>(bad_deadline).unwrap_err().to_string();
    assert!(error.contains("exactly one of"), "{error}");
    let standing_with_conditions = bad_deadline
        .replace("anchor = \"detected\"", "anchor = \"policy_reviewed\"\nwhen = { min_severity = \"high\" }")
        .replace(", months = 1", "");
    let file: RulesFile = toml::from_str(&standing_with_conditions).unwrap();
    let errors = RuleSet::from_files(&[file], &Calendars::built_in()).unwrap_err().join("\n");
    assert!(errors.contains("policy_reviewed takes no conditions"), "{errors}");
    let bad_anchor = bad_deadline.replace("anchor = \"detected\"", "anchor = \"whenever\"").replace(", months = 1", "");
    let error = toml::from_str::<RulesFile>(&bad_anchor).unwrap_err().to_string();
    assert!(error.contains("not a clock anchor"), "{error}");
}

#[test]
fn an_operator_file_replaces_a_rule_and_adds_one() {
    let base: RulesFile = toml::from_str(BUILT_IN_RULES).unwrap();
    let ours: RulesFile = toml::from_str(
        r#"
        version = "acme-1"
        [[rule]]
        id = "POLICY-CUSTOMER"
        title = "Notify affected customers"
        citation = "Acme contract schedule 4"
        anchor = "confirmed"
        deadline = { hours = 24 }
        notify = ["customers"]
        [[rule]]
        id = "ACME-BOARD"
        title = "Tell the board"
        citation = "Acme governance"
        anchor = "met:POLICY-CUSTOMER"
        deadline = { calendar_days = 7, timezone = "Europe/London" }
        notify = ["internal"]
    "#,
    )
    .unwrap();
    let rules = RuleSet::from_files(&[base, ours], &Calendars::built_in()).unwrap();
    assert_eq!(rules.rule("POLICY-CUSTOMER").unwrap().deadline, Deadline::Hours(24));
    assert!(rules.rule("ACME-BOARD").is_some());
    assert!(rules.version.ends_with("+acme-1"));
}
