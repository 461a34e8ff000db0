//! API tests against a real server on port 0. One binary, so it links once.

mod access_matrix;
mod accounts;
mod audit;
mod bad_input;
mod dashboard;
mod deadlines;
mod email_intake;
mod follow_up;
mod intake;
mod notices;
mod notifications;
mod people;
mod restricted;
mod security;
mod sso;
mod workflow;
