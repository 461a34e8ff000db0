//! Customer breach notices: what a notice must say (GDPR Art. 34(2), with Art. 33(3)(b)-(d)),
//! who it goes to, the approval by a second team member, and each recipient's delivery, whose
//! state moves only forward and whose mail events merge the same in any order.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deadlines::rules::Rule;
use crate::people::Listed;
use crate::validation::{ValidationErrors, multi_line, single_line};
use crate::workflow::investigation::{AffectedAccount, LineError, parse_accounts_csv};

pub const SUBJECT_MAX: usize = 200;
pub const SECTION_MAX: usize = 5_000;

/// A notice as typed in the dashboard: every section of what a customer must be told.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeForm {
    pub subject: String,
    /// What happened, in plain language (Art. 34(2), 33(3)(a) in part).
    pub nature: String,
    /// Who to ask: the DPO or another contact point (Art. 33(3)(b)).
    pub contact: String,
    /// What is likely to follow from it (Art. 33(3)(c)).
    pub consequences: String,
    /// What was done and is proposed, including to limit the harm (Art. 33(3)(d)).
    pub measures: String,
    /// What the customer should do now.
    pub advice: String,
    /// What a customer who is itself a controller needs for its own duties (Arts 33 and 34):
    /// categories and numbers of its data subjects and records, timing, a contact for follow-up.
    pub controller_information: String,
    /// The duties to tell individuals (obligation ids) this notice is sent to meet; none for a
    /// voluntary notice. A finished campaign meets only these, never every open one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub serves: Vec<String>,
}

/// A [`NoticeForm`] with every section checked: only [`NoticeForm::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NoticeContent(NoticeForm);

impl std::ops::Deref for NoticeContent {
    type Target = NoticeForm;

    fn deref(&self) -> &NoticeForm {
        &self.0
    }
}

impl NoticeForm {
    /// Every section a person must be told is required: a notice missing one would not meet the
    /// law it is sent under. The controllers' section is only for customers who are controllers
    /// of data processed for them (GDPR Art. 33(2)), so it may stay empty and is then left out.
    pub fn parse(&self) -> Result<NoticeContent, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut section = |field: &str, raw: &str, label: &str| {
            let min = usize::from(field != "controller_information");
            errors.collect(field, multi_line(raw, label, min, SECTION_MAX)).unwrap_or_default()
        };
        let nature = section("nature", &self.nature, "What happened");
        let contact = section("contact", &self.contact, "Who to contact");
        let consequences = section("consequences", &self.consequences, "Likely consequences");
        let measures = section("measures", &self.measures, "Measures taken and proposed");
        let advice = section("advice", &self.advice, "What the customer should do");
        let controller_information =
            section("controller_information", &self.controller_information, "Information for controllers");
        let subject = errors.collect("subject", single_line(&self.subject, "Subject", 5, SUBJECT_MAX));
        let mut serves: Vec<String> = Vec::new();
        for id in self.serves.iter().map(|id| id.trim()) {
            if !id.is_empty() && !serves.iter().any(|s| s == id) {
                serves.push(id.to_owned());
            }
        }
        match subject {
            Some(subject) if errors.is_empty() => Ok(NoticeContent(NoticeForm {
                subject,
                nature,
                contact,
                consequences,
                measures,
                advice,
                controller_information,
                serves,
            })),
            _ => Err(errors),
        }
    }
}

/// One person a notice goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Lower-cased; the key of the recipient's delivery.
    pub email: String,
    pub name: Option<String>,
    pub account: Option<String>,
    pub jurisdiction: Option<String>,
    /// The register's id of the person, when the list was taken from the register: what a
    /// delivery to them counts toward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// The person's data involved, as the register has it (which duties they are in scope of).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_elements: Vec<String>,
}

