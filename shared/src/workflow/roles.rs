//! Who does what. The response lead organises the company-wide response; the technical lead runs
//! the technical team. Every assignment and hand-over is kept with its time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::single_line;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ResponseLead,
    TechnicalLead,
    TeamMember,
    Counsel,
    DataProtectionOfficer,
    Communications,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::ResponseLead,
        Role::TechnicalLead,
        Role::TeamMember,
        Role::Counsel,
        Role::DataProtectionOfficer,
        Role::Communications,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ResponseLead => "response_lead",
            Role::TechnicalLead => "technical_lead",
            Role::TeamMember => "team_member",
            Role::Counsel => "counsel",
            Role::DataProtectionOfficer => "data_protection_officer",
            Role::Communications => "communications",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::ResponseLead => "Response lead",
            Role::TechnicalLead => "Technical lead",
            Role::TeamMember => "Team member",
            Role::Counsel => "Counsel",
            Role::DataProtectionOfficer => "Data protection officer",
            Role::Communications => "Communications",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Team members are many; every other role has one holder at a time, so assigning hands over.
    pub fn is_single_holder(self) -> bool {
        self != Role::TeamMember
    }
}

pub const PERSON_MAX: usize = 120;

/// A person as the team names them (a name or an email address), before the service matches
/// them to an account.
pub fn parse_person(raw: &str, label: &str) -> Result<String, String> {
    single_line(raw, label, 2, PERSON_MAX)
}

/// A role holder's identity for access: their account, or why there is none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Holder {
    /// Named before accounts decided access (entries written before carry no holder): linked to
    /// the one account of that name when there is exactly one, until then no access.
    #[default]
    NamedOnly,
    Account {
        id: String,
    },
    /// Someone the team has no account for (outside counsel): the role gives no access.
    NoAccount,
}

impl Holder {
    pub fn account(&self) -> Option<&str> {
        match self {
            Holder::Account { id } => Some(id),
            Holder::NamedOnly | Holder::NoAccount => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub role: Role,
    /// The holder's name as shown.
    pub person: String,
    /// Who holds it as far as access goes: the name alone never decides.
    #[serde(default)]
    pub holder: Holder,
    pub assigned_at: DateTime<Utc>,
    pub assigned_by: String,
    pub ended_at: Option<DateTime<Utc>>,
}

impl RoleAssignment {
    pub fn is_current(&self) -> bool {
        self.ended_at.is_none()
    }
}
