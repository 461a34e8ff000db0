//! What kind of incident this is, how bad, and whether it is a breach.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::single_line;

/// The predefined criteria of the incident policy (section 4.1), plus the other kinds reports bring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    UnusualLoginAttempts,
    AccountTakeover,
    DataLeak,
    Ddos,
    Malware,
    VulnerabilityReport,
    Phishing,
    LostDevice,
    Other,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::UnusualLoginAttempts,
        Category::AccountTakeover,
        Category::DataLeak,
        Category::Ddos,
        Category::Malware,
        Category::VulnerabilityReport,
        Category::Phishing,
        Category::LostDevice,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::UnusualLoginAttempts => "unusual_login_attempts",
            Category::AccountTakeover => "account_takeover",
            Category::DataLeak => "data_leak",
            Category::Ddos => "ddos",
            Category::Malware => "malware",
            Category::VulnerabilityReport => "vulnerability_report",
            Category::Phishing => "phishing",
            Category::LostDevice => "lost_device",
            Category::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::UnusualLoginAttempts => "Unusual login attempts",
            Category::AccountTakeover => "Account takeover or credential compromise",
            Category::DataLeak => "Data leak or exposure",
            Category::Ddos => "Denial of service (DDoS)",
            Category::Malware => "Malware",
            Category::VulnerabilityReport => "Vulnerability report",
            Category::Phishing => "Phishing",
            Category::LostDevice => "Lost or stolen device",
            Category::Other => "Other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// Four levels; each has a written meaning so that two people grade the same incident alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Severity::Critical => {
                "Sensitive customer data confirmed exposed, or the service down for everyone. Both leads and \
                 leadership act now, around the clock."
            }
            Severity::High => {
                "Customer data likely exposed, or an account or system compromised. Response starts within the \
                 hour, including outside working hours."
            }
            Severity::Medium => {
                "A threat that is contained, or a vulnerability with no sign of exploitation. Response starts the \
                 same business day."
            }
            Severity::Low => "Suspicious activity with no sign of impact. Response starts by the next business day.",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Whether personal or sensitive data was breached. Confirmation starts the customer clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum BreachVerdict {
    NotABreach,
    Suspected,
    Confirmed { confirmed_at: DateTime<Utc> },
}

impl BreachVerdict {
    pub fn label(self) -> &'static str {
        match self {
            BreachVerdict::NotABreach => "Not a breach",
            BreachVerdict::Suspected => "Suspected breach",
            BreachVerdict::Confirmed { .. } => "Confirmed breach",
        }
    }
}

/// A category of data: the built-in ones, or any the team adds (the list is open by design).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DataCategory(String);

pub const DATA_CATEGORY_MAX: usize = 60;

impl DataCategory {
    pub const CREDENTIALS: &'static str = "credentials";
    pub const PERSONAL_INFORMATION: &'static str = "personal_information";
    pub const BUSINESS_CRITICAL: &'static str = "business_critical";
    pub const BUILT_IN: [&'static str; 3] = [Self::CREDENTIALS, Self::PERSONAL_INFORMATION, Self::BUSINESS_CRITICAL];

    /// Lower-case words joined by `_`, so "Health records" and "health_records" are one category.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = single_line(raw, "Data category", 2, DATA_CATEGORY_MAX)?;
        let slug = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("_");
        if slug.len() < 2 {
            return Err("Data category needs letters or digits".to_owned());
        }
        Ok(Self(slug))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn label(&self) -> String {
        match self.0.as_str() {
            Self::CREDENTIALS => "Credentials".to_owned(),
            Self::PERSONAL_INFORMATION => "Personal information".to_owned(),
            Self::BUSINESS_CRITICAL => "Business-critical data".to_owned(),
            other => {
                let text = other.replace('_', " ");
                let mut chars = text.chars();
                chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
            }
        }
    }
}

/// Parses a list of categories, dropping duplicates and keeping the first-seen order.
pub fn parse_data_categories(raw: &[String]) -> Result<Vec<DataCategory>, String> {
    let mut categories: Vec<DataCategory> = Vec::new();
    for item in raw {
        let category = DataCategory::parse(item)?;
        if !categories.contains(&category) {
            categories.push(category);
        }
    }
    Ok(categories)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    pub verdict: BreachVerdict,
    pub data_categories: Vec<DataCategory>,
}

impl Default for Classification {
    fn default() -> Self {
        Self { category: None, severity: None, verdict: BreachVerdict::Suspected, data_categories: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_categories_are_slugs_and_the_list_is_open() {
        assert_eq!(DataCategory::parse("Health records").unwrap().as_str(), "health_records");
        assert_eq!(DataCategory::parse(" credentials ").unwrap().as_str(), DataCategory::CREDENTIALS);
        assert_eq!(DataCategory::parse("health_records").unwrap().label(), "Health records");
        assert!(DataCategory::parse("--").is_err());
        assert!(DataCategory::parse("x").is_err());
        let list = parse_data_categories(&["Credentials".into(), "credentials".into(), "Payroll".into()]).unwrap();
        assert_eq!(list.iter().map(DataCategory::as_str).collect::<Vec<_>>(), ["credentials", "payroll"]);
    }

    #[test]
    fn every_severity_has_a_meaning_and_names_round_trip() {
        for severity in Severity::ALL {
            assert!(severity.meaning().len() > 40);
            assert_eq!(Severity::parse(severity.as_str()), Some(severity));
        }
        for category in Category::ALL {
            assert_eq!(Category::parse(category.as_str()), Some(category));
            assert_eq!(serde_json::to_value(category).unwrap(), category.as_str());
        }
    }
}