impl Recipient {
    /// The register's person at `email`.
    pub fn of_person(person: &crate::people::Person, email: String) -> Self {
        Self {
            email,
            name: person.name.clone(),
            account: Some(person.id.clone()),
            jurisdiction: person.jurisdiction.as_ref().map(|j| j.as_str().to_owned()),
            person: Some(person.id.clone()),
            data_elements: person.data_elements.clone(),
        }
    }
}

/// The recipients among affected accounts: one per address (lower-cased), in order. An account
/// with no address, or one that is not a plain mailbox, is listed by its line (counted from 2,
/// as in the CSV it came from) and not taken.
pub fn recipients(accounts: &[AffectedAccount]) -> (Vec<Recipient>, Vec<LineError>) {
    let mut taken: Vec<Recipient> = Vec::new();
    let mut refused = Vec::new();
    for (index, account) in accounts.iter().enumerate() {
        let line = index as u64 + 2;
        let who = account.account.as_deref().unwrap_or("this account");
        let Some(raw) = account.email.as_deref() else {
            refused.push(LineError { line, message: format!("{who} has no email address to send to") });
            continue;
        };
        match crate::notifications::parse_address(raw) {
            Ok(email) if taken.iter().any(|r| r.email == email) => {}
            Ok(email) => taken.push(Recipient {
                email,
                name: account.name.clone(),
                account: account.account.clone(),
                jurisdiction: account.jurisdiction.as_ref().map(|j| j.as_str().to_owned()),
                person: None,
                data_elements: Vec::new(),
            }),
            Err(message) => refused.push(LineError { line, message }),
        }
    }
    (taken, refused)
}

/// Where a notice is: composed, waiting for a second member's approval, approved (sending goes
/// on until every recipient's delivery is settled), or withdrawn before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum NoticeStatus {
    Draft,
    AwaitingApproval {
        requested_by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requested_by_account: Option<String>,
        at: DateTime<Utc>,
    },
    Approved {
        by: String,
        at: DateTime<Utc>,
    },
    Withdrawn {
        by: String,
        at: DateTime<Utc>,
    },
}

/// Why an approval was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalRefused {
    #[error("Ask for approval first")]
    NotRequested,
    #[error("Another team member must approve what {0} composed")]
    SamePerson(String),
    #[error("The notice was already approved")]
    AlreadyApproved,
    #[error("The notice was withdrawn")]
    Withdrawn,
}

impl NoticeStatus {
    /// Approval by `by` (with account `by_account`), who must not be the person who asked for it:
    /// told apart by account, or by name for a request recorded before accounts were.
    pub fn approve(
        &self,
        by: &str,
        by_account: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<NoticeStatus, ApprovalRefused> {
        match self {
            NoticeStatus::Draft => Err(ApprovalRefused::NotRequested),
            NoticeStatus::AwaitingApproval { requested_by, requested_by_account, .. }
                if match (requested_by_account.as_deref(), by_account) {
                    (Some(requester), Some(approver)) => requester == approver,
                    _ => requested_by == by,
                } =>
            {
                Err(ApprovalRefused::SamePerson(requested_by.clone()))
            }
            NoticeStatus::AwaitingApproval { .. } => Ok(NoticeStatus::Approved { by: by.to_owned(), at }),
            NoticeStatus::Approved { .. } => Err(ApprovalRefused::AlreadyApproved),
            NoticeStatus::Withdrawn { .. } => Err(ApprovalRefused::Withdrawn),
        }
    }
}

/// A customer notice on an incident: its content, who it goes to, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: u32,
    pub content: NoticeContent,
    pub composed_by: String,
    pub status: NoticeStatus,
    /// The recipient list the approval covers; a new list needs a new approval.
    pub recipients: Option<RecipientList>,
    /// Set once every recipient's delivery was settled.
    pub finished: Option<CampaignResult>,
}

/// A recipient list as stored: its id keys the deliveries, so a list is never edited, only replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientList {
    pub list: String,
    pub count: u32,
    pub source: RecipientSource,
    /// People of the source the list could not include (no usable address): while any are left
    /// out, the notice cannot meet a duty to tell them all.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub left_out: u32,
    /// Why they were left out, and how many for each reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub left_out_because: BTreeMap<String, u32>,
    /// The jurisdictions the team limited the list to (none: everyone the notice serves).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jurisdictions: Vec<String>,
    /// People in scope an earlier notice already told, not mailed again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub already_told: u32,
}

