//! Due times: elapsed hours in UTC; calendar days, business days and months on the dates of the
//! rule's time zone and holiday calendar.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::calendar::{Calendar, Calendars};
use super::rules::{ORGANISATION_CALENDAR, timezone_of};
use super::timing::Deadline;

/// A due time, and what the computation had to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub warnings: Vec<String>,
}

/// The instant a local date and time names; in a daylight-saving gap, the first instant after it.
pub fn local_instant(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = naive;
    loop {
        if let Some(at) = tz.from_local_datetime(&probe).earliest() {
            return at.with_timezone(&Utc);
        }
        probe += Duration::minutes(15);
    }
}

/// The last second of `date` in `tz`.
pub fn end_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let next_midnight = date.succ_opt().expect("dates stay far from the end of time").and_time(NaiveTime::MIN);
    local_instant(tz, next_midnight) - Duration::seconds(1)
}

pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// Resolves the calendar a rule names; `organisation` is the operator's own.
pub fn calendar<'a>(calendars: &'a Calendars, id: &str, organisation: &str) -> &'a Calendar {
    let id = if id == ORGANISATION_CALENDAR { organisation } else { id };
    calendars.get(id).expect("calendar ids are checked when rules and settings load")
}

struct DayCounter<'a> {
    calendar: &'a Calendar,
    warnings: Vec<String>,
}

impl DayCounter<'_> {
    fn is_business_day(&mut self, date: NaiveDate) -> bool {
        if !self.calendar.knows(date) {
            let warning = format!(
                "The {} calendar lists no holidays for {}; only weekends were skipped",
                self.calendar.id,
                date.year()
            );
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
        self.calendar.is_business_day(date)
    }

    /// The first business day on or after `date`.
    fn roll_forward(&mut self, mut date: NaiveDate) -> NaiveDate {
        while !self.is_business_day(date) {
            date = date.succ_opt().expect("dates stay far from the end of time");
        }
        date
    }

    /// The `days`th business day after `date` (`date` itself not counted).
    fn add_business_days(&mut self, mut date: NaiveDate, days: u32) -> NaiveDate {
        let mut counted = 0;
        while counted < days {
            date = date.succ_opt().expect("dates stay far from the end of time");
            if self.is_business_day(date) {
                counted += 1;
            }
        }
        date
    }
}

/// When a duty whose clock started at `anchor` falls due.
pub fn due_at(deadline: &Deadline, anchor: DateTime<Utc>, calendars: &Calendars, organisation: &str) -> Due {
    let mut warnings = Vec::new();
    let at = match deadline {
        Deadline::Hours(hours) => anchor + Duration::hours(i64::from(*hours)),
        Deadline::WithoutUndueDelay { target_hours } => anchor + Duration::hours(i64::from(*target_hours)),
        Deadline::CalendarDays { days, timezone, count_event_day, roll_to } => {
            let tz = timezone_of(timezone);
            let offset = i64::from(*days) - i64::from(*count_event_day && *days > 0);
            let mut last = local_date(tz, anchor) + Duration::days(offset);
            if let Some(id) = roll_to {
                let mut counter = DayCounter { calendar: calendar(calendars, id, organisation), warnings: Vec::new() };
                last = counter.roll_forward(last);
                warnings.append(&mut counter.warnings);
            }
            end_of_day(tz, last)
        }
        Deadline::BusinessDays { days, calendar: id, cutoff } => {
            let mut counter = DayCounter { calendar: calendar(calendars, id, organisation), warnings: Vec::new() };
            let tz = counter.calendar.timezone;
            let start = local_date(tz, anchor);
            let last = if *days == 0 { counter.roll_forward(start) } else { counter.add_business_days(start, *days) };
            warnings.append(&mut counter.warnings);
            match cutoff {
                Some(time) => local_instant(tz, last.and_time(*time)),
                None => end_of_day(tz, last),
            }
        }
        Deadline::Months { months, timezone } => {
            let tz = timezone_of(timezone);
            // chrono clamps to the month's last day when the date does not exist in it.
            let last = local_date(tz, anchor) + Months::new(*months);
            end_of_day(tz, last)
        }
        Deadline::DaysAfterYearEnd { days, timezone } => {
            let tz = timezone_of(timezone);
            let year_end = NaiveDate::from_ymd_opt(local_date(tz, anchor).year(), 12, 31).expect("31 December exists");
            end_of_day(tz, year_end + Duration::days(i64::from(*days)))
        }
    };
    Due { at, warnings }
}

#[cfg(test)]
mod tests;
