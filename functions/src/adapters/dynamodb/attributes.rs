//! Attribute values: how they are written, and read back typed (a missing or mistyped attribute
//! is a corrupt item, reported with its name).

use std::collections::HashMap;

use anyhow::anyhow;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::ports::{StoreError, StoreResult};

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads typed attributes; a missing or mistyped one is a corrupt item, reported with its name.
pub(super) trait Attributes {
    fn text(&self, name: &str) -> StoreResult<&str>;
    fn optional_text(&self, name: &str) -> Option<String>;
    fn number<T: std::str::FromStr>(&self, name: &str) -> StoreResult<T>;
    fn time(&self, name: &str) -> StoreResult<DateTime<Utc>>;
}

pub(super) fn corrupt(name: &str) -> StoreError {
    StoreError::Unexpected(anyhow!("a stored item has a missing or malformed {name:?} attribute"))
}

impl Attributes for Item {
    fn text(&self, name: &str) -> StoreResult<&str> {
        self.get(name).and_then(|v| v.as_s().ok()).map(String::as_str).ok_or_else(|| corrupt(name))
    }

    fn optional_text(&self, name: &str) -> Option<String> {
        self.get(name).and_then(|v| v.as_s().ok()).cloned()
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> StoreResult<T> {
        self.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).ok_or_else(|| corrupt(name))
    }

    fn time(&self, name: &str) -> StoreResult<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(self.text(name)?).map(|t| t.with_timezone(&Utc)).map_err(|_| corrupt(name))
    }
}

pub(super) fn parse_with<T, E>(item: &Item, name: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> StoreResult<T> {
    parse(item.text(name)?).map_err(|_| corrupt(name))
}
