//! Incidents as far as intake needs them: a titled case that reports are linked to. Phases,
//! roles and the rest of the lifecycle build on this.

use chrono::{DateTime, Utc};

use crate::validation::single_line;

pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentTitle(String);

impl IncidentTitle {
    pub fn parse(raw: &str) -> Result<Self, String> {
        single_line(raw, "Incident title", TITLE_MIN, TITLE_MAX).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for IncidentTitle {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// When the incident was detected: its earliest linked report, or its opening if that came first.
pub fn detected_at(
    opened_at: DateTime<Utc>,
    reports_received: impl IntoIterator<Item = DateTime<Utc>>,
) -> DateTime<Utc> {
    reports_received.into_iter().fold(opened_at, DateTime::min)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn detection_is_the_earliest_report_or_the_opening() {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
        assert_eq!(detected_at(at(12), [at(9), at(7), at(10)]), at(7));
        assert_eq!(detected_at(at(6), [at(9)]), at(6));
        assert_eq!(detected_at(at(12), []), at(12));
    }

    #[test]
    fn titles_are_single_lines_of_bounded_length() {
        assert_eq!(
            IncidentTitle::parse("  Credential stuffing on login ").unwrap().as_ref(),
            "Credential stuffing on login"
        );
        assert!(IncidentTitle::parse("ab").is_err());
        assert!(IncidentTitle::parse("a\nb c d").is_err());
        assert!(IncidentTitle::parse(&"x".repeat(TITLE_MAX + 1)).is_err());
    }
}
