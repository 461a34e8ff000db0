//! The deadline engine: notification duties as data ([`rules`]), holiday calendars
//! ([`calendar`]), due-time arithmetic ([`compute`]), the facts the conditions read ([`facts`]),
//! and obligations with the reminders and escalations they bring ([`obligation`]). It knows no
//! incident record: `record::effects` builds the facts from one.

pub mod calendar;
pub mod compute;
pub mod facts;
pub mod jurisdiction;
pub mod obligation;
pub mod rules;
pub mod timing;
