//! The deadline engine: notification duties as data ([`rules`]), holiday calendars
//! ([`calendar`]), due-time arithmetic ([`compute`]), what an incident's facts say ([`facts`]),
//! its obligations and the reminders and escalations they bring ([`obligation`]), and the
//! dashboard's figures ([`metrics`]).

pub mod calendar;
pub mod compute;
pub mod facts;
pub mod metrics;
pub mod obligation;
pub mod rules;
