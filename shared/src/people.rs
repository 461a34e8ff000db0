//! The affected-people register's values: a person as an import file gives them, and the
//! register's aggregate, people grouped by where they live, which of their data was involved and
//! how they can be reached. The deadline rules count people from those groups, so no request
//! reads every person.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data_elements::{element_named, slugify};
use crate::deadlines::jurisdiction::jurisdiction_matches;
use crate::report::ReporterEmail;
use crate::validation::{ValidationErrors, multi_line, single_line};
use crate::workflow::investigation::{Jurisdiction, LineError};

/// One affected person. `id` is the account or row key the organisation knows them by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Lower-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// One line, parts separated by commas, as a letter's address block reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<Jurisdiction>,
    /// A language tag such as `de` or `fr-CA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Vocabulary ids, sorted, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_elements: Vec<String>,
    /// `Some(false)` when the person has not agreed to notices by email (some laws, e.g.
    /// Cal. Civ. Code 1798.82(j)(3), accept email only under E-SIGN consent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_consent: Option<bool>,
}

/// A person as the register holds them: who they are, and the duties they have been told for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    #[serde(flatten)]
    pub person: Person,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub told: Vec<String>,
}

impl Person {
    /// Why a notice by email cannot reach them, if it cannot.
    pub fn email_unreachable(&self) -> Option<&'static str> {
        match (&self.email, self.email_consent) {
            (None, _) => Some("no email address"),
            (Some(_), Some(false)) => Some("did not agree to notices by email"),
            _ => None,
        }
    }

    /// Why someone in a duty's scope has not been told for it yet, as far as the register knows.
    pub fn why_not_told(&self) -> String {
        match (self.email_unreachable(), &self.postal_address) {
            (Some(why), Some(_)) => format!("{why}; a postal address is on file"),
            (Some(why), None) => format!("{why}, and no postal address"),
            (None, _) => "not emailed yet, or the message failed, bounced or was suppressed".to_owned(),
        }
    }

    /// The group this person counts in.
    pub fn group(&self) -> GroupKey {
        GroupKey {
            jurisdiction: self.jurisdiction.as_ref().map(|j| j.as_str().to_owned()),
            data_elements: self.data_elements.clone(),
            email: self.email.is_some() && self.email_consent != Some(false),
            postal: self.postal_address.is_some(),
        }
    }
}

/// What people are grouped by in the register's aggregate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupKey {
    pub jurisdiction: Option<String>,
    pub data_elements: Vec<String>,
    /// Has an email address and has not refused notices by email.
    pub email: bool,
    /// Has a postal address.
    pub postal: bool,
}

impl GroupKey {
    /// The key as one string (`US-CA|health_information,ssn|ep`), for stores that keep counts by key.
    pub fn encode(&self) -> String {
        let channels = format!("{}{}", if self.email { "e" } else { "" }, if self.postal { "p" } else { "" });
        format!("{}|{}|{channels}", self.jurisdiction.as_deref().unwrap_or(""), self.data_elements.join(","))
    }

    /// Whether both place people alike for every rule's scope (jurisdiction and data elements;
    /// the channels are no part of a scope).
    pub fn same_scope(&self, other: &GroupKey) -> bool {
        self.jurisdiction == other.jurisdiction && self.data_elements == other.data_elements
    }

