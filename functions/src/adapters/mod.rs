//! Adapters behind the ports. The embedded set (SQLite, local files, outbox) is the default; the
//! AWS set (DynamoDB, S3, SES v2) is compiled with the `aws` feature.

pub mod local_files;
mod mime;
pub mod outbox;
pub mod sqlite;

#[cfg(feature = "aws")]
pub mod dynamodb;
#[cfg(feature = "aws")]
pub mod s3;
#[cfg(feature = "aws")]
pub mod ses;
