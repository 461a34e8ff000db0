//! A duty's timing: the instant its clock starts from ([`Anchor`]), how long it runs
//! ([`Deadline`]), and the second clock that can cut it short ([`Cap`]).

use std::fmt;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use super::calendar::parse_timezone;

/// The instant a clock starts from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Anchor {
    /// When the incident itself happened, if known.
    Occurred,
    /// The first signal: a report, an alert, or a declared detection time.
    Detected,
    /// Reasonable certainty that personal data was compromised (GDPR "becomes aware").
    Aware,
    /// The first day the breach was known to anyone in the organisation (HIPAA "discovery").
    Discovered,
    /// The determination or assessment that a breach occurred (US states, SEC, PIPEDA, Singapore).
    Determined,
    /// The breach verdict was confirmed.
    Confirmed,
    Contained,
    Recovered,
    Closed,
    /// When the obligation with this rule id was met (notice sent or filing made).
    Met(String),
    /// The organisation's last policy review. Rules that start here are the organisation's
    /// standing duties, kept in the policy register rather than on any incident.
    PolicyReviewed,
}

impl Anchor {
    pub const INCIDENT: [Anchor; 9] = [
        Anchor::Occurred,
        Anchor::Detected,
        Anchor::Aware,
        Anchor::Discovered,
        Anchor::Determined,
        Anchor::Confirmed,
        Anchor::Contained,
        Anchor::Recovered,
        Anchor::Closed,
    ];

    pub fn label(&self) -> String {
        match self {
            Anchor::Occurred => "Occurred".into(),
            Anchor::Detected => "Detected".into(),
            Anchor::Aware => "Became aware".into(),
            Anchor::Discovered => "Discovered".into(),
            Anchor::Determined => "Breach determined".into(),
            Anchor::Confirmed => "Breach confirmed".into(),
            Anchor::Contained => "Contained".into(),
            Anchor::Recovered => "Recovered".into(),
            Anchor::Closed => "Closed".into(),
            Anchor::Met(rule) => format!("{rule} met"),
            Anchor::PolicyReviewed => "Policy last reviewed".into(),
        }
    }

    /// Whether rules starting here belong to the organisation rather than to an incident.
    pub fn is_organisation(&self) -> bool {
        *self == Anchor::PolicyReviewed
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from(self.clone()))
    }
}

impl TryFrom<String> for Anchor {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Ok(match text.as_str() {
            "occurred" => Anchor::Occurred,
            "detected" => Anchor::Detected,
            "aware" => Anchor::Aware,
            "discovered" => Anchor::Discovered,
            "determined" => Anchor::Determined,
            "confirmed" => Anchor::Confirmed,
            "contained" => Anchor::Contained,
            "recovered" => Anchor::Recovered,
            "closed" => Anchor::Closed,
            "policy_reviewed" => Anchor::PolicyReviewed,
            other => match other.strip_prefix("met:") {
                Some(rule) if !rule.is_empty() => Anchor::Met(rule.to_owned()),
                _ => {
                    return Err(format!(
                        "{other:?} is not a clock anchor: use occurred, detected, aware, discovered, determined, \
                         confirmed, contained, recovered, closed, policy_reviewed or met:<rule id>"
                    ));
                }
            },
        })
    }
}

impl From<Anchor> for String {
    fn from(anchor: Anchor) -> String {
        match anchor {
            Anchor::Occurred => "occurred".into(),
            Anchor::Detected => "detected".into(),
            Anchor::Aware => "aware".into(),
            Anchor::Discovered => "discovered".into(),
            Anchor::Determined => "determined".into(),
            Anchor::Confirmed => "confirmed".into(),
            Anchor::Contained => "contained".into(),
            Anchor::Recovered => "recovered".into(),
            Anchor::Closed => "closed".into(),
            Anchor::Met(rule) => format!("met:{rule}"),
            Anchor::PolicyReviewed => "policy_reviewed".into(),
        }
    }
}

/// How long after the anchor the duty falls due. Written in the rules file as one inline table,
/// such as `{ hours = 72 }` or `{ business_days = 4, calendar = "us-federal", cutoff = "17:30" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DeadlineSpec", into = "DeadlineSpec")]
pub enum Deadline {
    /// Elapsed hours in UTC: nights, weekends and holidays all count.
    Hours(u32),
    /// The end of the day `days` after the anchor's date in `timezone` (the anchor's day is not
    /// counted unless `count_event_day`); moved to the next business day of `roll_to` if given.
    CalendarDays { days: u32, timezone: String, count_event_day: bool, roll_to: Option<String> },
    /// The end (or `cutoff`) of the `days`th business day after the anchor's date in the
    /// calendar's time zone.
    BusinessDays { days: u32, calendar: String, cutoff: Option<NaiveTime> },
    /// The same date `months` later, or that month's last day if it has no such date.
    Months { months: u32, timezone: String },
    /// `days` after the end of the calendar year in which the anchor falls.
    DaysAfterYearEnd { days: u32, timezone: String },
    /// No fixed period in law ("without undue delay", "as soon as practicable"): a target.
    WithoutUndueDelay { target_hours: u32 },
}

/// The rules file's form of [`Deadline`].
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSpec {
    pub hours: Option<u32>,
    pub calendar_days: Option<u32>,
    pub business_days: Option<u32>,
    pub months: Option<u32>,
    pub days_after_year_end: Option<u32>,
    pub without_undue_delay_target_hours: Option<u32>,
    pub timezone: Option<String>,
    pub calendar: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub count_event_day: bool,
    pub roll_to: Option<String>,
    pub cutoff: Option<String>,
}

