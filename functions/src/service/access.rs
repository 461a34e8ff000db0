//! Who may see and change what: the one place that decides access to an incident and to
//! everything reachable from it (its reports and their files, timeline, exports, obligations,
//! notices and filings). Use cases call it on the record they read anyway, so a decision costs
//! no extra read; handlers never decide access themselves.

use shared::access::{Action, Me, SecurityEvent, TeamRole};
use shared::audit::ChainHead;
use shared::record::IncidentRecord;
use shared::reference::{Reference, ReferenceKind};

use super::error::ServiceError;
use super::services::Services;
use crate::ports::Account;

/// A signed-in person, as the use cases see them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Account,
}

impl Caller {
    /// Someone acting through the use cases directly rather than a session: the test rigs, which
    /// drive the services in process. There is no way to such a caller from outside the process.
    pub fn acting_as(name: &str, role: TeamRole) -> Self {
        let account = Account::without_credentials(
            format!("in-process:{name}"),
            String::new(),
            name.to_owned(),
            role,
            chrono::DateTime::UNIX_EPOCH,
        );
        Caller { account }
    }

    pub fn name(&self) -> &str {
        &self.account.name
    }

    pub fn role(&self) -> TeamRole {
        self.account.role
    }

    pub fn me(&self) -> Me {
        me(&self.account)
    }
}

/// What the app is told of the person signed in.
pub(super) fn me(account: &Account) -> Me {
    Me { id: account.id.clone(), email: account.email.clone(), name: account.name.clone(), role: account.role }
}

/// Who changes an incident: a team member, checked against the record, or Tocsin itself
/// (a campaign finishing, an alert, the internal notification), which acts under its name.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    Member(&'a Caller),
    Tocsin(&'a str),
}

impl Actor<'_> {
    pub fn name(&self) -> &str {
        match self {
            Actor::Member(caller) => caller.name(),
            Actor::Tocsin(name) => name,
        }
    }

    pub fn account(&self) -> Option<&str> {
        match self {
            Actor::Member(caller) => Some(&caller.account.id),
            Actor::Tocsin(_) => None,
        }
    }
}

/// A restricted incident is not found for anyone but its participants and admins, as if it did
/// not exist.
pub fn ensure_may_see(record: &IncidentRecord, caller: &Caller) -> Result<(), ServiceError> {
    if record.visible_to(&caller.account.id, caller.role()) { Ok(()) } else { Err(ServiceError::NotFound) }
}

impl Services {
    /// The incident and its chain head, read once, if `caller` may see it.
    pub(super) async fn visible_incident(
        &self,
        caller: &Caller,
        reference: Reference,
    ) -> Result<(IncidentRecord, ChainHead), ServiceError> {
        let (record, head) = self.incidents.incident(reference).await?.ok_or(ServiceError::NotFound)?;
        ensure_may_see(&record, caller)?;
        Ok((record, head))
    }

    /// Which of `incidents` the caller may not see, each read once.
    pub(super) async fn hidden_from(
        &self,
        caller: &Caller,
        incidents: &[Reference],
    ) -> Result<Vec<Reference>, ServiceError> {
        let mut hidden = Vec::new();
        let mut checked = Vec::new();
        for incident in incidents {
            if checked.contains(incident) {
                continue;
            }
            checked.push(*incident);
            if let Some((record, _)) = self.incidents.incident(*incident).await?
                && ensure_may_see(&record, caller).is_err()
            {
                hidden.push(*incident);
            }
        }
        Ok(hidden)
    }

    /// Refuses, as not found, a subject the caller may not see: a restricted incident, or a
    /// report linked to one.
    pub(super) async fn ensure_visible(&self, subject: Reference, caller: &Caller) -> Result<(), ServiceError> {
        let incident = match subject.kind {
            ReferenceKind::Incident => Some(subject),
            ReferenceKind::Report => self.reports.report(subject).await?.and_then(|report| report.incident),
            ReferenceKind::Policy | ReferenceKind::Security => None,
        };
        match incident {
            Some(incident) => match self.incidents.incident(incident).await? {
                Some((record, _)) => ensure_may_see(&record, caller),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Restricting needs a role that may, and one who would still see the incident after.
    pub(super) async fn ensure_may_restrict(
        &self,
        record: &IncidentRecord,
        restricted: bool,
        caller: &Caller,
    ) -> Result<(), ServiceError> {
        if !caller.role().may(Action::Restrict) {
            let event = SecurityEvent::Denied {
                method: "POST".to_owned(),
                path: format!("/api/incidents/{}/commands (restrict)", record.reference),
                role: caller.role(),
            };
            self.log_security(caller.name(), event).await?;
            return Err(ServiceError::Forbidden(format!(
                "Your role ({}) does not allow restricting an incident",
                caller.role().label()
            )));
        }
        if restricted
            && caller.role() != TeamRole::Admin
            && !record.participant_accounts().contains(&caller.account.id.as_str())
        {
            return Err(ServiceError::Refused(
                "Take a role in the incident first: once restricted, only its participants and admins see it".into(),
            ));
        }
        Ok(())
    }
}
