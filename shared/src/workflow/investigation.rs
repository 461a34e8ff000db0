//! The investigation record: was it our failure, what data was accessed, what was done with it,
//! who is affected and where they live (which decides the regulators).

use serde::{Deserialize, Serialize};

use super::classification::DataCategory;
use crate::validation::{ValidationErrors, multi_line, single_line};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YesNoUnknown {
    Yes,
    No,
    #[default]
    Unknown,
}

impl YesNoUnknown {
    pub fn label(self) -> &'static str {
        match self {
            YesNoUnknown::Yes => "Yes",
            YesNoUnknown::No => "No",
            YesNoUnknown::Unknown => "Unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataUse {
    Viewed,
    Exported,
    Modified,
    Deleted,
    Unknown,
}

impl DataUse {
    pub const ALL: [DataUse; 5] =
        [DataUse::Viewed, DataUse::Exported, DataUse::Modified, DataUse::Deleted, DataUse::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            DataUse::Viewed => "viewed",
            DataUse::Exported => "exported",
            DataUse::Modified => "modified",
            DataUse::Deleted => "deleted",
            DataUse::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DataUse::Viewed => "Viewed",
            DataUse::Exported => "Exported or copied",
            DataUse::Modified => "Modified",
            DataUse::Deleted => "Deleted",
            DataUse::Unknown => "Unknown",
        }
    }
}

/// The assessed risk to the people whose data was breached: the threshold of most notice duties
/// (GDPR Art. 33 "unless unlikely to result in a risk", Art. 34 "high risk").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskToPeople {
    #[default]
    NotAssessed,
    Unlikely,
    Risk,
    HighRisk,
}

impl RiskToPeople {
    pub const ALL: [RiskToPeople; 4] =
        [RiskToPeople::NotAssessed, RiskToPeople::Unlikely, RiskToPeople::Risk, RiskToPeople::HighRisk];

    pub fn label(self) -> &'static str {
        match self {
            RiskToPeople::NotAssessed => "Not assessed yet",
            RiskToPeople::Unlikely => "Unlikely to result in a risk",
            RiskToPeople::Risk => "A risk to people",
            RiskToPeople::HighRisk => "A high risk to people",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RiskToPeople::NotAssessed => "not_assessed",
            RiskToPeople::Unlikely => "unlikely",
            RiskToPeople::Risk => "risk",
            RiskToPeople::HighRisk => "high_risk",
        }
    }

    /// Whether the risk reaches `threshold`. Until it is assessed, it is taken to be high, so
    /// duties show up early rather than late.
    pub fn reaches(self, threshold: RiskToPeople) -> bool {
        let rank = |r: RiskToPeople| match r {
            RiskToPeople::Unlikely => 0,
            RiskToPeople::Risk => 1,
            RiskToPeople::HighRisk | RiskToPeople::NotAssessed => 2,
        };
        rank(self) >= rank(threshold)
    }
}

/// Where affected people live: an ISO 3166-1 country code, optionally with an ISO 3166-2
/// subdivision (`DE`, `US-CA`). Breach duties follow from these.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Jurisdiction(String);