impl RecipientList {
    /// "10 left out: no email address (10)", or `None` when the list left no one out.
    pub fn left_out_summary(&self) -> Option<String> {
        if self.left_out == 0 {
            return None;
        }
        if self.left_out_because.is_empty() {
            return Some(format!("{} left out for want of a usable address", self.left_out));
        }
        let reasons: Vec<String> = self.left_out_because.iter().map(|(why, n)| format!("{why} ({n})")).collect();
        Some(format!("{} left out: {}", self.left_out, reasons.join(", ")))
    }

    /// "from the affected-people register in DE, FR (600 already told left out)".
    pub fn source_summary(&self) -> String {
        let source = match self.jurisdictions.as_slice() {
            [] => format!("from {}", self.source.label()),
            places => format!("from {} in {}", self.source.label(), places.join(", ")),
        };
        match self.already_told {
            0 => source,
            told => format!("{source} ({told} already told, not mailed again)"),
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Where the team took the recipients from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientSource {
    /// The affected-people register: everyone in scope of the duties the notice serves.
    Register,
    /// The affected accounts recorded in the investigation (before the register).
    Investigation,
    /// A CSV file imported for this notice.
    Csv,
}

impl RecipientSource {
    pub fn label(self) -> &'static str {
        match self {
            RecipientSource::Register => "the affected-people register",
            RecipientSource::Investigation => "the investigation's affected accounts",
            RecipientSource::Csv => "an imported CSV file",
        }
    }
}

/// What a campaign came to when it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignResult {
    pub sent: u32,
    pub failed: u32,
    pub suppressed: u32,
    pub at: DateTime<Utc>,
}

/// Where the recipients come from, as asked in the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecipientsForm {
    /// The people of the register in scope of the duties the notice serves, limited to these
    /// jurisdictions (patterns such as `DE`, `US-CA`, `EU`) when any are given.
    Register {
        #[serde(default)]
        jurisdictions: Vec<String>,
    },
    /// CSV with a header naming `email` and some of `account`, `name` and `jurisdiction`.
    Csv { csv: String },
}

/// The most recipients one notice takes.
pub const RECIPIENTS_MAX: usize = 100_000;

/// A recipient list taken: how many, and the lines that were not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientsTaken {
    pub count: u32,
    pub refused: Vec<LineError>,
}

impl Notice {
    /// The recipient list if the notice may go out now; otherwise why not.
    pub fn ready_for_approval(&self) -> Result<&RecipientList, String> {
        match &self.recipients {
            Some(list) if list.count > 0 => Ok(list),
            _ => Err("Choose the recipients first".to_owned()),
        }
    }

    /// The id of the campaign sending it, once approved.
    pub fn campaign(&self) -> Option<&str> {
        match (&self.status, &self.recipients) {
            (NoticeStatus::Approved { .. }, Some(list)) => Some(&list.list),
            _ => None,
        }
    }
}

/// The recipients a CSV names, and the lines left out for want of an address. A CSV with a bad
/// line is refused whole (fix it and import again).
pub fn csv_recipients(csv: &str) -> Result<(Vec<Recipient>, Vec<LineError>), Vec<LineError>> {
    let (taken, refused) = recipients(&parse_accounts_csv(csv, RECIPIENTS_MAX)?);
    if taken.is_empty() {
        let none = LineError { line: 1, message: "The file holds no email address to send to".to_owned() };
        return Err(refused.into_iter().chain(std::iter::once(none)).collect());
    }
    Ok((taken, refused))
}

