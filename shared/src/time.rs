//! How a moment reads to people in messages, the timeline and exports: to the minute, in UTC.

use chrono::{DateTime, Utc};

/// `2026-03-01 09:30 UTC`.
pub fn utc_minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
