//! Field-level validation shared by the form (inline errors) and the server (4xx responses).
//!
//! Parse, don't validate: the domain types in [`crate::report`] can only be built through these
//! checks, so anything holding a `NewReport` holds valid data.

use serde::{Deserialize, Serialize};

/// One field that failed its rule, named as in the wire form so the UI can point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every field that failed, in form order, so a person sees all problems at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} field(s) need attention", .0.len())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records the error of `result`, if any, and hands back its value.
    pub fn collect<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(field, message);
                None
            }
        }
    }
}

/// Control characters have no business in a report; tab and newline are allowed where
/// the text may span lines, and ESC because pasted terminal logs carry colour codes.
fn forbidden_char(c: char, multi_line: bool) -> bool {
    if multi_line && matches!(c, '\n' | '\t' | '\u{1b}') {
        return false;
    }
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A trimmed single-line text between `min` and `max` characters.
pub fn single_line(raw: &str, label: &str, min: usize, max: usize) -> Result<String, String> {
    bounded_text(raw.trim(), label, min, max, false)
}

/// A trimmed text that may span lines (CRLF is normalised to LF) between `min` and `max` characters.
pub fn multi_line(raw: &str, label: &str, min: usize, max: usize) -> Result<String, String> {
    let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
    bounded_text(normalised.trim(), label, min, max, true)
}

fn bounded_text(text: &str, label: &str, min: usize, max: usize, multi_line: bool) -> Result<String, String> {
    if text.chars().any(|c| forbidden_char(c, multi_line)) {
        return Err(if multi_line {
            format!("{label} contains control characters; remove them and try again")
        } else {
            format!("{label} must be a single line without control characters")
        });
    }
    let length = text.chars().count();
    if length < min {
        return Err(if min == 1 {
            format!("Enter {}", label.to_lowercase())
        } else {
            format!("{label} must be at least {min} characters")
        });
    }
    if length > max {
        return Err(format!("{label} must be at most {max} characters (it has {length})"));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_refuses_newlines_and_controls() {
        assert!(single_line("a\nb", "Name", 1, 10).is_err());
        assert!(single_line("a\u{0}b", "Name", 1, 10).is_err());
        assert!(single_line("a\u{7f}", "Name", 1, 10).is_err());
        assert_eq!(single_line("  Ada  ", "Name", 1, 10).unwrap(), "Ada");
    }

    #[test]
    fn multi_line_keeps_newlines_and_tabs_and_normalises_crlf() {
        assert_eq!(multi_line("a\r\n\tb", "Text", 1, 10).unwrap(), "a\n\tb");
        assert!(multi_line("a\u{8}b", "Text", 1, 10).is_err());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(single_line("ééé", "Name", 1, 3).is_ok());
        assert!(single_line("éééé", "Name", 1, 3).is_err());
        assert_eq!(single_line("   ", "Name", 1, 3).unwrap_err(), "Enter name");
    }
}
