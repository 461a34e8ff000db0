//! The incident response workflow: classification, roles, phases, tasks, investigation,
//! containment, review, and the audit trail that records every change.

pub mod audit;
pub mod classification;
pub mod containment;
pub mod investigation;
pub mod phase;
pub mod record;
pub mod review;
pub mod roles;
pub mod tasks;