impl Jurisdiction {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        let (country, subdivision) = match code.split_once('-') {
            Some((country, subdivision)) => (country, Some(subdivision)),
            None => (code.as_str(), None),
        };
        let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
        let subdivision_ok =
            subdivision.is_none_or(|s| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
        if country_ok && subdivision_ok {
            Ok(Self(code))
        } else {
            Err(format!("{:?} is not a country code such as DE, or a region code such as US-CA", raw.trim()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One affected user or customer account. At least one of `account` and `email` is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedAccount {
    pub account: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub jurisdiction: Option<Jurisdiction>,
}

/// The findings from the form, and the affected-account list imported beside them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Investigation {
    #[serde(flatten)]
    pub findings: InvestigationFindings,
    pub affected_accounts: Vec<AffectedAccount>,
}

/// The investigation form as typed: strings and lists, so every mistake becomes a field error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InvestigationForm {
    pub our_failure: YesNoUnknown,
    pub failure_detail: String,
    pub data_accessed: Vec<String>,
    pub records_estimate: String,
    pub data_use: Vec<DataUse>,
    pub affected_estimate: String,
    pub jurisdictions: Vec<String>,
    pub risk_to_people: RiskToPeople,
}

pub const FAILURE_DETAIL_MAX: usize = 5_000;

fn optional_count(raw: &str, label: &str) -> Result<Option<u64>, String> {
    let text: String = raw.trim().chars().filter(|c| !matches!(c, ',' | '_' | ' ')).collect();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| format!("{label} must be a whole number, such as 1200"))
}

/// The parsed [`InvestigationForm`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InvestigationFindings {
    pub our_failure: YesNoUnknown,
    pub failure_detail: Option<String>,
    pub data_accessed: Vec<DataCategory>,
    pub records_estimate: Option<u64>,
    pub data_use: Vec<DataUse>,
    pub affected_estimate: Option<u64>,
    pub jurisdictions: Vec<Jurisdiction>,
    #[serde(default)]
    pub risk_to_people: RiskToPeople,
}

impl InvestigationForm {
    pub fn parse(&self) -> Result<InvestigationFindings, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let failure_detail = if self.failure_detail.trim().is_empty() {
            None
        } else {
            errors.collect("failure_detail", multi_line(&self.failure_detail, "What failed", 1, FAILURE_DETAIL_MAX))
        };
        if self.our_failure == YesNoUnknown::Yes && self.failure_detail.trim().is_empty() {
            errors.push("failure_detail", "Say what failed: which technology or process");
        }
        let data_accessed =
            errors.collect("data_accessed", super::classification::parse_data_categories(&self.data_accessed));
        let records_estimate =
            errors.collect("records_estimate", optional_count(&self.records_estimate, "Records estimate"));
        let affected_estimate =
            errors.collect("affected_estimate", optional_count(&self.affected_estimate, "Affected people estimate"));
        let mut jurisdictions = Vec::new();
        for raw in self.jurisdictions.iter().filter(|j| !j.trim().is_empty()) {
            if let Some(j) = errors.collect("jurisdictions", Jurisdiction::parse(raw))
                && !jurisdictions.contains(&j)
            {
                jurisdictions.push(j);
            }
        }
        let mut data_use = self.data_use.clone();
        data_use.dedup();
        match (data_accessed, records_estimate, affected_estimate) {
            (Some(data_accessed), Some(records_estimate), Some(affected_estimate)) if errors.is_empty() => {
                Ok(InvestigationFindings {
                    our_failure: self.our_failure,
                    failure_detail,
                    data_accessed,
                    records_estimate,
                    data_use,
                    affected_estimate,
                    jurisdictions,
                    risk_to_people: self.risk_to_people,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A CSV line that could not be imported; `line` counts from 1 and includes the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Line {}: {}", self.line, self.message)
    }
}

/// Each bad line as an error on the form field that carried the file.
pub fn line_errors_on(field: &str, lines: &[LineError]) -> ValidationErrors {
    let mut errors = ValidationErrors::default();
    for line in lines {
        errors.push(field, line.to_string());
    }
    errors
}

/// Reads accounts from CSV with a header naming some of `account`, `email`, `name` and
/// `jurisdiction` (any order, any case), taking up to `max`. Every bad line is reported; nothing
/// is taken unless all lines are good, so a fixed file can simply be read again.
pub fn parse_accounts_csv(text: &str, max: usize) -> Result<Vec<AffectedAccount>, Vec<LineError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(str::to_ascii_lowercase).collect::<Vec<_>>(),
        Err(e) => return Err(vec![LineError { line: 1, message: format!("The header line cannot be read: {e}") }]),
    };
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (account_col, email_col, name_col, jurisdiction_col) =
        (column("account"), column("email"), column("name"), column("jurisdiction"));
    if account_col.is_none() && email_col.is_none() {
        return Err(vec![LineError {
            line: 1,
            message: "The header line must name an \"account\" or an \"email\" column (or both)".to_owned(),
        }]);
    }
    let mut accounts: Vec<AffectedAccount> = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(LineError { line, message: format!("This line cannot be read: {e}") });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |col: Option<usize>| col.and_then(|c| record.get(c)).filter(|v| !v.is_empty());
        match parse_account_line(cell(account_col), cell(email_col), cell(name_col), cell(jurisdiction_col)) {
            Ok(account) if accounts.iter().any(|a| a.account == account.account && a.email == account.email) => {
                errors.push(LineError { line, message: "This account is already listed on an earlier line".into() })
            }
            Ok(account) => accounts.push(account),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    if accounts.len() > max {
        errors.push(LineError {
            line: 1,
            message: format!(
                "The file lists {} accounts; at most {max} can be listed here. Record the total as the \
                 affected estimate and keep the full list with the evidence.",
                accounts.len()
            ),
        });
    }
    if errors.is_empty() { Ok(accounts) } else { Err(errors) }
}

fn parse_account_line(
    account: Option<&str>,
    email: Option<&str>,
    name: Option<&str>,
    jurisdiction: Option<&str>,
) -> Result<AffectedAccount, String> {
    if account.is_none() && email.is_none() {
        return Err("Give an account or an email address".to_owned());
    }
    let account = account.map(|a| single_line(a, "Account", 1, 200)).transpose()?;
    let email = email
        .map(|e| {
            crate::report::ReporterEmail::parse(e)
                .map(crate::report::ReporterEmail::into_inner)
                .map_err(|_| format!("{e:?} is not an email address"))
        })
        .transpose()?;
    let name = name.map(|n| single_line(n, "Name", 1, 200)).transpose()?;
    let jurisdiction = jurisdiction.map(Jurisdiction::parse).transpose()?;
    Ok(AffectedAccount { account, email, name, jurisdiction })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_import_reports_every_bad_line_and_imports_nothing_then() {
        let text = "Email,Account,Jurisdiction\n\
                    ann@example.com,A-1,DE\n\
                    not-an-email,A-2,FR\n\
                    ,,\n\
                    bob@example.com,A-3,Germany\n\
                    ann@example.com,A-1,DE\n\
                    ,A-4,us-ca\n";
        let errors = parse_accounts_csv(text, 100).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 5, 6]);
        assert!(errors[0].message.contains("not an email address"), "{errors:?}");
        assert!(errors[1].message.contains("country code"), "{errors:?}");
        assert!(errors[2].message.contains("already listed"), "{errors:?}");
        let on_field = line_errors_on("csv", &errors);
        assert_eq!(on_field.0.len(), 3);
        assert_eq!(on_field.0[0].field, "csv");
        assert!(on_field.0[0].message.starts_with("Line 3: "), "{on_field:?}");
    }

