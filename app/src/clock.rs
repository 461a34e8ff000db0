//! The time, as the server keeps it, in the browser's time zone, through `js_sys::Date`: chrono
//! has no clock in wasm.

use std::cell::Cell;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use js_sys::Date;
use leptos::prelude::{Set, Signal, on_cleanup, set_interval_with_handle, signal};
use wasm_bindgen::JsValue;

thread_local! {
    /// How far the server's clock is ahead of this browser's, in milliseconds.
    static SERVER_AHEAD_MS: Cell<i64> = const { Cell::new(0) };
}

/// Differences below this are the `Date` header's whole seconds and the time on the wire.
const CLOCK_SKEW_TOLERANCE_MS: i64 = 3_000;

/// The time now by the server's clock, which decides the deadlines: a laptop whose clock is off
/// must not show a duty as still open when it is overdue.
pub fn now() -> DateTime<Utc> {
    let ms = Date::now() as i64 + SERVER_AHEAD_MS.with(Cell::get);
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Learns the server's time from an answer's `Date` header (RFC 7231, whole seconds).
pub fn observe_server_date(header: &str) {
    let Ok(server) = DateTime::parse_from_rfc2822(header) else { return };
    let ahead = server.timestamp_millis() - Date::now() as i64;
    SERVER_AHEAD_MS.with(|cell| cell.set(if ahead.abs() < CLOCK_SKEW_TOLERANCE_MS { 0 } else { ahead }));
}

/// Turns a `<input type="datetime-local">` value (local wall time, no offset) into RFC 3339 with
/// the browser's offset at that moment. Empty stays empty; anything unreadable is passed on
/// unchanged so that validation names the problem.
pub fn local_input_to_rfc3339(value: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        return String::new();
    }
    // ECMAScript reads a date-time without an offset as local time.
    let date = Date::new(&JsValue::from_str(value));
    let millis = date.get_time();
    if millis.is_nan() {
        return value.to_owned();
    }
    // getTimezoneOffset is UTC minus local, in minutes, so east of UTC is negative.
    let offset = FixedOffset::east_opt(-(date.get_timezone_offset() as i32) * 60);
    match (DateTime::from_timestamp_millis(millis as i64), offset) {
        (Some(utc), Some(offset)) => utc.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::Secs, false),
        _ => value.to_owned(),
    }
}

/// A `<input type="datetime-local">` value as an instant: `Ok(None)` when empty, `Err` when unreadable.
pub fn local_input_to_utc(value: &str) -> Result<Option<DateTime<Utc>>, ()> {
    let text = local_input_to_rfc3339(value);
    if text.is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(&text).map(|at| Some(at.with_timezone(&Utc))).map_err(|_| ())
}

/// An instant as a `<input type="datetime-local">` value in the browser's time zone, to the minute.
pub fn utc_to_local_input(at: DateTime<Utc>) -> String {
    let date = Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// The time now, moved on every second while the view that asked for it is shown: countdowns
/// read to the minute, and so turn over on time.
pub fn ticking() -> Signal<DateTime<Utc>> {
    let (current, set_current) = signal(now());
    if let Ok(handle) = set_interval_with_handle(move || set_current.set(now()), Duration::from_secs(1)) {
        on_cleanup(move || handle.clear());
    }
    current.into()
}
