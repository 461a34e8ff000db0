//! The affected-people register's use cases: a file of people imported a line at a time
//! (staged unseen, committed whole or not at all), people removed by id, and the register read a
//! page at a time. Each batch goes on the incident's audit trail with its counts and digest.

use std::collections::HashSet;
use std::io::{BufReader, Read};

use sha2::{Digest, Sha256};
use shared::api::{IncidentDetail, PeopleLeftPage, PeoplePage, PersonLeft, REMOVALS_MAX, RemovePeopleForm};
use shared::deadlines::obligation::Obligation;
use shared::people::{AccountPeopleForm, Accounted, Accounting, BatchSource, Listed, PeopleBatch, PeopleCsv, Person};
use shared::record::effects::{coverage_reopened, people_accounted_for};
use shared::record::{Context, IncidentEvent, IncidentRecord, WorkflowError};
use shared::reference::Reference;
use shared::validation::ValidationErrors;
use shared::workflow::investigation::{LineError, line_errors_on};
use shared::workflow::phase::Phase;
use tokio::sync::mpsc;

use super::access::{Actor, Caller, ensure_may_see};
use super::commit::Effects;
use super::{ServiceError, Services};
use crate::ports::{PeopleChange, Told, ToldBy, ToldCounts};

/// People staged per write.
const STAGE_CHUNK: usize = 10_000;
/// Line errors reported, then a count of the rest.
const ERRORS_SHOWN: usize = 50;
/// The register is read this many people at a time for the people a duty has left...
const LEFT_PAGE: u32 = 1_000;
/// ...and at most this many per request.
const LEFT_SCAN: u32 = 50_000;
/// A change to the record that lost a race with another is tried again this many times.
const ATTEMPTS: usize = 5;

/// A file of people, already received whole (spooled to disk or fetched from storage).
pub struct PeopleFile {
    pub file: std::fs::File,
    pub name: Option<String>,
}

/// What reading a file found: how many people and the file's SHA-256, or its bad lines.
struct FileRead {
    people: u64,
    sha256: String,
}

/// Hashes what passes through.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads the whole file, sending people in chunks while no line has failed; every bad line is
/// collected (the first [`ERRORS_SHOWN`] kept) so one import names them all.
fn read_file(file: std::fs::File, chunks: mpsc::Sender<Vec<Person>>) -> Result<FileRead, (Vec<LineError>, u64)> {
    let input = Hashing { inner: BufReader::with_capacity(1 << 16, file), hasher: Sha256::new() };
    let mut reader = PeopleCsv::open(input).map_err(|e| (vec![e], 1))?;
    let (mut errors, mut failed, mut people) = (Vec::new(), 0u64, 0u64);
    let mut chunk = Vec::with_capacity(STAGE_CHUNK);
    for line in reader.by_ref() {
        match line {
            Ok(person) if failed == 0 => {
                people += 1;
                chunk.push(person);
                if chunk.len() == STAGE_CHUNK && chunks.blocking_send(std::mem::take(&mut chunk)).is_err() {
                    // Staging stopped; its error is the one to report.
                    return Ok(FileRead { people, sha256: String::new() });
                }
            }
            Ok(_) => {}
            Err(error) => {
                failed += 1;
                if errors.len() < ERRORS_SHOWN {
                    errors.push(error);
                }
            }
        }
    }
    if failed > 0 {
        return Err((errors, failed));
    }
    if !chunk.is_empty() {
        let _ = chunks.blocking_send(chunk);
    }
    let sha256 = hex::encode(reader.into_inner().hasher.finalize());
    Ok(FileRead { people, sha256 })
}

fn refuse_if_closed(record: &IncidentRecord) -> Result<(), ServiceError> {
    if record.phase == Phase::Closed {
        return Err(ServiceError::Refused("The incident is closed; its affected people can no longer change".into()));
    }
    Ok(())
}

fn bad_lines(errors: &[LineError], failed: u64) -> ServiceError {
    let mut shown: ValidationErrors = line_errors_on("file", errors);
    let hidden = failed.saturating_sub(errors.len() as u64);
    if hidden > 0 {
        shown.push("file", format!("…and {hidden} more line(s) with errors; nothing was imported"));
    }
    ServiceError::Validation(shown)
}