    #[test]
    fn csv_import_reads_columns_in_any_order() {
        let accounts = parse_accounts_csv("account,jurisdiction\nA-4,us-ca\nA-5,\n", 100).unwrap();
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0].jurisdiction.as_ref().unwrap().as_str(), "US-CA");
        assert_eq!(accounts[1].jurisdiction, None);
        let missing = parse_accounts_csv("name\nAnn\n", 100).unwrap_err();
        assert_eq!(missing[0].line, 1);
        let too_many = (0..=100).map(|i| format!("A-{i}\n")).collect::<String>();
        assert!(parse_accounts_csv(&format!("account\n{too_many}"), 100).is_err());
    }

    #[test]
    fn investigation_form_errors_name_their_fields() {
        let form = InvestigationForm {
            our_failure: YesNoUnknown::Yes,
            records_estimate: "about 10".into(),
            affected_estimate: "1,200".into(),
            jurisdictions: vec!["DE".into(), "Europe".into()],
            ..Default::default()
        };
        let errors = form.parse().unwrap_err();
        assert!(errors.for_field("failure_detail").is_some());
        assert!(errors.for_field("records_estimate").is_some());
        assert!(errors.for_field("jurisdictions").is_some());
        assert!(errors.for_field("affected_estimate").is_none());
    }
}