    /// Reads [`GroupKey::encode`] back; `None` for anything it did not write.
    pub fn decode(key: &str) -> Option<Self> {
        let mut parts = key.split('|');
        let (jurisdiction, elements, channels) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !channels.chars().all(|c| c == 'e' || c == 'p') {
            return None;
        }
        Some(Self {
            jurisdiction: (!jurisdiction.is_empty()).then(|| jurisdiction.to_owned()),
            data_elements: elements.split(',').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
            email: channels.contains('e'),
            postal: channels.contains('p'),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleGroup {
    #[serde(flatten)]
    pub key: GroupKey,
    pub count: u64,
}

/// The register's aggregate: how many people are in each group. Stores keep it up to date with
/// every write; the record keeps a copy, which the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Population {
    groups: Vec<PeopleGroup>,
}

impl Population {
    pub fn from_counts(counts: impl IntoIterator<Item = (GroupKey, u64)>) -> Self {
        let mut merged: BTreeMap<GroupKey, u64> = BTreeMap::new();
        for (key, count) in counts {
            *merged.entry(key).or_default() += count;
        }
        let groups =
            merged.into_iter().filter(|(_, n)| *n > 0).map(|(key, count)| PeopleGroup { key, count }).collect();
        Self { groups }
    }

    pub fn groups(&self) -> &[PeopleGroup] {
        &self.groups
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn total(&self) -> u64 {
        self.groups.iter().map(|g| g.count).sum()
    }

    /// People whose jurisdiction matches one of `patterns` (everyone when there are none) and,
    /// when `elements` are given, whose involved data includes one of them. A person whose data
    /// elements are not recorded counts, so that a duty errs toward applying.
    pub fn count_in(&self, patterns: &[String], elements: &[String]) -> u64 {
        self.groups.iter().filter(|g| g.key.in_scope(patterns, elements)).map(|g| g.count).sum()
    }

    /// [`Population::count_in`] per jurisdiction (people with none recorded are left out).
    pub fn by_jurisdiction(&self, patterns: &[String], elements: &[String]) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for group in self.groups.iter().filter(|g| g.key.in_scope(patterns, elements)) {
            if let Some(j) = &group.key.jurisdiction {
                *counts.entry(j.clone()).or_default() += group.count;
            }
        }
        counts
    }

    /// Every data element recorded for anyone.
    pub fn data_elements(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flat_map(|g| g.key.data_elements.iter().map(String::as_str))
    }
}

impl GroupKey {
    pub fn in_scope(&self, patterns: &[String], elements: &[String]) -> bool {
        let place = patterns.is_empty()
            || self.jurisdiction.as_deref().is_some_and(|j| patterns.iter().any(|p| jurisdiction_matches(p, j)));
        let data = elements.is_empty()
            || self.data_elements.is_empty()
            || self.data_elements.iter().any(|e| elements.contains(e));
        place && data
    }
}

/// A write to the register as the audit trail keeps it: counts and a digest, not the people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleBatch {
    pub source: BatchSource,
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    /// People corrected where they live or what they lost, whose telling was taken back: what
    /// they were told was for other facts.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub untold: u64,
    /// SHA-256 (hex) of the imported file, or of the removed ids, one per line.
    pub sha256: String,
    /// The register's counts after the batch.
    pub population: Population,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BatchSource {
    /// A file of people added or corrected.
    Import { file_name: Option<String>, people: u64 },
    /// People taken off the register by id.
    Removal,
}

impl PeopleBatch {
    /// The batch in the timeline's words.
    pub fn describe(&self) -> String {
        let digest: String = self.sha256.chars().take(12).collect();
        let after = format!("{} people listed (SHA-256 {digest}…)", group_digits(self.population.total()));
        match &self.source {
            BatchSource::Import { file_name, people } => format!(
                "Affected people imported{}: {} ({} added, {} corrected{}); {after}",
                file_name.as_deref().map(|f| format!(" from {f}")).unwrap_or_default(),
                group_digits(*people),
                group_digits(self.added),
                group_digits(self.updated),
                match self.untold {
                    0 => String::new(),
                    n => format!(
                        ", {} of them to be told again as where they live or what they lost changed",
                        group_digits(n)
                    ),
                },
            ),
            BatchSource::Removal => format!("{} affected people removed; {after}", group_digits(self.removed)),
        }
    }
}

/// A way people were told other than a notice Tocsin emailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherChannel {
    Letter,
    Phone,
    InPerson,
    /// Website posting and media notice where a law allows it (e.g. Cal. Civ. Code 1798.82(j)(3)).
    SubstituteNotice,
}

impl OtherChannel {
    pub const ALL: [OtherChannel; 4] =
        [OtherChannel::Letter, OtherChannel::Phone, OtherChannel::InPerson, OtherChannel::SubstituteNotice];

    pub fn as_str(self) -> &'static str {
        match self {
            OtherChannel::Letter => "letter",
            OtherChannel::Phone => "phone",
            OtherChannel::InPerson => "in_person",
            OtherChannel::SubstituteNotice => "substitute_notice",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OtherChannel::Letter => "By letter",
            OtherChannel::Phone => "By phone",
            OtherChannel::InPerson => "In person",
            OtherChannel::SubstituteNotice => "By substitute notice",
        }
    }
}

/// How people were accounted for, for one duty, outside the notices Tocsin sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "how")]
pub enum Accounted {
    /// Told through a channel the team vouches the law accepts for them.
    Told { channel: OtherChannel, at: DateTime<Utc> },
    /// Not required to be told, and why (the law's exception that applies to them).
    NotRequired { reason: String },
}

/// People accounted for as the record and the audit trail keep it: who did it is the trail's,
/// the people are the register's; here the duty, how, the count and a digest of the ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    /// Numbered from 1 within the incident.
    pub id: u32,
    pub duty: String,
    #[serde(flatten)]
    pub accounted: Accounted,
    pub people: u64,
    /// SHA-256 (hex) of the ids, one per line, in the order given.
    pub sha256: String,
}

