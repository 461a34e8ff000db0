//! The embedded store: SQLite in WAL mode, one writer connection and one reader, migrations at open.
//!
//! rusqlite is blocking. Writes run in turn on one thread that owns the writer connection and
//! commits those that wait together as one transaction ([`writer`]; SQLite allows one writer
//! anyway, so there are no SQLITE_BUSY retries). Each write makes its changes in a savepoint.
//! Reads run on tokio's blocking pool.
//!
//! [`SqliteStore`] (in `store`) implements each store port in a file of its own; the conversions
//! between columns and records they share are in `codec`, the audit chain's append in `audit`,
//! and the writes other commits make (obligation rows, campaigns) beside the port that reads them.

mod accounts;
mod audit;
mod codec;
mod incidents;
mod notices;
mod obligations;
mod people;
mod policy;
mod reports;
mod store;
mod writer;

pub use store::SqliteStore;
