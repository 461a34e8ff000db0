//! The AWS store's affected-people register (keys in `docs/dynamodb.md`). An import is staged in
//! a partition of its own; committing moves it into the register a transaction at a time, each
//! moving people, deleting what it moved from staging and updating the counts together, so an
//! interrupted commit resumes where it stopped and counts each person once. A person's write is
//! conditional on the group read, so two imports racing on one person conflict and retry.

use std::collections::HashMap;

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, KeysAndAttributes, TransactWriteItem, Update};
use chrono::Utc;
use shared::people::{GroupKey, Listed, Person, Population};
use shared::reference::Reference;

use super::attributes::{Attributes, Item, corrupt, n, s};
use super::keys::{key, people_pk, person_sk, staged_pk, told_person_prefix, told_pk, told_sk};
use super::store::{DynamoStore, put, store_error};
use crate::ports::{PeopleChange, PeoplePage, PeopleStore, StoreError, StoreResult, Told, ToldBy, ToldCounts};

const GROUPS_SK: &str = "GROUPS";
/// The counts item holds one number attribute per group, named by its key after this prefix.
const GROUP_PREFIX: &str = "G|";
/// The people told per duty: one number attribute per duty, named by its id after `D|`. It sorts
/// before `PERSON#`, as `GROUPS` does, so a page of people never reads it.
const TOLD_SK: &str = "COVERAGE";
const DUTY_PREFIX: &str = "D|";
/// People per transaction: each a put and a delete, beside the counts' update, within
/// TransactWriteItems' 100 actions.
const PEOPLE_PER_COMMIT: usize = 49;
/// Removals per transaction, beside the counts' update.
const REMOVALS_PER_COMMIT: usize = 99;
/// How long staged people wait for their import's commit before the table's TTL removes them.
const STAGED_FOR_DAYS: i64 = 7;
/// A transaction that lost a race with another write to one of its people is tried again.
const ATTEMPTS: usize = 5;

fn json(person: &Person) -> StoreResult<String> {
    serde_json::to_string(person).context("encoding a person").map_err(StoreError::Unexpected)
}

fn person_of(item: &Item) -> StoreResult<Person> {
    serde_json::from_str(item.text("person")?).map_err(|_| corrupt("person"))
}

impl DynamoStore {
    /// The items of `keys` that exist, with the attributes `projection` names.
    async fn batch_get(&self, keys: Vec<Item>, projection: &str) -> StoreResult<Vec<Item>> {
        let mut request = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .projection_expression(projection)
                .consistent_read(true)
                .build()
                .context("building a BatchGetItem")?,
        );
        let mut found = Vec::new();
        while let Some(keys) = request.take() {
            let output = self
                .client
                .batch_get_item()
                .request_items(self.table.clone(), keys)
                .send()
                .await
                .map_err(store_error)?;
            found.extend(output.responses().and_then(|r| r.get(&self.table)).into_iter().flatten().cloned());
            request = output.unprocessed_keys().and_then(|u| u.get(&self.table)).cloned();
            if request.is_some() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        Ok(found)
    }

    /// The group each of `ids` is counted in now, for those in the register, and the duties they
    /// were told for (which a correction keeps).
    async fn current_groups(
        &self,
        incident: Reference,
        ids: &[String],
    ) -> StoreResult<HashMap<String, (String, Option<AttributeValue>)>> {
        let keys = ids.iter().map(|id| key(people_pk(incident), &person_sk(id))).collect();
        let mut groups = HashMap::new();
        for item in self.batch_get(keys, "SK, grp, told").await? {
            let id = item.text("SK")?.trim_start_matches("PERSON#").to_owned();
            groups.insert(id, (item.text("grp")?.to_owned(), item.get("told").cloned()));
        }
        Ok(groups)
    }

    /// The update that moves the counts item `sk` by `deltas` (attributes named `prefix` + key),
    /// if any moves.
    fn counts_update(
        &self,
        incident: Reference,
        (sk, prefix): (&str, &str),
        deltas: &HashMap<String, i64>,
    ) -> StoreResult<Option<TransactWriteItem>> {
        let moving: Vec<(&String, &i64)> = deltas.iter().filter(|(_, d)| **d != 0).collect();
        if moving.is_empty() {
            return Ok(None);
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(people_pk(incident), sk)))
            .expression_attribute_values(":zero", n(0));
        let mut sets = Vec::new();
        for (index, (group, delta)) in moving.into_iter().enumerate() {
            sets.push(format!("#g{index} = if_not_exists(#g{index}, :zero) + :d{index}"));
            update = update
                .expression_attribute_names(format!("#g{index}"), format!("{prefix}{group}"))
                .expression_attribute_values(format!(":d{index}"), n(delta));
        }
        let update =
            update.update_expression(format!("SET {}", sets.join(", "))).build().context("building an Update")?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// A write to the person `id` only while they are still counted in `group` (or absent).
    fn condition_on(group: Option<&String>) -> (&'static str, Option<AttributeValue>) {
        match group {
            Some(g) => ("grp = :was", Some(s(g.clone()))),
            None => ("attribute_not_exists(PK)", None),
        }
    }