impl Accounting {
    pub fn describe(&self) -> String {
        let people = match self.people {
            1 => "1 person".to_owned(),
            n => format!("{} people", group_digits(n)),
        };
        match &self.accounted {
            Accounted::Told { channel, at } => format!(
                "{people} recorded as told for {} {} on {}",
                self.duty,
                channel.label().to_lowercase(),
                at.format("%Y-%m-%d")
            ),
            Accounted::NotRequired { reason } => {
                format!("{people} recorded as not required to be told for {}: {reason}", self.duty)
            }
        }
    }
}

/// The most people one accounting names; more go in several.
pub const ACCOUNTED_MAX: usize = 10_000;
/// The longest reason a person need not be told.
const REASON_MAX: usize = 2_000;

/// The team's form for people told another way or not required to be told, for one duty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPeopleForm {
    pub duty: String,
    /// Register ids, one per line or separated by commas.
    pub ids: String,
    /// An [`OtherChannel`] or `not_required`.
    pub how: String,
    /// When they were told; required unless not required.
    #[serde(default)]
    pub told_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reason: String,
}

/// A form that passed: the duty, the distinct ids in the order given, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleAccounted {
    pub duty: String,
    pub ids: Vec<String>,
    pub accounted: Accounted,
}

impl PeopleAccounted {
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.ids.join("\n")))
    }
}

