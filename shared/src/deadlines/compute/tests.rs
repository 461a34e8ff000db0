use chrono::Weekday;
use proptest::prelude::*;

use super::*;

fn calendars() -> Calendars {
    Calendars::built_in()
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn business(days: u32, calendar: &str) -> Deadline {
    Deadline::BusinessDays { days, calendar: calendar.into(), cutoff: None }
}

#[test]
fn hours_run_through_nights_weekends_and_holidays() {
    // Friday 25 Dec 2026 18:00 UTC + 72 h: Christmas and the weekend count.
    let due = due_at(&Deadline::Hours(72), utc("2026-12-25T18:00:00Z"), &calendars(), "us-federal");
    assert_eq!(due.at, utc("2026-12-28T18:00:00Z"));
    assert!(due.warnings.is_empty());
}

#[test]
fn sec_four_business_days_skip_weekends_and_federal_holidays() {
    let sec = Deadline::BusinessDays {
        days: 4,
        calendar: "us-federal".into(),
        cutoff: Some(NaiveTime::from_hms_opt(17, 30, 0).unwrap()),
    };
    // Determined Friday 6 Nov 2026 (New York): Mon 9, Tue 10, Wed 11 is Veterans Day, Thu 12, Fri 13.
    let due = due_at(&sec, utc("2026-11-06T15:00:00Z"), &calendars(), "us-federal");
    assert_eq!(due.at, utc("2026-11-13T22:30:00Z"));
    // Saturday 7 Nov: the count starts on Monday, so the same Friday.
    let due = due_at(&sec, utc("2026-11-07T15:00:00Z"), &calendars(), "us-federal");
    assert_eq!(due.at, utc("2026-11-13T22:30:00Z"));
}

#[test]
fn five_business_days_in_the_uk_skip_the_christmas_bank_holidays() {
    // Recovered Wed 23 Dec 2026 (London): Thu 24, [25 Fri, 28 Mon substitute], Tue 29, Wed 30, Thu 31, [1 Jan], Mon 4.
    let due = due_at(&business(5, "gb-eaw"), utc("2026-12-23T10:00:00Z"), &calendars(), "gb-eaw");
    assert_eq!(due.at, utc("2027-01-04T23:59:59Z"));
}

#[test]
fn the_anchor_date_is_read_in_the_rules_time_zone() {
    // 23:30 UTC on Friday is already Saturday in Berlin; Brazil's 3 business days from Sunday
    // evening São Paulo time (Monday UTC) start counting from Sunday.
    let br = business(3, "br");
    let due = due_at(&br, utc("2026-11-23T01:00:00Z"), &calendars(), "br");
    // Sunday 22 Nov in São Paulo: Mon 23, Tue 24, Wed 25.
    assert_eq!(due.at, utc("2026-11-26T02:59:59Z"));
    let de = Deadline::CalendarDays {
        days: 1,
        timezone: "Europe/Berlin".into(),
        count_event_day: false,
        roll_to: Some("de".into()),
    };
    // Friday 23:30 UTC = Saturday 00:30 in Berlin; +1 day is Sunday, rolled to Monday.
    let due = due_at(&de, utc("2026-11-20T23:30:00Z"), &calendars(), "de");
    assert_eq!(due.at, utc("2026-11-23T22:59:59Z"));
}

#[test]
fn japan_counts_the_day_of_learning_and_rolls_past_the_year_end_closure() {
    let jp = Deadline::CalendarDays {
        days: 30,
        timezone: "Asia/Tokyo".into(),
        count_event_day: true,
        roll_to: Some("jp-ppc".into()),
    };
    // Learned 1 Dec 2026 (Tokyo): day 30 is 30 Dec, closed until 3 Jan; 4 Jan 2027 is a Monday.
    let due = due_at(&jp, utc("2026-12-01T03:00:00Z"), &calendars(), "jp-ppc");
    assert_eq!(due.at, utc("2027-01-04T14:59:59Z"));
}

#[test]
fn months_clamp_to_the_end_of_the_month() {
    let month = Deadline::Months { months: 1, timezone: "Europe/Brussels".into() };
    let due = due_at(&month, utc("2027-01-31T12:00:00Z"), &calendars(), "de");
    assert_eq!(due.at, utc("2027-02-28T22:59:59Z"));
    let due = due_at(&month, utc("2028-01-31T12:00:00Z"), &calendars(), "de");
    assert_eq!(due.at, utc("2028-02-29T22:59:59Z"));
}

#[test]
fn the_hipaa_log_is_due_sixty_days_after_the_year_ends() {
    let log = Deadline::DaysAfterYearEnd { days: 60, timezone: "America/New_York".into() };
    assert_eq!(due_at(&log, utc("2026-05-01T12:00:00Z"), &calendars(), "us-federal").at, utc("2027-03-02T04:59:59Z"));
    assert_eq!(due_at(&log, utc("2027-05-01T12:00:00Z"), &calendars(), "us-federal").at, utc("2028-03-01T04:59:59Z"));
}

#[test]
fn a_year_without_listed_holidays_counts_weekdays_and_says_so() {
    let due = due_at(&business(5, "us-federal"), utc("2031-07-01T15:00:00Z"), &calendars(), "us-federal");
    assert_eq!(due.at, utc("2031-07-09T03:59:59Z"));
    assert_eq!(due.warnings, ["The us-federal calendar lists no holidays for 2031; only weekends were skipped"]);
}

#[test]
fn the_built_in_calendars_load_with_their_holidays() {
    let calendars = calendars();
    let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    for id in ["us-federal", "gb-eaw", "de", "ie", "br"] {
        let calendar = calendars.get(id).unwrap_or_else(|| panic!("{id} is missing"));
        assert!(!calendar.is_business_day(date("2026-12-25")), "{id}: Christmas");
        assert!(calendar.is_business_day(date("2026-11-24")), "{id}: an ordinary Tuesday");
    }
    assert!(!calendars.get("jp-ppc").unwrap().is_business_day(date("2026-12-30")));
    assert!(!calendars.get("us-federal").unwrap().is_business_day(date("2026-11-26")), "Thanksgiving");
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2025-01-01 to 2030-12-31, where the calendars list holidays.
    (1_735_689_600i64..1_924_905_600).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

proptest! {
    #[test]
    fn hour_deadlines_are_exact_elapsed_time(anchor in instant(), hours in 0u32..2_000) {
        let due = due_at(&Deadline::Hours(hours), anchor, &calendars(), "us-federal");
        prop_assert_eq!(due.at - anchor, Duration::hours(i64::from(hours)));
    }

    #[test]
    fn business_day_deadlines_land_on_the_nth_business_day(
        anchor in instant(),
        days in 1u32..30,
        id in prop::sample::select(vec!["us-federal", "gb-eaw", "de", "ie", "br", "jp-ppc"]),
    ) {
        let calendars = calendars();
        let calendar = calendars.get(id).unwrap().clone();
        let due = due_at(&business(days, id), anchor, &calendars, id);
        let start = local_date(calendar.timezone, anchor);
        let last = local_date(calendar.timezone, due.at);
        prop_assert!(calendar.is_business_day(last));
        prop_assert!(![Weekday::Sat, Weekday::Sun].contains(&last.weekday()));
        let counted = start.iter_days().skip(1).take_while(|d| *d <= last).filter(|d| calendar.is_business_day(*d)).count();
        prop_assert_eq!(counted, days as usize);
        // The due time is the day's last second there.
        prop_assert_eq!(end_of_day(calendar.timezone, last), due.at);
    }

    #[test]
    fn calendar_day_deadlines_end_on_the_local_date(
        anchor in instant(),
        days in 0u32..120,
        zone in prop::sample::select(vec!["America/New_York", "Europe/London", "Asia/Tokyo", "America/Sao_Paulo", "Asia/Singapore"]),
    ) {
        let deadline = Deadline::CalendarDays { days, timezone: zone.into(), count_event_day: false, roll_to: None };
        let tz: Tz = zone.parse().unwrap();
        let due = due_at(&deadline, anchor, &calendars(), "us-federal");
        prop_assert_eq!(local_date(tz, due.at), local_date(tz, anchor) + Duration::days(i64::from(days)));
        prop_assert_eq!(local_date(tz, due.at + Duration::seconds(1)), local_date(tz, due.at) + Duration::days(1));
    }

    #[test]
    fn month_deadlines_keep_the_day_or_clamp_to_the_months_end(anchor in instant(), months in 1u32..14) {
        let deadline = Deadline::Months { months, timezone: "Europe/Paris".into() };
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let start = local_date(tz, anchor);
        let end = local_date(tz, due_at(&deadline, anchor, &calendars(), "de").at);
        let month_index = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
        prop_assert_eq!(month_index(end) - month_index(start), months as i32);
        let clamped = end.succ_opt().unwrap().month() != end.month();
        prop_assert!(end.day() == start.day() || (clamped && end.day() < start.day()));
    }
}
