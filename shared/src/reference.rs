//! Human-readable references such as `TOC-2026-000123`: easy to read out on the phone, never an
//! access key (they are sequential; the follow-up link carries a separate secret token).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReferenceKind {
    /// A report from the public form.
    Report,
    /// An incident the team works on.
    Incident,
    /// The organisation's policy register: its reviews and standing duties.
    Policy,
    /// A year's security log: sign-ins, account changes, exports and refusals.
    Security,
}

impl ReferenceKind {
    fn prefix(self) -> &'static str {
        match self {
            ReferenceKind::Report => "TOC",
            ReferenceKind::Incident => "INC",
            ReferenceKind::Policy => "POL",
            ReferenceKind::Security => "SEC",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub year: i32,
    pub number: u32,
}

impl Reference {
    pub fn new(kind: ReferenceKind, year: i32, number: u32) -> Self {
        Self { kind, year, number }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}-{:06}", self.kind.prefix(), self.year, self.number)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a reference like TOC-2026-000123")]
pub struct InvalidReference(String);

impl FromStr for Reference {
    type Err = InvalidReference;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidReference(s.chars().take(40).collect());
        let mut parts = s.trim().splitn(3, '-');
        let kind = match parts.next().map(str::to_ascii_uppercase).as_deref() {
            Some("TOC") => ReferenceKind::Report,
            Some("INC") => ReferenceKind::Incident,
            Some("POL") => ReferenceKind::Policy,
            Some("SEC") => ReferenceKind::Security,
            _ => return Err(invalid()),
        };
        fn digits(part: Option<&str>, min_len: usize) -> Option<&str> {
            part.filter(|p| p.len() >= min_len && p.bytes().all(|b| b.is_ascii_digit()))
        }
        let year = digits(parts.next(), 4).and_then(|y| y.parse().ok()).ok_or_else(invalid)?;
        let number = digits(parts.next(), 1).and_then(|n| n.parse().ok()).ok_or_else(invalid)?;
        Ok(Reference { kind, year, number })
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        let r = Reference::new(ReferenceKind::Report, 2026, 123);
        assert_eq!(r.to_string(), "TOC-2026-000123");
        assert_eq!("TOC-2026-000123".parse::<Reference>(), Ok(r));
        assert_eq!("inc-2026-1234567".parse::<Reference>().unwrap().number, 1_234_567);
    }

    #[test]
    fn refuses_malformed() {
        for bad in ["", "TOC", "TOC-26-000001", "XYZ-2026-000001", "TOC-2026-", "TOC-2026-12a", "TOC-2026-+1"] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }
}