/// The register's people a notice goes to: those in scope of a duty it serves (everyone when it
/// declares none), within the jurisdictions chosen, each reachable by email once. Everyone else
/// in scope is counted as left out, by reason, with the first few named.
pub struct RegisterSelection {
    /// Each served duty's id, jurisdictions and data elements.
    scopes: Vec<(String, Vec<String>, Vec<String>)>,
    jurisdictions: Vec<String>,
    addresses: HashSet<String>,
    pub taken: u32,
    /// People in scope already told for every served duty whose scope they are in: not mailed again.
    pub already_told: u32,
    pub left_out: BTreeMap<String, u32>,
    /// The first people left out, by id.
    pub examples: Vec<LineError>,
}

/// People left out named in the answer; the rest are counted.
const LEFT_OUT_NAMED: usize = 100;

impl RegisterSelection {
    /// For a notice serving `served` (each duty's id and rule), limited to `jurisdictions`.
    pub fn new(served: &[(&str, &Rule)], jurisdictions: Vec<String>) -> Self {
        let scopes = served
            .iter()
            .map(|(id, r)| ((*id).to_owned(), r.when.jurisdictions.clone(), r.when.data_categories.clone()))
            .collect();
        Self {
            scopes,
            jurisdictions,
            addresses: HashSet::new(),
            taken: 0,
            already_told: 0,
            left_out: BTreeMap::new(),
            examples: vec![],
        }
    }

    /// The recipient `entry` is, if they are in scope, not yet told, and can be reached by email.
    pub fn take(&mut self, entry: &Listed) -> Option<Recipient> {
        let person = &entry.person;
        let group = person.group();
        let duties: Vec<&String> =
            self.scopes.iter().filter(|(_, places, data)| group.in_scope(places, data)).map(|(id, ..)| id).collect();
        let in_scope = self.scopes.is_empty() || !duties.is_empty();
        if !in_scope || !group.in_scope(&self.jurisdictions, &[]) {
            return None;
        }
        if !duties.is_empty() && duties.iter().all(|duty| entry.told.contains(duty)) {
            self.already_told += 1;
            return None;
        }
        let reason = match (person.email_unreachable(), &person.email) {
            (None, Some(email)) if self.addresses.insert(email.clone()) => {
                self.taken += 1;
                return Some(Recipient::of_person(person, email.clone()));
            }
            (None, Some(_)) => "shares an email address with another person",
            (why, _) => why.unwrap_or("no email address"),
        };
        *self.left_out.entry(reason.to_owned()).or_default() += 1;
        if self.examples.len() < LEFT_OUT_NAMED {
            let line = u64::from(self.taken) + self.left_out.values().map(|n| u64::from(*n)).sum::<u64>();
            self.examples.push(LineError { line, message: format!("{}: {reason}", person.id) });
        }
        None
    }

    pub fn left_out_count(&self) -> u32 {
        self.left_out.values().sum()
    }
}

/// How many deliveries of a campaign are in each state, and what the mail service said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryCounts {
    pub pending: u32,
    pub sending: u32,
    pub sent: u32,
    pub failed: u32,
    pub suppressed: u32,
    pub delivered: u32,
    pub bounced: u32,
    pub complained: u32,
}

impl DeliveryCounts {
    pub fn add(&mut self, state: &DeliveryState, outcome: MailOutcome) {
        match state {
            DeliveryState::Pending => self.pending += 1,
            DeliveryState::Sending { .. } => self.sending += 1,
            DeliveryState::Sent { .. } => self.sent += 1,
            DeliveryState::Failed { .. } => self.failed += 1,
            DeliveryState::Suppressed { .. } => self.suppressed += 1,
        }
        if outcome.complained {
            self.complained += 1;
        } else if outcome.hard_bounced {
            self.bounced += 1;
        } else if outcome.delivered {
            self.delivered += 1;
        }
    }

    pub fn total(&self) -> u32 {
        self.pending + self.sending + self.sent + self.failed + self.suppressed
    }

    /// Nothing is left to send or to confirm.
    pub fn settled(&self) -> bool {
        self.pending == 0 && self.sending == 0
    }
}