impl AccountPeopleForm {
    /// Every rule of the form, all errors at once; `now` bounds when people were told.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<PeopleAccounted, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let duty = self.duty.trim().to_owned();
        if duty.is_empty() {
            errors.push("duty", "Choose the duty they were accounted for");
        }
        let mut ids: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for id in self.ids.split([',', '\n']).map(str::trim).filter(|id| !id.is_empty()) {
            if seen.insert(id) {
                ids.push(id.to_owned());
            }
        }
        if ids.is_empty() || ids.len() > ACCOUNTED_MAX {
            errors.push("ids", format!("Give between 1 and {ACCOUNTED_MAX} ids from the register"));
        }
        let accounted = if self.how == "not_required" {
            errors
                .collect("reason", multi_line(&self.reason, "Why they need not be told", 5, REASON_MAX))
                .map(|reason| Accounted::NotRequired { reason })
        } else {
            let channel = OtherChannel::ALL.into_iter().find(|c| c.as_str() == self.how);
            if channel.is_none() {
                errors.push("how", "Choose how they were told, or that they need not be");
            }
            match self.told_at {
                Some(at) if at > now => errors.push("told_at", "When they were told cannot be in the future"),
                None => errors.push("told_at", "Enter when they were told"),
                Some(_) => {}
            }
            channel.zip(self.told_at).map(|(channel, at)| Accounted::Told { channel, at })
        };
        match accounted {
            Some(accounted) if errors.is_empty() => Ok(PeopleAccounted { duty, ids, accounted }),
            _ => Err(errors),
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `1234567` as `1,234,567`.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The columns an import file may have, each under its name or an alias (any case).
const COLUMNS: [(&str, &[&str]); 9] = [
    ("id", &["account", "account_id", "customer_id"]),
    ("name", &["full_name"]),
    ("email", &["email_address"]),
    ("postal_address", &["address"]),
    ("jurisdiction", &[]),
    ("country", &[]),
    ("state", &["region", "province"]),
    ("language", &["lang"]),
    ("data_elements", &["elements", "data"]),
];
const CONSENT_COLUMN: (&str, &[&str]) = ("email_consent", &["consent"]);

/// Where each known column is in the file.
/// A handful of columns: a list scanned beats hashing each name on every line.
struct Columns(Vec<(&'static str, usize)>);

impl Columns {
    fn read(header: &csv::StringRecord) -> Result<Self, LineError> {
        let mut found: Vec<(&'static str, usize)> = Vec::new();
        for (index, name) in header.iter().enumerate() {
            let name = slugify(name);
            let known = COLUMNS
                .iter()
                .chain(std::iter::once(&CONSENT_COLUMN))
                .find(|(column, aliases)| *column == name || aliases.contains(&name.as_str()));
            match known {
                Some((column, _)) if found.iter().any(|(c, _)| c == column) => {
                    return Err(header_error(format!("The column \"{column}\" is named twice")));
                }
                Some((column, _)) => found.push((column, index)),
                None => {
                    return Err(header_error(format!("{name:?} is not a column Tocsin reads; {}", known_columns())));
                }
            }
        }
        let has = |column: &str| found.iter().any(|(c, _)| *c == column);
        if !has("id") {
            return Err(header_error(format!("The header line must name an \"id\" column; {}", known_columns())));
        }
        if has("jurisdiction") && has("country") {
            return Err(header_error("Give either \"jurisdiction\" or \"country\" (with \"state\"), not both".into()));
        }
        Ok(Self(found))
    }

    fn cell<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let index = self.0.iter().find(|(c, _)| *c == column)?.1;
        record.get(index).map(str::trim).filter(|v| !v.is_empty())
    }
}

fn header_error(message: String) -> LineError {
    LineError { line: 1, message }
}

fn known_columns() -> String {
    let names: Vec<&str> = COLUMNS.iter().chain(std::iter::once(&CONSENT_COLUMN)).map(|(c, _)| *c).collect();
    format!("the columns are {}", names.join(", "))
}

/// Reads an import file a line at a time: the header first, then each person or the error on
/// that line (counted from 1, the header included). A person listed twice is an error on the
/// later line.
pub struct PeopleCsv<R: Read> {
    reader: csv::Reader<R>,
    columns: Columns,
    seen: HashMap<String, u64>,
    record: csv::ByteRecord,
}

impl<R: Read> PeopleCsv<R> {
    pub fn open(input: R) -> Result<Self, LineError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let header = reader.byte_headers().map_err(|e| header_error(read_error(&e)))?.clone();
        let header = csv::StringRecord::from_byte_record(header).map_err(|_| header_error(not_utf8()))?;
        let columns = Columns::read(&header)?;
        Ok(Self { reader, columns, seen: HashMap::new(), record: csv::ByteRecord::new() })
    }

    /// The input, read as far as the reader went.
    pub fn into_inner(self) -> R {
        self.reader.into_inner()
    }
}

/// One line's person; `None` for a blank line.
fn parse_person(columns: &Columns, record: &csv::StringRecord) -> Result<Option<Person>, String> {
    if record.iter().all(|v| v.trim().is_empty()) {
        return Ok(None);
    }
    let cell = |column| columns.cell(record, column);
    let id = single_line(cell("id").ok_or("Give the person's id (an account or row key)")?, "Id", 1, 200)?;
    let email = cell("email")
        .map(|e| {
            ReporterEmail::parse(e)
                .map(|e| e.into_inner().to_lowercase())
                .map_err(|_| format!("{e:?} is not an email address"))
        })
        .transpose()?;
    let jurisdiction = match (cell("jurisdiction"), cell("country"), cell("state")) {
        (Some(j), _, _) => Some(known_jurisdiction(j)?),
        (None, Some(country), Some(state)) => Some(known_jurisdiction(&format!("{country}-{state}"))?),
        (None, Some(country), None) => Some(known_jurisdiction(country)?),
        (None, None, Some(_)) => return Err("A state needs its country in the \"country\" column".into()),
        (None, None, None) => None,
    };
    Ok(Some(Person {
        name: cell("name").map(|n| single_line(n, "Name", 1, 200)).transpose()?,
        email,
        postal_address: cell("postal_address").map(|a| single_line(a, "Postal address", 5, 500)).transpose()?,
        jurisdiction,
        language: cell("language").map(language_tag).transpose()?,
        data_elements: cell("data_elements").map(data_elements).transpose()?.unwrap_or_default(),
        email_consent: cell("email_consent").map(yes_or_no).transpose()?,
        id,
    }))
}

impl<R: Read> Iterator for PeopleCsv<R> {
    type Item = Result<Person, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let mut record = std::mem::take(&mut self.record);
            let read = self.reader.read_byte_record(&mut record);
            let line = record.position().map_or(0, |p| p.line());
            self.record = record;
            match read {
                Ok(false) => return None,
                Err(e) => {
                    let line = e.position().map_or(line, |p| p.line());
                    return Some(Err(LineError { line, message: read_error(&e) }));
                }
                Ok(true) => {}
            }
            let record = match csv::StringRecord::from_byte_record(std::mem::take(&mut self.record)) {
                Ok(record) => record,
                Err(_) => return Some(Err(LineError { line, message: not_utf8() })),
            };
            let parsed = parse_person(&self.columns, &record);
            // The record's buffer is read into again.
            self.record = record.into_byte_record();
            let person = match parsed {
                Ok(None) => continue,
                Ok(Some(person)) => person,
                Err(message) => return Some(Err(LineError { line, message })),
            };
            if let Some(first) = self.seen.get(&person.id) {
                let message = format!("{:?} is already listed on line {first}", person.id);
                return Some(Err(LineError { line, message }));
            }
            self.seen.insert(person.id.clone(), line);
            return Some(Ok(person));
        }
    }
}

fn read_error(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => not_utf8(),
        csv::ErrorKind::Io(e) => format!("The file could not be read: {e}"),
        _ => format!("This line is not well-formed CSV: {error}"),
    }
}