    /// Moves one chunk of staged people into the register; `(added, updated)`.
    /// One chunk of an import: people told before and corrected out of the scope they were told
    /// in are untold first (so a stop in between errs toward telling again), then each person is
    /// written with the counts. Returns (added, updated, untold).
    async fn commit_chunk(&self, incident: Reference, import: &str, staged: &[Item]) -> StoreResult<(u64, u64, u64)> {
        let people = staged.iter().map(person_of).collect::<StoreResult<Vec<_>>>()?;
        let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
        let mut current = self.current_groups(incident, &ids).await?;
        let mut untold = 0;
        for person in &people {
            let Some((was, told @ Some(_))) = current.get_mut(&person.id) else { continue };
            let moved = GroupKey::decode(was).is_none_or(|was| !was.same_scope(&person.group()));
            if moved {
                let items = self.told_items(incident, &person.id).await?;
                if !items.is_empty() {
                    self.untell(incident, &person.id, &items, true).await?;
                    untold += 1;
                }
                *told = None;
            }
        }
        let mut deltas: HashMap<String, i64> = HashMap::new();
        let mut writes = Vec::new();
        for person in &people {
            let group = person.group().encode();
            let was = current.get(&person.id).map(|(group, _)| group);
            if let Some(was) = was {
                *deltas.entry(was.clone()).or_default() -= 1;
            }
            *deltas.entry(group.clone()).or_default() += 1;
            let mut item = key(people_pk(incident), &person_sk(&person.id));
            item.extend([("person".to_owned(), s(json(person)?)), ("grp".to_owned(), s(group))]);
            if let Some((_, Some(told))) = current.get(&person.id) {
                item.insert("told".to_owned(), told.clone());
            }
            let (condition, was_value) = Self::condition_on(was);
            let mut write = put(&self.table, item, Some(condition))?;
            if let (Some(put), Some(value)) = (write.put.as_mut(), was_value) {
                put.expression_attribute_values.get_or_insert_default().insert(":was".to_owned(), value);
            }
            writes.push(write);
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(staged_pk(incident, import), &person_sk(&person.id))))
                .build()
                .context("building a Delete")?;
            writes.push(TransactWriteItem::builder().delete(delete).build());
        }
        writes.extend(self.counts_update(incident, (GROUPS_SK, GROUP_PREFIX), &deltas)?);
        self.transact(writes).await?;
        let updated = current.len() as u64;
        Ok((people.len() as u64 - updated, updated, untold))
    }

    async fn read_told(&self, incident: Reference) -> StoreResult<ToldCounts> {
        let item = self.get(people_pk(incident), TOLD_SK).await?.unwrap_or_default();
        let mut counts = ToldCounts::new();
        for (name, value) in &item {
            let Some(duty) = name.strip_prefix(DUTY_PREFIX) else { continue };
            let count: i64 = value.as_n().ok().and_then(|v| v.parse().ok()).ok_or_else(|| corrupt(name))?;
            if count > 0 {
                counts.insert(duty.to_owned(), count as u64);
            }
        }
        Ok(counts)
    }

    /// Forgets what `person` was told by the items `items`, with the counts and (while they are
    /// listed) their item's set.
    async fn untell(&self, incident: Reference, person: &str, items: &[Item], listed: bool) -> StoreResult<()> {
        for chunk in items.chunks(REMOVALS_PER_COMMIT - 1) {
            let mut deltas: HashMap<String, i64> = HashMap::new();
            let mut writes = Vec::new();
            for item in chunk {
                *deltas.entry(item.text("duty")?.to_owned()).or_default() -= 1;
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(told_pk(incident), item.text("SK")?)))
                    .condition_expression("attribute_exists(PK)")
                    .build()
                    .context("building a Delete")?;
                writes.push(TransactWriteItem::builder().delete(delete).build());
            }
            if listed {
                let duties = chunk.iter().map(|item| Ok(item.text("duty")?.to_owned())).collect::<StoreResult<_>>()?;
                writes.push(self.person_told_update(incident, person, "DELETE", duties)?);
            }
            writes.extend(self.counts_update(incident, (TOLD_SK, DUTY_PREFIX), &deltas)?);
            self.transact(writes).await?;
        }
        Ok(())
    }

    /// Everything `person` was told.
    async fn told_items(&self, incident: Reference, person: &str) -> StoreResult<Vec<Item>> {
        self.query_up_to(usize::MAX, || {
            self.query()
                .key_condition_expression("PK = :pk AND begins_with(SK, :person)")
                .expression_attribute_values(":pk", s(told_pk(incident)))
                .expression_attribute_values(":person", s(told_person_prefix(person)))
                .consistent_read(true)
        })
        .await
    }

    /// Marks one chunk of people told: those not yet told for a duty are written with the counts.
    async fn tell_chunk(&self, incident: Reference, told: &[Told]) -> StoreResult<()> {
        let keys: Vec<Item> = told.iter().map(|t| key(told_pk(incident), &told_sk(&t.person, &t.duty))).collect();
        let existing = self.existing_keys(keys).await?;
        let mut deltas: HashMap<String, i64> = HashMap::new();
        let mut newly: HashMap<String, Vec<String>> = HashMap::new();
        let mut writes = Vec::new();
        for t in told {
            let sk = told_sk(&t.person, &t.duty);
            if existing.contains(&sk) {
                continue;
            }
            *deltas.entry(t.duty.clone()).or_default() += 1;
            let mut item = key(told_pk(incident), &sk);
            item.extend([
                ("duty".to_owned(), s(t.duty.clone())),
                ("notice".to_owned(), n(t.by.key())),
                ("at".to_owned(), s(super::attributes::timestamp(t.at))),
            ]);
            writes.push(put(&self.table, item, Some("attribute_not_exists(PK)"))?);
            newly.entry(t.person.clone()).or_default().push(t.duty.clone());
        }
        for (person, duties) in newly {
            writes.push(self.person_told_update(incident, &person, "ADD", duties)?);
        }
        writes.extend(self.counts_update(incident, (TOLD_SK, DUTY_PREFIX), &deltas)?);
        if !writes.is_empty() {
            self.transact(writes).await?;
        }
        Ok(())
    }

    /// Adds duties to (`ADD`) or takes them from (`DELETE`) the set a person's item keeps, so a
    /// page of people says what each was told. The person must still be listed.
    fn person_told_update(
        &self,
        incident: Reference,
        person: &str,
        action: &str,
        duties: Vec<String>,
    ) -> StoreResult<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(people_pk(incident), &person_sk(person))))
            .update_expression(format!("{action} told :duties"))
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":duties", AttributeValue::Ss(duties))
            .build()
            .context("building an Update")?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Which of `keys` exist (their `SK`s).
    async fn existing_keys(&self, keys: Vec<Item>) -> StoreResult<std::collections::HashSet<String>> {
        self.batch_get(keys, "SK").await?.iter().map(|item| Ok(item.text("SK")?.to_owned())).collect()
    }

    async fn read_population(&self, incident: Reference) -> StoreResult<Population> {
        let item = self.get(people_pk(incident), GROUPS_SK).await?.unwrap_or_default();
        let mut counts = Vec::new();
        for (name, value) in &item {
            let Some(group) = name.strip_prefix(GROUP_PREFIX) else { continue };
            let key = GroupKey::decode(group).ok_or_else(|| corrupt(name))?;
            let count: i64 = value.as_n().ok().and_then(|v| v.parse().ok()).ok_or_else(|| corrupt(name))?;
            counts.push((key, u64::try_from(count).map_err(|_| corrupt(name))?));
        }
        Ok(Population::from_counts(counts))
    }
}

