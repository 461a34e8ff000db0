//! Use cases: what Tocsin does, in terms of the ports only. HTTP handlers and Lambda entry points
//! call these; the same code runs on every adapter set.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod bot_barrier;
pub mod commit;
pub mod credentials;
pub mod dashboard;
pub mod deadlines;
pub mod email;
pub mod email_intake;
pub mod error;
pub mod export;
pub mod export_templates;
pub mod imports;
pub mod inbound_email;
pub mod intake;
pub mod markdown;
pub mod notices;
pub mod notifications;
pub mod oidc;
pub mod oidc_provider;
pub mod participants;
pub mod people;
pub mod policy;
pub mod security_log;
pub mod services;
pub mod team;
pub mod token;
pub mod workflow;

pub use error::ServiceError;
pub use services::{AlertIntake, CampaignSettings, DeadlineContacts, Services, Upload};
