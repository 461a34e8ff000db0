//! Dates and sizes as people read them.

use chrono::{DateTime, Utc};
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