/// Runs `attempt` again while it conflicts with another write, up to [`ATTEMPTS`] times.
async fn retrying<T, F: std::future::Future<Output = StoreResult<T>>>(
    mut attempt: impl FnMut() -> F,
) -> StoreResult<T> {
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(StoreError::Conflict(_)) if tries + 1 < ATTEMPTS => tries += 1,
            result => return result,
        }
    }
}

#[async_trait]
impl PeopleStore for DynamoStore {
    async fn stage_people(&self, incident: &Reference, import: &str, people: &[Person]) -> StoreResult<()> {
        let expires = (Utc::now() + chrono::Duration::days(STAGED_FOR_DAYS)).timestamp();
        let items = people
            .iter()
            .map(|person| {
                let mut item = key(staged_pk(*incident, import), &person_sk(&person.id));
                item.extend([("person".to_owned(), s(json(person)?)), ("expires".to_owned(), n(expires))]);
                Ok(item)
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_put(items).await
    }

    async fn commit_import(&self, incident: &Reference, import: &str) -> StoreResult<PeopleChange> {
        let (mut added, mut updated, mut untold) = (0, 0, 0);
        loop {
            // What is committed leaves staging, so the first page is always what is left.
            let staged = self
                .query_up_to(PEOPLE_PER_COMMIT, || {
                    self.query()
                        .key_condition_expression("PK = :pk")
                        .expression_attribute_values(":pk", s(staged_pk(*incident, import)))
                        .consistent_read(true)
                })
                .await?;
            if staged.is_empty() {
                break;
            }
            let (a, u, t) = retrying(|| self.commit_chunk(*incident, import, &staged)).await?;
            added += a;
            updated += u;
            untold += t;
        }
        let population = self.read_population(*incident).await?;
        Ok(PeopleChange { added, updated, removed: 0, untold, population })
    }

    async fn discard_import(&self, incident: &Reference, import: &str) -> StoreResult<()> {
        let staged = self.query_all(None, "PK", staged_pk(*incident, import)).await?;
        let keys = staged
            .iter()
            .map(|item| Ok(key(staged_pk(*incident, import), item.text("SK")?)))
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_delete(keys).await
    }

    async fn remove_people(&self, incident: &Reference, ids: &[String]) -> StoreResult<PeopleChange> {
        let mut removed = 0;
        for chunk in ids.chunks(REMOVALS_PER_COMMIT) {
            removed += retrying(|| async {
                let current = self.current_groups(*incident, chunk).await?;
                let mut deltas: HashMap<String, i64> = HashMap::new();
                let mut writes = Vec::new();
                for (id, (group, _)) in &current {
                    *deltas.entry(group.clone()).or_default() -= 1;
                    let delete = Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(people_pk(*incident), &person_sk(id))))
                        .condition_expression("grp = :was")
                        .expression_attribute_values(":was", s(group.clone()))
                        .build()
                        .context("building a Delete")?;
                    writes.push(TransactWriteItem::builder().delete(delete).build());
                }
                writes.extend(self.counts_update(*incident, (GROUPS_SK, GROUP_PREFIX), &deltas)?);
                if !writes.is_empty() {
                    self.transact(writes).await?;
                }
                Ok(current.len() as u64)
            })
            .await?;
        }
        for id in ids {
            let items = self.told_items(*incident, id).await?;
            if !items.is_empty() {
                retrying(|| self.untell(*incident, id, &items, false)).await?;
            }
        }
        let population = self.read_population(*incident).await?;
        Ok(PeopleChange { added: 0, updated: 0, removed, untold: 0, population })
    }