impl TryFrom<DeadlineSpec> for Deadline {
    type Error = String;

    fn try_from(spec: DeadlineSpec) -> Result<Self, String> {
        let periods = [
            spec.hours.is_some(),
            spec.calendar_days.is_some(),
            spec.business_days.is_some(),
            spec.months.is_some(),
            spec.days_after_year_end.is_some(),
            spec.without_undue_delay_target_hours.is_some(),
        ];
        if periods.iter().filter(|p| **p).count() != 1 {
            return Err("a deadline needs exactly one of hours, calendar_days, business_days, months, \
                        days_after_year_end or without_undue_delay_target_hours"
                .into());
        }
        let timezone = |period: &str| {
            let zone = spec.timezone.clone().ok_or_else(|| format!("{period} needs a timezone"))?;
            parse_timezone(&zone)?;
            Ok::<_, String>(zone)
        };
        let unexpected = |field: &str, present: bool, period: &str| {
            if present { Err(format!("{field} does not apply to {period}")) } else { Ok(()) }
        };
        if let Some(hours) = spec.hours {
            unexpected("timezone", spec.timezone.is_some(), "hours (they count in UTC)")?;
            return Ok(Deadline::Hours(hours));
        }
        if let Some(target_hours) = spec.without_undue_delay_target_hours {
            return Ok(Deadline::WithoutUndueDelay { target_hours });
        }
        unexpected("count_event_day", spec.count_event_day && spec.calendar_days.is_none(), "this deadline")?;
        unexpected("roll_to", spec.roll_to.is_some() && spec.calendar_days.is_none(), "this deadline")?;
        unexpected("cutoff", spec.cutoff.is_some() && spec.business_days.is_none(), "this deadline")?;
        if let Some(days) = spec.calendar_days {
            return Ok(Deadline::CalendarDays {
                days,
                timezone: timezone("calendar_days")?,
                count_event_day: spec.count_event_day,
                roll_to: spec.roll_to,
            });
        }
        if let Some(days) = spec.business_days {
            unexpected("timezone", spec.timezone.is_some(), "business_days (the calendar has one)")?;
            let calendar = spec.calendar.ok_or("business_days needs a calendar")?;
            let cutoff = spec
                .cutoff
                .map(|c| {
                    NaiveTime::parse_from_str(&c, "%H:%M")
                        .map_err(|_| format!("cutoff {c:?} is not a time such as 17:30"))
                })
                .transpose()?;
            return Ok(Deadline::BusinessDays { days, calendar, cutoff });
        }
        if let Some(months) = spec.months {
            return Ok(Deadline::Months { months, timezone: timezone("months")? });
        }
        let days = spec.days_after_year_end.expect("one period is present");
        Ok(Deadline::DaysAfterYearEnd { days, timezone: timezone("days_after_year_end")? })
    }
}

impl From<Deadline> for DeadlineSpec {
    fn from(deadline: Deadline) -> Self {
        match deadline {
            Deadline::Hours(hours) => Self { hours: Some(hours), ..Self::default() },
            Deadline::CalendarDays { days, timezone, count_event_day, roll_to } => Self {
                calendar_days: Some(days),
                timezone: Some(timezone),
                count_event_day,
                roll_to,
                ..Self::default()
            },
            Deadline::BusinessDays { days, calendar, cutoff } => Self {
                business_days: Some(days),
                calendar: Some(calendar),
                cutoff: cutoff.map(|c| c.format("%H:%M").to_string()),
                ..Self::default()
            },
            Deadline::Months { months, timezone } => {
                Self { months: Some(months), timezone: Some(timezone), ..Self::default() }
            }
            Deadline::DaysAfterYearEnd { days, timezone } => {
                Self { days_after_year_end: Some(days), timezone: Some(timezone), ..Self::default() }
            }
            Deadline::WithoutUndueDelay { target_hours } => {
                Self { without_undue_delay_target_hours: Some(target_hours), ..Self::default() }
            }
        }
    }
}

impl Deadline {
    pub fn describe(&self) -> String {
        match self {
            Deadline::Hours(h) => format!("{h} hours"),
            Deadline::CalendarDays { days, .. } => format!("{days} calendar days"),
            Deadline::BusinessDays { days, calendar, .. } => format!("{days} business days ({calendar})"),
            Deadline::Months { months: 1, .. } => "1 month".into(),
            Deadline::Months { months, .. } => format!("{months} months"),
            Deadline::DaysAfterYearEnd { days, .. } => format!("{days} days after the end of the year"),
            Deadline::WithoutUndueDelay { target_hours } => {
                format!("without undue delay (target {target_hours} hours)")
            }
        }
    }

    pub(super) fn calendar_ids(&self) -> impl Iterator<Item = &str> {
        let (calendar, roll) = match self {
            Deadline::BusinessDays { calendar, .. } => (Some(calendar.as_str()), None),
            Deadline::CalendarDays { roll_to, .. } => (None, roll_to.as_deref()),
            _ => (None, None),
        };
        calendar.into_iter().chain(roll)
    }
}

/// "And in any event no later than" a second clock, which binds when it is the earlier one
/// (DORA: 4 h after classification, but no later than 24 h after awareness).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    pub anchor: Anchor,
    pub hours: u32,
}
