//! The incident record and the one way it changes: a command is checked against the record
//! ([`decide`]) and becomes events, and events are applied ([`IncidentRecord::apply`]). Events are
//! what the audit trail stores, so the record can always be rebuilt from its trail.
//!
//! This layer sits above the record's parts (`workflow`) and the engines that know no record
//! (`deadlines`, `notices`, `filings`, `notifications`); [`effects`] and [`drafts`] build the
//! views those engines read and turn their answers into events.

mod apply;
mod commands;
mod decide;
mod describe;
pub mod drafts;
pub mod effects;
mod events;
mod state;
#[cfg(test)]
mod tests;

pub use commands::{Context, IncidentCommand, NOTE_MAX, VerdictChoice, WorkflowError};
pub use decide::{EVIDENCE_MAX, STAKEHOLDERS_MAX, decide, meet_obligation, opening};
pub use describe::describe;
pub use events::IncidentEvent;
pub use state::{AlertSighting, IncidentRecord, Observed, Origin, PhaseChange, Sourced};