    async fn people(&self, incident: &Reference, after: Option<&str>, limit: u32) -> StoreResult<PeoplePage> {
        let start = person_sk(after.unwrap_or(""));
        let items = self
            .query_up_to(limit as usize + 1, || {
                self.query()
                    .key_condition_expression("PK = :pk AND SK > :start")
                    .expression_attribute_values(":pk", s(people_pk(*incident)))
                    .expression_attribute_values(":start", s(start.clone()))
                    .consistent_read(true)
            })
            .await?;
        let mut people = items
            .iter()
            .map(|item| {
                let mut told = item.get("told").and_then(|v| v.as_ss().ok()).cloned().unwrap_or_default();
                told.sort();
                Ok(Listed { person: person_of(item)?, told })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let more = people.len() > limit as usize;
        people.truncate(limit as usize);
        let next_after = more.then(|| people.last().map(|p| p.person.id.clone())).flatten();
        Ok(PeoplePage { people, next_after })
    }

    async fn population(&self, incident: &Reference) -> StoreResult<Population> {
        self.read_population(*incident).await
    }

    async fn mark_told(&self, incident: &Reference, told: &[Told]) -> StoreResult<ToldCounts> {
        // One chunk's keys in one BatchGetItem, its writes (an item and a person's update each,
        // and the counts) in one transaction.
        for chunk in told.chunks(PEOPLE_PER_COMMIT) {
            retrying(|| self.tell_chunk(*incident, chunk)).await?;
        }
        self.read_told(*incident).await
    }

    async fn unmark_told(&self, incident: &Reference, person: &str, by: ToldBy) -> StoreResult<ToldCounts> {
        let items = self.told_items(*incident, person).await?;
        let by_notice: Vec<Item> =
            items.into_iter().filter(|item| item.number::<i64>("notice").ok() == Some(by.key())).collect();
        if !by_notice.is_empty() {
            retrying(|| self.untell(*incident, person, &by_notice, true)).await?;
        }
        self.read_told(*incident).await
    }

    async fn told_counts(&self, incident: &Reference) -> StoreResult<ToldCounts> {
        self.read_told(*incident).await
    }

    async fn people_by_id(&self, incident: &Reference, ids: &[String]) -> StoreResult<Vec<Listed>> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let mut people = Vec::with_capacity(ids.len());
        // BatchGetItem takes at most 100 keys.
        for chunk in ids.chunks(100) {
            let keys = chunk.iter().map(|id| key(people_pk(*incident), &person_sk(id))).collect();
            for item in self.batch_get(keys, "person, told").await? {
                let mut told = item.get("told").and_then(|v| v.as_ss().ok()).cloned().unwrap_or_default();
                told.sort();
                people.push(Listed { person: person_of(&item)?, told });
            }
        }
        people.sort_by(|a, b| a.person.id.cmp(&b.person.id));
        Ok(people)
    }
}