/// Every id given must name a person of the register in the duty's scope (its jurisdictions and
/// data elements): a typo must not quietly count, nor someone the duty does not cover.
fn refuse_outside_scope(ids: &[String], found: &[Listed], duty: &Obligation) -> Result<(), ServiceError> {
    const NAMED: usize = 20;
    let named = |ids: Vec<String>| {
        let more = ids.len().saturating_sub(NAMED);
        let mut text = ids.into_iter().take(NAMED).collect::<Vec<_>>().join(", ");
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        text
    };
    let known: HashSet<&str> = found.iter().map(|l| l.person.id.as_str()).collect();
    let unknown: Vec<String> = ids.iter().filter(|id| !known.contains(id.as_str())).cloned().collect();
    let when = &duty.rule.when;
    let outside: Vec<String> = found
        .iter()
        .filter(|l| !l.person.group().in_scope(&when.jurisdictions, &when.data_categories))
        .map(|l| l.person.id.clone())
        .collect();
    let mut errors = ValidationErrors::default();
    if !unknown.is_empty() {
        errors.push("ids", format!("Not in the register: {}", named(unknown)));
    }
    if !outside.is_empty() {
        errors.push(
            "ids",
            format!("Not in the scope of {} (where they live or what they lost): {}", duty.id, named(outside)),
        );
    }
    if errors.is_empty() { Ok(()) } else { Err(ServiceError::Validation(errors)) }
}

