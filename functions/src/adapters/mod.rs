//! Adapters behind the ports. The embedded set (SQLite, local files, outbox) is the default.

pub mod local_files;
pub mod outbox;
pub mod sqlite;
