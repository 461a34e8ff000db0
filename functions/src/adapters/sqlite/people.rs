//! The embedded store's affected-people register. Staged people are appended in file order; an
//! import commits in one transaction: the staged people join the register (the last line for an
//! id wins) and the counts per group are taken again from the register in the same transaction.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use shared::people::{GroupKey, Listed, Person, Population};
use shared::reference::Reference;

use super::codec::timestamp;
use super::store::SqliteStore;
use crate::ports::{PeopleChange, PeoplePage, PeopleStore, StoreError, StoreResult, Told, ToldBy, ToldCounts};

fn unexpected(e: impl Into<anyhow::Error>, what: &'static str) -> StoreError {
    StoreError::Unexpected(e.into().context(what))
}

fn population(conn: &Connection, incident: &str) -> StoreResult<Population> {
    let mut query = conn.prepare_cached("SELECT grp, count FROM people_groups WHERE incident = ?1")?;
    let rows = query.query_map([incident], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
    let mut counts = Vec::new();
    for row in rows {
        let (key, count) = row?;
        let key = GroupKey::decode(&key).ok_or_else(|| unexpected(anyhow::anyhow!("{key:?}"), "a people group key"))?;
        counts.push((key, u64::try_from(count).map_err(|e| unexpected(e, "a people group count"))?));
    }
    Ok(Population::from_counts(counts))
}

fn told_counts(conn: &Connection, incident: &str) -> StoreResult<ToldCounts> {
    let mut query =
        conn.prepare_cached("SELECT duty, count FROM people_told_counts WHERE incident = ?1 AND count > 0")?;
    let rows = query.query_map([incident], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
    let mut counts = ToldCounts::new();
    for row in rows {
        let (duty, count) = row?;
        counts.insert(duty, u64::try_from(count).map_err(|e| unexpected(e, "a told count"))?);
    }
    Ok(counts)
}

/// Forgets what the people matching `which` (a condition on `t`) were told, with the counts.
fn untell(tx: &Connection, incident: &str, which: &str, args: &[&dyn rusqlite::ToSql]) -> StoreResult<()> {
    tx.execute(
        &format!(
            "UPDATE people_told_counts SET count = count - gone.n
             FROM (SELECT t.duty, count(*) AS n FROM people_told t WHERE t.incident = ?1 AND {which} GROUP BY t.duty) AS gone
             WHERE people_told_counts.incident = ?1 AND people_told_counts.duty = gone.duty"
        ),
        rusqlite::params_from_iter(std::iter::once(&incident as &dyn rusqlite::ToSql).chain(args.iter().copied())),
    )?;
    tx.execute(
        &format!("DELETE FROM people_told AS t WHERE t.incident = ?1 AND {which}"),
        rusqlite::params_from_iter(std::iter::once(&incident as &dyn rusqlite::ToSql).chain(args.iter().copied())),
    )?;
    Ok(())
}

/// The counts per group, taken again from the incident's people.
fn recount(tx: &Connection, incident: &str) -> StoreResult<()> {
    tx.execute("DELETE FROM people_groups WHERE incident = ?1", [incident])?;
    tx.execute(
        "INSERT INTO people_groups (incident, grp, count)
         SELECT incident, grp, count(*) FROM people WHERE incident = ?1 GROUP BY grp",
        [incident],
    )?;
    Ok(())
}

/// The table an import's people wait in: one per import, so that committing reads it in file
/// order without an index and drops it whole.
fn staging_table(import: &str) -> StoreResult<String> {
    let ok = !import.is_empty() && import.len() <= 64 && import.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !ok {
        return Err(unexpected(anyhow::anyhow!("{import:?}"), "an import id"));
    }
    Ok(format!("\"people_staged_{}\"", import.replace('-', "_")))
}

fn listed(tx: &Connection, incident: &str) -> StoreResult<i64> {
    Ok(tx.query_row("SELECT coalesce(sum(count), 0) FROM people_groups WHERE incident = ?1", [incident], |row| {
        row.get(0)
    })?)
}

/// A person's row and the JSON array of the duties they were told for.
fn listed_person((person, told): (String, String)) -> StoreResult<Listed> {
    let person = serde_json::from_str::<Person>(&person).map_err(|e| unexpected(e, "a person row"))?;
    let mut told: Vec<String> = serde_json::from_str(&told).map_err(|e| unexpected(e, "a person's duties told"))?;
    told.sort();
    Ok(Listed { person, told })
}

#[async_trait]
impl PeopleStore for SqliteStore {
    async fn stage_people(&self, incident: &Reference, import: &str, people: &[Person]) -> StoreResult<()> {
        let (incident, table) = (incident.to_string(), staging_table(import)?);
        let rows = people
            .iter()
            .map(|p| {
                Ok((p.id.clone(), serde_json::to_string(p).map_err(|e| unexpected(e, "a person"))?, p.group().encode()))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            tx.execute(
                &format!(
                    "CREATE TABLE IF NOT EXISTS {table} (incident TEXT NOT NULL, id TEXT NOT NULL, person TEXT NOT NULL, \
                     grp TEXT NOT NULL) STRICT"
                ),
                [],
            )?;
            {
                let mut insert =
                    tx.prepare(&format!("INSERT INTO {table} (incident, id, person, grp) VALUES (?1, ?2, ?3, ?4)"))?;
                for (id, person, group) in &rows {
                    insert.execute(params![incident, id, person, group])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn commit_import(&self, incident: &Reference, import: &str) -> StoreResult<PeopleChange> {
        let (incident, table) = (incident.to_string(), staging_table(import)?);
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
                [table.trim_matches('"')],
                |row| row.get(0),
            )?;
            if !exists {
                let population = population(&tx, &incident)?;
                return Ok(PeopleChange { population, ..PeopleChange::default() });
            }
            let before = listed(&tx, &incident)?;
            // Only a register that lists anyone can have people corrected.
            let updated: i64 = if before == 0 {
                0
            } else {
                tx.query_row(
                    &format!(
                        "SELECT count(DISTINCT s.id) FROM {table} s
                         WHERE EXISTS (SELECT 1 FROM people p WHERE p.incident = s.incident AND p.id = s.id)"
                    ),
                    [],
                    |row| row.get(0),
                )?
            };
            // Groups end in "|" and the channel letters ("e", "p"): without them, two groups
            // compare by jurisdiction and data elements, what every rule's scope reads.
            let moved = format!(
                "t.person IN (SELECT s.id FROM {table} s JOIN people p ON p.incident = s.incident AND p.id = s.id
                              WHERE rtrim(p.grp, 'ep') <> rtrim(s.grp, 'ep'))"
            );
            let untold: i64 = if updated == 0 {
                0
            } else {
                let untold = tx.query_row(
                    &format!("SELECT count(DISTINCT t.person) FROM people_told t WHERE t.incident = ?1 AND {moved}"),
                    [&incident],
                    |row| row.get(0),
                )?;
                untell(&tx, &incident, &moved, &[])?;
                untold
            };
            tx.execute(
                &format!(
                    "INSERT INTO people (incident, id, person, grp)
                     SELECT incident, id, person, grp FROM {table} WHERE incident = ?1 ORDER BY rowid
                     ON CONFLICT (incident, id) DO UPDATE SET person = excluded.person, grp = excluded.grp"
                ),
                [&incident],
            )?;
            tx.execute(&format!("DROP TABLE {table}"), [])?;
            recount(&tx, &incident)?;
            let added = listed(&tx, &incident)? - before;
            let population = population(&tx, &incident)?;
            tx.commit()?;
            Ok(PeopleChange {
                added: added as u64,
                updated: updated as u64,
                removed: 0,
                untold: untold as u64,
                population,
            })
        })
        .await
    }

    async fn discard_import(&self, _incident: &Reference, import: &str) -> StoreResult<()> {
        let table = staging_table(import)?;
        self.write(move |conn| {
            conn.execute(&format!("DROP TABLE IF EXISTS {table}"), [])?;
            Ok(())
        })
        .await
    }

    async fn remove_people(&self, incident: &Reference, ids: &[String]) -> StoreResult<PeopleChange> {
        let incident = incident.to_string();
        let ids = serde_json::to_string(ids).map_err(|e| unexpected(e, "ids to remove"))?;
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            untell(&tx, &incident, "t.person IN (SELECT value FROM json_each(?2))", &[&ids])?;
            let removed = tx.execute(
                "DELETE FROM people WHERE incident = ?1 AND id IN (SELECT value FROM json_each(?2))",
                params![incident, ids],
            )?;
            recount(&tx, &incident)?;
            let population = population(&tx, &incident)?;
            tx.commit()?;
            Ok(PeopleChange { added: 0, updated: 0, removed: removed as u64, untold: 0, population })
        })
        .await
    }

    async fn people(&self, incident: &Reference, after: Option<&str>, limit: u32) -> StoreResult<PeoplePage> {
        let (incident, after) = (incident.to_string(), after.unwrap_or("").to_owned());
        self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT p.person,
                        (SELECT json_group_array(t.duty) FROM people_told t WHERE t.incident = p.incident AND t.person = p.id)
                 FROM people p WHERE p.incident = ?1 AND p.id > ?2 ORDER BY p.id LIMIT ?3",
            )?;
            let rows = query.query_map(params![incident, after, i64::from(limit) + 1], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut people = Vec::new();
            for row in rows {
                people.push(listed_person(row?)?);
            }
            let more = people.len() > limit as usize;
            people.truncate(limit as usize);
            let next_after = more.then(|| people.last().map(|p| p.person.id.clone())).flatten();
            Ok(PeoplePage { people, next_after })
        })
        .await
    }

    async fn population(&self, incident: &Reference) -> StoreResult<Population> {
        let incident = incident.to_string();
        self.read(move |conn| population(conn, &incident)).await
    }

    async fn mark_told(&self, incident: &Reference, told: &[Told]) -> StoreResult<ToldCounts> {
        let incident = incident.to_string();
        let rows: Vec<(String, String, i64, String)> =
            told.iter().map(|t| (t.person.clone(), t.duty.clone(), t.by.key(), timestamp(t.at))).collect();
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO people_told (incident, person, duty, notice, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                let mut count = tx.prepare_cached(
                    "INSERT INTO people_told_counts (incident, duty, count) VALUES (?1, ?2, 1)
                     ON CONFLICT (incident, duty) DO UPDATE SET count = count + 1",
                )?;
                for (person, duty, notice, at) in &rows {
                    if insert.execute(params![incident, person, duty, notice, at])? == 1 {
                        count.execute(params![incident, duty])?;
                    }
                }
            }
            let counts = told_counts(&tx, &incident)?;
            tx.commit()?;
            Ok(counts)
        })
        .await
    }

    async fn unmark_told(&self, incident: &Reference, person: &str, by: ToldBy) -> StoreResult<ToldCounts> {
        let (incident, person, by) = (incident.to_string(), person.to_owned(), by.key());
        self.write(move |conn| {
            let tx = conn.savepoint()?;
            untell(&tx, &incident, "t.person = ?2 AND t.notice = ?3", &[&person, &by])?;
            let counts = told_counts(&tx, &incident)?;
            tx.commit()?;
            Ok(counts)
        })
        .await
    }

    async fn told_counts(&self, incident: &Reference) -> StoreResult<ToldCounts> {
        let incident = incident.to_string();
        self.read(move |conn| told_counts(conn, &incident)).await
    }

    async fn people_by_id(&self, incident: &Reference, ids: &[String]) -> StoreResult<Vec<Listed>> {
        let (incident, mut ids) = (incident.to_string(), ids.to_vec());
        ids.sort();
        ids.dedup();
        self.read(move |conn| {
            let mut query = conn.prepare_cached(
                "SELECT p.person,
                        (SELECT json_group_array(t.duty) FROM people_told t WHERE t.incident = p.incident AND t.person = p.id)
                 FROM people p WHERE p.incident = ?1 AND p.id = ?2",
            )?;
            let mut people = Vec::new();
            for id in &ids {
                let row = query
                    .query_row(params![incident, id], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
                    .optional()?;
                if let Some(row) = row {
                    people.push(listed_person(row)?);
                }
            }
            Ok(people)
        })
        .await
    }
}
