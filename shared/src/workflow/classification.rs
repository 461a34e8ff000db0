//! What kind of incident this is, how bad, and whether it is a breach.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::data_elements::{DataElement, element_named, slugify};
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

/// A kind of data involved: an element of the vocabulary ([`crate::data_elements`]), or any other
/// the team names (the list stays open; those show as "other").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DataCategory(String);

pub const DATA_CATEGORY_MAX: usize = 60;

impl DataCategory {
    /// A slug; a vocabulary element's id or alias ("Health records") is read as that element.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = single_line(raw, "Data category", 2, DATA_CATEGORY_MAX)?;
        let slug = slugify(&text);
        if slug.len() < 2 {
            return Err("Data category needs letters or digits".to_owned());
        }
        Ok(Self(element_named(&slug).map_or(slug, |e| e.id.clone())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The vocabulary's element, or `None` for one the team named.
    pub fn element(&self) -> Option<&'static DataElement> {
        element_named(&self.0)
    }

    /// What the team reads: the vocabulary's label, or the words of an "other" category.
    pub fn label(&self) -> String {
        match self.element() {
            Some(element) => element.label.clone(),
            None => {
                let text = self.0.replace('_', " ");
                let mut chars = text.chars();
                chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
            }
        }
    }

    /// The label, marked "(other)" when the vocabulary does not know it, for records and exports.
    pub fn described(&self) -> String {
        match self.element() {
            Some(_) => self.label(),
            None => format!("{} (other)", self.label()),
        }
    }

    /// Whether it is about people; one the team named counts as such, to be safe.
    pub fn is_personal(&self) -> bool {
        self.element().is_none_or(|e| e.personal)
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
    fn data_categories_are_the_vocabularys_elements_and_the_list_stays_open() {
        // The vocabulary's own words and aliases are its elements, however they are written.
        assert_eq!(DataCategory::parse("Health records").unwrap().as_str(), "health_information");
        assert_eq!(DataCategory::parse("Health records").unwrap().label(), "Health information");
        assert_eq!(DataCategory::parse(" credentials ").unwrap().as_str(), "credentials");
        assert_eq!(DataCategory::parse("Social Security numbers").unwrap().as_str(), "ssn");
        let other = DataCategory::parse("Payroll data").unwrap();
        assert_eq!((other.as_str(), other.label(), other.element()), ("payroll_data", "Payroll data".to_owned(), None));
        assert!(other.is_personal() && !DataCategory::parse("business critical").unwrap().is_personal());
        assert_eq!(other.described(), "Payroll data (other)");
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