/// The batch on the trail, the people told if removals changed them, and the duties met by
/// coverage that the change leaves short reopened.
fn register_changed(
    record: &IncidentRecord,
    batch: PeopleBatch,
    told: ToldCounts,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<IncidentEvent> {
    let why = match batch.source {
        BatchSource::Import { .. } => "People were added to or corrected in the register",
        BatchSource::Removal => "People were removed from the register",
    };
    let mut events = vec![IncidentEvent::PeopleRegisterChanged { batch }];
    if told != record.told {
        events.push(IncidentEvent::PeopleTold { told });
    }
    let mut after = record.clone();
    for event in &events {
        after.apply(event, now, "Tocsin");
    }
    events.extend(coverage_reopened(&after, why));
    events
}

impl Services {
    /// Imports a file of people into an incident's register: people new to it are added, people
    /// already in it (by id) are replaced by their line. A file with any bad line imports nothing.
    pub async fn import_people(
        &self,
        incident: Reference,
        upload: PeopleFile,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let record = self.register_of(incident, caller).await?;
        refuse_if_closed(&record)?;
        let import = uuid::Uuid::now_v7().to_string();
        let began = std::time::Instant::now();
        let (send, mut chunks) = mpsc::channel::<Vec<Person>>(2);
        let reading = tokio::task::spawn_blocking(move || read_file(upload.file, send));
        let mut staging = Ok(());
        while let Some(chunk) = chunks.recv().await {
            staging = self.people.stage_people(&incident, &import, &chunk).await;
            if staging.is_err() {
                break;
            }
        }
        drop(chunks);
        let read = reading.await.map_err(|e| ServiceError::Unexpected(e.into()));
        let read = match (read, staging) {
            (Ok(Ok(read)), Ok(())) => read,
            (read, staging) => {
                self.people.discard_import(&incident, &import).await?;
                staging?;
                return Err(match read? {
                    Err((errors, failed)) => bad_lines(&errors, failed),
                    Ok(_) => ServiceError::Unexpected(anyhow::anyhow!("reading the file stopped")),
                });
            }
        };
        let staged = began.elapsed();
        let change = self.people.commit_import(&incident, &import).await?;
        tracing::info!(
            %incident, people = read.people, staged_s = staged.as_secs_f64(), committed_s = (began.elapsed() - staged).as_secs_f64(),
            "affected people imported"
        );
        let source = BatchSource::Import { file_name: upload.name, people: read.people };
        self.record_batch(incident, source, change, read.sha256, caller).await
    }

    /// Takes people off an incident's register by id.
    pub async fn remove_people(
        &self,
        incident: Reference,
        form: RemovePeopleForm,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        if form.ids.is_empty() || form.ids.len() > REMOVALS_MAX {
            return Err(ServiceError::field("ids", format!("Give between 1 and {REMOVALS_MAX} ids to remove")));
        }
        let record = self.register_of(incident, caller).await?;
        refuse_if_closed(&record)?;
        let change = self.people.remove_people(&incident, &form.ids).await?;
        let sha256 = hex::encode(Sha256::digest(form.ids.join("\n")));
        self.record_batch(incident, BatchSource::Removal, change, sha256, caller).await
    }

    /// Records people of the register as told another way, or as not required to be told, for
    /// one duty to tell individuals; the duty is met once everyone in its scope is accounted for.
    /// Every id must be in the register and in the duty's scope, or nothing is recorded.
    pub async fn account_for_people(
        &self,
        incident: Reference,
        form: AccountPeopleForm,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let accounted = form.parse(self.clock.now()).map_err(ServiceError::Validation)?;
        let record = self.register_of(incident, caller).await?;
        refuse_if_closed(&record)?;
        let duty =
            record.obligations.iter().find(|o| o.id == accounted.duty && o.rule.tells_individuals()).ok_or_else(
                || ServiceError::field("duty", "This incident has no duty to tell individuals by that id"),
            )?;
        let found = self.people.people_by_id(&incident, &accounted.ids).await?;
        refuse_outside_scope(&accounted.ids, &found, duty)?;
        let id = u32::try_from(record.accounted.len() + 1).unwrap_or(u32::MAX);
        let at = match &accounted.accounted {
            Accounted::Told { at, .. } => *at,
            Accounted::NotRequired { .. } => self.clock.now(),
        };
        let told: Vec<Told> = found
            .iter()
            .map(|l| Told { person: l.person.id.clone(), duty: duty.id.clone(), by: ToldBy::Accounting(id), at })
            .collect();
        self.people.mark_told(&incident, &told).await?;
        let accounting = Accounting {
            id,
            duty: duty.id.clone(),
            people: found.len() as u64,
            sha256: accounted.sha256(),
            accounted: accounted.accounted,
        };
        let mut attempt = 0;
        loop {
            let told = self.people.told_counts(&incident).await?;
            let accounting = accounting.clone();
            let change =
                move |record: &IncidentRecord, ctx: &Context<'_>| -> Result<Vec<IncidentEvent>, WorkflowError> {
                    Ok(people_accounted_for(record, accounting, told, ctx.now))
                };
            match self.change_incident(incident, None, Actor::Member(caller), change, Effects::default()).await {
                Err(ServiceError::Conflict(_)) if attempt + 1 < ATTEMPTS => attempt += 1,
                result => return result,
            }
        }
    }

    /// A page of an incident's register, in id order.
    pub async fn people_page(
        &self,
        incident: Reference,
        after: Option<String>,
        limit: u32,
        caller: &Caller,
    ) -> Result<PeoplePage, ServiceError> {
        self.register_of(incident, caller).await?;
        let page = self.people.people(&incident, after.as_deref(), limit).await?;
        let total = self.people.population(&incident).await?.total();
        Ok(PeoplePage { people: page.people, next_after: page.next_after, total })
    }

    /// The people in the scope of duty `duty` not yet told for it, after `after`, at most `limit`.
    /// At most [`LEFT_SCAN`] people of the register are read per request, so a duty with few
    /// left in a large register answers in several short pages rather than one long one.
    pub async fn people_left(
        &self,
        incident: Reference,
        duty: &str,
        after: Option<String>,
        limit: u32,
        caller: &Caller,
    ) -> Result<PeopleLeftPage, ServiceError> {
        let record = self.register_of(incident, caller).await?;
        let obligation =
            record.obligations.iter().find(|o| o.id == duty && o.rule.tells_individuals()).ok_or_else(|| {
                ServiceError::field("duty", "This incident has no duty to tell individuals by that id")
            })?;
        let when = &obligation.rule.when;
        let (mut people, mut cursor, mut read) = (Vec::new(), after, 0u32);
        loop {
            let page = self.people.people(&incident, cursor.as_deref(), LEFT_PAGE).await?;
            read += page.people.len() as u32;
            for listed in page.people {
                cursor = Some(listed.person.id.clone());
                if listed.person.group().in_scope(&when.jurisdictions, &when.data_categories)
                    && !listed.told.iter().any(|d| d == duty)
                {
                    people.push(PersonLeft { why: listed.person.why_not_told(), listed });
                    if people.len() == limit as usize {
                        return Ok(PeopleLeftPage { people, next_after: cursor });
                    }
                }
            }
            if page.next_after.is_none() {
                return Ok(PeopleLeftPage { people, next_after: None });
            }
            if read >= LEFT_SCAN {
                return Ok(PeopleLeftPage { people, next_after: cursor });
            }
        }
    }

    /// The incident whose register is reached, once the caller may see it.
    async fn register_of(&self, incident: Reference, caller: &Caller) -> Result<IncidentRecord, ServiceError> {
        let (record, _) = self.incidents.incident(incident).await?.ok_or(ServiceError::NotFound)?;
        ensure_may_see(&record, caller)?;
        Ok(record)
    }

    /// Puts a register batch on the incident's audit trail. The counts are read again before each
    /// attempt, so the record ends with the register's latest whichever batch commits last.
    async fn record_batch(
        &self,
        incident: Reference,
        source: BatchSource,
        change: PeopleChange,
        sha256: String,
        caller: &Caller,
    ) -> Result<IncidentDetail, ServiceError> {
        let mut attempt = 0;
        loop {
            let population = self.people.population(&incident).await?;
            let told = self.people.told_counts(&incident).await?;
            let batch = PeopleBatch {
                source: source.clone(),
                added: change.added,
                updated: change.updated,
                removed: change.removed,
                untold: change.untold,
                sha256: sha256.clone(),
                population,
            };
            let change =
                move |record: &IncidentRecord, ctx: &Context<'_>| -> Result<Vec<IncidentEvent>, WorkflowError> {
                    Ok(register_changed(record, batch, told, ctx.now))
                };
            match self.change_incident(incident, None, Actor::Member(caller), change, Effects::default()).await {
                Err(ServiceError::Conflict(_)) if attempt + 1 < ATTEMPTS => attempt += 1,
                result => return result,
            }
        }
    }
}
