//! Incidents as far as intake needs them: a titled case that reports are linked to. Phases,
//! roles and the rest of the lifecycle build on this.

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

#[cfg(test)]
mod tests {
    use super::*;

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
