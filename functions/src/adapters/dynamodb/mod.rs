//! The DynamoDB store: one table, the key design in `docs/dynamodb.md`. Every read is a `GetItem`
//! or a `Query`; every change that spans items is one `TransactWriteItems`; updates are
//! conditional on a `version` attribute, so a lost race is a conflict, never an overwrite.
//!
//! [`DynamoStore`] (in `store`: the client, the table, and the reads and transactions every port
//! uses) implements each store port in a file of its own. Items' keys are made in `keys` only,
//! typed attributes read in `attributes`, and items turned into records in `codec`.

mod accounts;
mod attributes;
mod audit;
mod codec;
mod incidents;
mod keys;
mod notices;
mod obligations;
mod people;
mod policy;
mod reports;
mod store;

pub use store::DynamoStore;