fn not_utf8() -> String {
    "This line is not UTF-8 text: save the file as CSV UTF-8 and import it again".to_owned()
}

/// A jurisdiction whose country (and subdivision, where given) ISO 3166 knows.
fn known_jurisdiction(raw: &str) -> Result<Jurisdiction, String> {
    let jurisdiction = Jurisdiction::parse(raw)?;
    let code = jurisdiction.as_str();
    let known = match code.split_once('-') {
        Some(_) => rust_iso3166::iso3166_2::from_code(code).is_some(),
        None => rust_iso3166::from_alpha2(code).is_some(),
    };
    if known { Ok(jurisdiction) } else { Err(format!("{code:?} is not an ISO 3166 country or region code")) }
}

fn language_tag(raw: &str) -> Result<String, String> {
    let mut parts = raw.split(['-', '_']);
    let primary = parts.next().unwrap_or_default();
    let primary_ok = (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(raw.replace('_', "-").to_ascii_lowercase())
    } else {
        Err(format!("{raw:?} is not a language tag such as de or fr-CA"))
    }
}

/// Elements separated by `;` (or `,` inside a quoted cell), each a vocabulary id or alias.
fn data_elements(raw: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for name in raw.split([';', ',']).map(str::trim).filter(|n| !n.is_empty()) {
        let element = element_named(name).or_else(|| element_named(&slugify(name))).ok_or_else(|| {
            format!("{name:?} is not a data element Tocsin knows; use the ids listed with the import form")
        })?;
        ids.push(element.id.clone());
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

fn yes_or_no(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        _ => Err(format!("Email consent must be yes or no, not {raw:?}")),
    }
}

#[cfg(test)]
mod tests;
