//! The parts of an incident record and their forms: classification, roles, phases, tasks,
//! investigation, containment and review. The record that holds them lives in [`crate::record`].

pub mod classification;
pub mod containment;
pub mod investigation;
pub mod phase;
pub mod review;
pub mod roles;
pub mod tasks;
