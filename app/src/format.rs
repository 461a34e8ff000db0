//! Dates and sizes as people read them.

use chrono::{DateTime, TimeDelta, Utc};
use js_sys::{Date, Object, Reflect};
use wasm_bindgen::JsValue;

/// A date and time in the reader's locale and time zone, e.g. "23 Nov 2026, 14:05".
pub fn local_date_time(at: DateTime<Utc>) -> String {
    let options = Object::new();
    // Setting plain string properties on a fresh object cannot fail.
    let _ = Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = Reflect::set(&options, &"timeStyle".into(), &"short".into());
    Date::new(&JsValue::from_f64(at.timestamp_millis() as f64)).to_locale_string("default", &options).into()
}

/// A file size people can read: bytes, KB or MB (powers of 1024, as the 10 MB limit is).
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

/// How long until `due`, or how long past it, to the minute: "due in 3 h 12 min", "overdue by 25 min".
pub fn time_to_due(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if due > now { format!("due in {}", span(due - now)) } else { format!("overdue by {}", span(now - due)) }
}

/// A stretch of time in days and hours, or in hours and minutes when under a day.
fn span(length: TimeDelta) -> String {
    let minutes = length.num_minutes();
    match (minutes / (24 * 60), minutes / 60 % 24, minutes % 60) {
        (0, 0, 0) => "less than a minute".to_owned(),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}