/// One recipient's delivery as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub seq: u32,
    pub email: String,
    pub name: Option<String>,
    pub state: DeliveryState,
    pub outcome: MailOutcome,
}

/// A campaign's live progress, and the deliveries that need a look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeProgress {
    pub counts: DeliveryCounts,
    /// Failed, suppressed, bounced or complained deliveries, the first ones.
    pub problems: Vec<DeliveryView>,
}

/// One recipient's message. It moves pending → sending → sent or failed, each step a
/// conditional write on the step before, so no recipient is sent to twice; a suppressed address
/// (a hard bounce or a complaint before) is never tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Sending { claimed_at: DateTime<Utc> },
    Sent { message_id: String, at: DateTime<Utc> },
    Failed { reason: String, at: DateTime<Utc> },
    Suppressed { reason: String },
}

impl DeliveryState {
    pub fn kind(&self) -> DeliveryKind {
        match self {
            DeliveryState::Pending => DeliveryKind::Pending,
            DeliveryState::Sending { .. } => DeliveryKind::Sending,
            DeliveryState::Sent { .. } => DeliveryKind::Sent,
            DeliveryState::Failed { .. } => DeliveryKind::Failed,
            DeliveryState::Suppressed { .. } => DeliveryKind::Suppressed,
        }
    }
}

/// A [`DeliveryState`] without its details: what stores index deliveries by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    Pending,
    Sending,
    Sent,
    Failed,
    Suppressed,
}

impl DeliveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Pending => "pending",
            DeliveryKind::Sending => "sending",
            DeliveryKind::Sent => "sent",
            DeliveryKind::Failed => "failed",
            DeliveryKind::Suppressed => "suppressed",
        }
    }
}

/// What the mail service said happened to a message after it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailEvent {
    /// The mail service took the message (SES's Send event): proof it went, whatever follows.
    Accepted,
    Delivered,
    /// A temporary failure: the service may still deliver it.
    SoftBounce,
    /// The address does not exist or refuses mail: suppressed from then on.
    HardBounce,
    /// The person marked it as spam: suppressed from then on.
    Complaint,
}

/// Everything heard about one message. Merging is a union, so the same events in any order, or
/// repeated, give the same outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailOutcome {
    pub delivered: bool,
    pub soft_bounced: bool,
    pub hard_bounced: bool,
    pub complained: bool,
}

impl MailOutcome {
    pub fn merge(self, event: MailEvent) -> MailOutcome {
        let mut merged = self;
        match event {
            MailEvent::Accepted => {}
            MailEvent::Delivered => merged.delivered = true,
            MailEvent::SoftBounce => merged.soft_bounced = true,
            MailEvent::HardBounce => merged.hard_bounced = true,
            MailEvent::Complaint => merged.complained = true,
        }
        merged
    }

    /// The address must not be mailed again.
    pub fn suppresses(self) -> bool {
        self.hard_bounced || self.complained
    }

    /// The one word the dashboard shows: the worst thing heard wins.
    pub fn label(self) -> &'static str {
        match self {
            o if o.complained => "Complained",
            o if o.hard_bounced => "Bounced",
            o if o.delivered => "Delivered",
            o if o.soft_bounced => "Delayed",
            _ => "No news yet",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::workflow::investigation::Jurisdiction;

    fn complete_form() -> NoticeForm {
        NoticeForm {
            subject: "Important: your account data".into(),
            nature: "On 20 November someone copied our customer database.".into(),
            contact: "Dana Privacy, dpo@corp.example".into(),
            consequences: "Phishing emails that look like ours.".into(),
            measures: "We closed the hole and reset every password.".into(),
            serves: Vec::new(),
            advice: "Choose a new password; ignore emails asking for it.".into(),
            controller_information: "About 40 of your users and 120 records; ask dpo@corp.example for the list.".into(),
        }
    }

    #[test]
    fn a_notice_needs_every_section_and_names_each_missing_one() {
        assert_eq!(complete_form().parse().unwrap().contact, "Dana Privacy, dpo@corp.example");
        let declared =
            NoticeForm { serves: vec![" CA-IND ".into(), "CA-IND".into(), String::new()], ..complete_form() };
        assert_eq!(declared.parse().unwrap().serves, ["CA-IND"], "trimmed, once each");
        let missing = NoticeForm { consequences: " ".into(), nature: String::new(), ..complete_form() };
        let errors = missing.parse().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["nature", "consequences"]);
        let not_a_processor = NoticeForm { controller_information: " ".into(), ..complete_form() };
        assert_eq!(not_a_processor.parse().unwrap().controller_information, "", "only where it applies");
        let bad_subject = NoticeForm { subject: "Hi\r\nBcc: x@evil.example".into(), ..complete_form() };
        assert_eq!(bad_subject.parse().unwrap_err().0[0].field, "subject", "one line only");
    }

