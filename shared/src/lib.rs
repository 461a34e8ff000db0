//! Tocsin's domain crate, shared by the browser app and the server.
//!
//! Everything here is pure: no I/O, no clock, no randomness. Callers pass `now` in, and the
//! server generates ids. That keeps the rules identical on both sides and easy to test.

pub mod access;
pub mod address;
pub mod api;
pub mod attachment;
pub mod audit;
pub mod data_elements;
pub mod deadlines;
pub mod filings;
pub mod inbound;
pub mod incident;
pub mod metrics;
pub mod notices;
pub mod notifications;
pub mod people;
pub mod policy;
pub mod record;
pub mod reference;
pub mod report;
pub mod time;
pub mod validation;
pub mod workflow;
