//! Adapters behind the ports. The embedded set (SQLite, local files, outbox) is the default; the
//! AWS set (DynamoDB, S3, SES v2) is compiled with the `aws` feature.

pub mod local_files;
mod mime;
pub mod outbox;
/// The JSON of S3's event notifications; no SDK needed to read it.
pub mod s3_events;
mod serial;
/// The JSON of SES's published events; no SDK needed to read it.
pub mod ses_events;
/// The JSON of SES receiving's Lambda action; no SDK needed either.
pub mod ses_inbound;
#[cfg(feature = "local")]
pub mod sqlite;

#[cfg(feature = "aws")]
pub mod dynamodb;
#[cfg(feature = "aws")]
pub mod s3;
#[cfg(feature = "aws")]
pub mod ses;