    #[test]
    fn recipients_are_one_per_address_and_the_unreachable_are_listed_by_line() {
        let account = |account: &str, email: Option<&str>| AffectedAccount {
            account: Some(account.into()),
            email: email.map(str::to_owned),
            name: None,
            jurisdiction: Some(Jurisdiction::parse("DE").unwrap()),
        };
        let accounts = [
            account("A-1", Some("Ann@Example.com")),
            account("A-2", None),
            account("A-3", Some("ann@example.com")),
            account("A-4", Some("bob@example.com")),
        ];
        let (taken, refused) = recipients(&accounts);
        assert_eq!(taken.iter().map(|r| r.email.as_str()).collect::<Vec<_>>(), ["ann@example.com", "bob@example.com"]);
        assert_eq!(taken[0].jurisdiction.as_deref(), Some("DE"));
        assert_eq!(refused, [LineError { line: 3, message: "A-2 has no email address to send to".into() }]);
    }

    #[test]
    fn a_second_member_approves_what_the_first_composed() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        assert_eq!(NoticeStatus::Draft.approve("Bo", Some("b"), at), Err(ApprovalRefused::NotRequested));
        let waiting =
            NoticeStatus::AwaitingApproval { requested_by: "Ann".into(), requested_by_account: Some("a".into()), at };
        assert_eq!(waiting.approve("Ann", Some("a"), at), Err(ApprovalRefused::SamePerson("Ann".into())));
        assert_eq!(
            waiting.approve("Ann Renamed", Some("a"), at),
            Err(ApprovalRefused::SamePerson("Ann".into())),
            "a new name is the same account"
        );
        assert!(waiting.approve("Ann", Some("another"), at).is_ok(), "a namesake is another person");
        let recorded_by_name =
            NoticeStatus::AwaitingApproval { requested_by: "Ann".into(), requested_by_account: None, at };
        assert_eq!(recorded_by_name.approve("Ann", Some("x"), at), Err(ApprovalRefused::SamePerson("Ann".into())));
        let approved = waiting.approve("Bo", Some("b"), at).unwrap();
        assert_eq!(approved, NoticeStatus::Approved { by: "Bo".into(), at });
        assert_eq!(approved.approve("Cy", Some("c"), at), Err(ApprovalRefused::AlreadyApproved));
    }

    #[test]
    fn mail_events_give_one_outcome_in_any_order_and_repeated() {
        use MailEvent::*;
        let events = [Delivered, SoftBounce, Complaint, Delivered];
        let forward = events.iter().fold(MailOutcome::default(), |o, e| o.merge(*e));
        let backward = events.iter().rev().chain(events.iter()).fold(MailOutcome::default(), |o, e| o.merge(*e));
        assert_eq!(forward, backward);
        assert_eq!((forward.label(), forward.suppresses()), ("Complained", true));
        let delivered = MailOutcome::default().merge(SoftBounce).merge(Delivered);
        assert_eq!((delivered.label(), delivered.suppresses()), ("Delivered", false));
        assert_eq!(MailOutcome::default().merge(HardBounce).label(), "Bounced");
    }
}
