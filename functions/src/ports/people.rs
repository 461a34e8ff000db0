//! The affected-people register: the people of an incident, kept beside its record (a breach may
//! affect millions), with the aggregate the rules read kept up to date by every write.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::people::{Listed, Person, Population};
use shared::reference::Reference;

use super::error::StoreResult;

/// What a committed import or removal changed, and the register's aggregate after it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeopleChange {
    /// People new to the register.
    pub added: u64,
    /// People already in it, replaced by the import's line for them.
    pub updated: u64,
    pub removed: u64,
    /// People corrected out of the scope they were told in (another jurisdiction or other data
    /// elements): what they were told is taken back, so coverage never counts them.
    pub untold: u64,
    pub population: Population,
}

/// A person told, for one duty, by one notice or one accounting by the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told {
    pub person: String,
    pub duty: String,
    pub by: ToldBy,
    pub at: DateTime<Utc>,
}

/// What told a person: a customer notice, or the team's record of people told another way or
/// not required to be told (`shared::people::Accounting`), each by its id in the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToldBy {
    Notice(u32),
    Accounting(u32),
}

impl ToldBy {
    /// One number for both, as stores keep it: a notice's id, or an accounting's negated.
    pub fn key(self) -> i64 {
        match self {
            ToldBy::Notice(id) => i64::from(id),
            ToldBy::Accounting(id) => -i64::from(id),
        }
    }
}

/// People told, per duty.
pub type ToldCounts = BTreeMap<String, u64>;

/// One page of people, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeoplePage {
    /// Each with the duties they have been told for.
    pub people: Vec<Listed>,
    /// The last id of the page, where the next one starts; `None` on the last page.
    pub next_after: Option<String>,
}

/// An incident's affected people. An import is staged chunk by chunk, unseen, and becomes the
/// register's only when committed: a file with a bad line, or an import that stops, changes
/// nothing.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// Keeps `people` under `import`, unseen by reads until the import is committed. A chunk
    /// staged again (a retry) replaces what it staged before.
    async fn stage_people(&self, incident: &Reference, import: &str, people: &[Person]) -> StoreResult<()>;
    /// Makes the staged people the register's: each added, or replacing the person with the same
    /// id; the aggregate moves in the same write. A person whose jurisdiction or data elements
    /// change is no longer told for anything. Staging is emptied.
    async fn commit_import(&self, incident: &Reference, import: &str) -> StoreResult<PeopleChange>;
    /// Forgets what an import staged.
    async fn discard_import(&self, incident: &Reference, import: &str) -> StoreResult<()>;
    /// Removes people by id (ids not in the register are ignored), with the aggregate and what
    /// they were told.
    async fn remove_people(&self, incident: &Reference, ids: &[String]) -> StoreResult<PeopleChange>;
    /// People in id order, after `after`, at most `limit`.
    async fn people(&self, incident: &Reference, after: Option<&str>, limit: u32) -> StoreResult<PeoplePage>;
    /// The register's aggregate, read from the counts kept, never from the people.
    async fn population(&self, incident: &Reference) -> StoreResult<Population>;
    /// Records people told; a person already told for a duty stays as first told. Returns the
    /// people told per duty after it.
    async fn mark_told(&self, incident: &Reference, told: &[Told]) -> StoreResult<ToldCounts>;
    /// Takes back what one notice told a person (its message bounced).
    async fn unmark_told(&self, incident: &Reference, person: &str, by: ToldBy) -> StoreResult<ToldCounts>;
    /// The people of `ids` the register holds, in id order (ids it does not hold are left out).
    async fn people_by_id(&self, incident: &Reference, ids: &[String]) -> StoreResult<Vec<Listed>>;
    /// The people told per duty, read from the counts kept.
    async fn told_counts(&self, incident: &Reference) -> StoreResult<ToldCounts>;
}
