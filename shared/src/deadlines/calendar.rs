//! Holiday calendars as data: which days count as business days in a jurisdiction, and in which
//! time zone its dates are read.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

/// The calendars shipped with Tocsin (`shared/rules/calendars.toml`).
pub const BUILT_IN_CALENDARS: &str = include_str!("../../rules/calendars.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarsFile {
    #[serde(rename = "calendar")]
    pub calendars: Vec<CalendarSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub weekend: Vec<String>,
    pub first_year: i32,
    pub last_year: i32,
    pub holidays: Vec<HolidaySpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaySpec {
    pub date: NaiveDate,
    pub name: String,
}

/// A checked calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub id: String,
    pub name: String,
    pub timezone: Tz,
    weekend: Vec<Weekday>,
    /// The years whose holidays are listed; outside them only weekends are known.
    pub years: std::ops::RangeInclusive<i32>,
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !self.weekend.contains(&date.weekday()) && !self.holidays.contains(&date)
    }

    /// Whether this calendar lists holidays for the year of `date`. When it does not, business
    /// days are counted as weekdays only, which errs early, and the obligation says so.
    pub fn knows(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    /// A calendar with weekends only, for time zones without a listed calendar.
    pub fn weekends_only(timezone: Tz) -> Self {
        Self {
            id: format!("weekdays:{}", timezone.name()),
            name: format!("Weekdays ({})", timezone.name()),
            timezone,
            weekend: vec![Weekday::Sat, Weekday::Sun],
            years: i32::MIN..=i32::MAX,
            holidays: BTreeSet::new(),
        }
    }
}

/// Every calendar by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendars(BTreeMap<String, Calendar>);

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| format!("{name:?} is not an IANA time zone such as Europe/Paris"))
}

impl Calendars {
    /// Checks calendar files; later files add calendars or replace ones with the same id.
    /// Every problem is reported, each naming its calendar.
    pub fn from_files(files: &[CalendarsFile]) -> Result<Self, Vec<String>> {
        let mut calendars = BTreeMap::new();
        let mut errors = Vec::new();
        for spec in files.iter().flat_map(|f| &f.calendars) {
            match Calendar::try_from(spec) {
                Ok(calendar) => {
                    calendars.insert(calendar.id.clone(), calendar);
                }
                Err(problems) => errors.extend(problems.into_iter().map(|p| format!("calendar {:?}: {p}", spec.id))),
            }
        }
        if errors.is_empty() { Ok(Self(calendars)) } else { Err(errors) }
    }

    /// The calendars shipped with Tocsin.
    pub fn built_in() -> Self {
        let file: CalendarsFile = toml::from_str(BUILT_IN_CALENDARS).expect("the built-in calendars parse");
        Self::from_files(&[file]).expect("the built-in calendars are checked by tests")
    }

    pub fn get(&self, id: &str) -> Option<&Calendar> {
        self.0.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl TryFrom<&CalendarSpec> for Calendar {
    type Error = Vec<String>;

    fn try_from(spec: &CalendarSpec) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        if spec.id.trim().is_empty() {
            errors.push("the id is empty".to_owned());
        }
        let timezone = parse_timezone(&spec.timezone).map_err(|e| errors.push(e)).ok();
        let mut weekend = Vec::new();
        for name in &spec.weekend {
            match weekday(name) {
                Some(day) => weekend.push(day),
                None => errors.push(format!("{name:?} is not a weekday such as \"sat\"")),
            }
        }
        if spec.first_year > spec.last_year {
            errors.push(format!("first_year {} is after last_year {}", spec.first_year, spec.last_year));
        }
        let mut holidays = BTreeSet::new();
        for holiday in &spec.holidays {
            if !(spec.first_year..=spec.last_year).contains(&holiday.date.year()) {
                errors.push(format!(
                    "{} ({}) is outside {}–{}",
                    holiday.date, holiday.name, spec.first_year, spec.last_year
                ));
            }
            if !holidays.insert(holiday.date) {
                errors.push(format!("{} is listed twice", holiday.date));
            }
        }
        match timezone {
            Some(timezone) if errors.is_empty() => Ok(Self {
                id: spec.id.clone(),
                name: spec.name.clone(),
                timezone,
                weekend,
                years: spec.first_year..=spec.last_year,
                holidays,
            }),
            _ => Err(errors),
        }
    }
}
