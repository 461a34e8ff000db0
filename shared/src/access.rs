//! Who may do what: team roles, the actions they allow, and the account forms (sign-in,
//! invitations, password resets) with their rules. The server enforces [`TeamRole::may`]; the app
//! reads the same table to show only what a person can use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::report::ReporterEmail;
use crate::validation::{ValidationErrors, single_line};

/// A team account's role. Reporters have no account: their private follow-up link is their access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Works on reports and incidents.
    Member,
    /// A member who also holds the yearly policy review and restricts incidents.
    Lead,
    /// A lead who also manages the team's accounts and reads the local outbox.
    Admin,
    /// Reads everything, changes nothing.
    Auditor,
}

impl TeamRole {
    pub const ALL: [TeamRole; 4] = [TeamRole::Member, TeamRole::Lead, TeamRole::Admin, TeamRole::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Member => "member",
            TeamRole::Lead => "lead",
            TeamRole::Admin => "admin",
            TeamRole::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TeamRole::Member => "Team member",
            TeamRole::Lead => "Team lead",
            TeamRole::Admin => "Admin",
            TeamRole::Auditor => "Auditor (read only)",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| "Choose a role: member, lead, admin or auditor".to_owned())
    }

    /// The one authorization table.
    pub fn may(self, action: Action) -> bool {
        use Action as A;
        match self {
            TeamRole::Auditor => matches!(action, A::Read | A::Export | A::ReadSecurityLog),
            TeamRole::Member => matches!(action, A::Read | A::Export | A::Work),
            TeamRole::Lead => matches!(action, A::Read | A::Export | A::Work | A::ReviewPolicy | A::Restrict),
            TeamRole::Admin => true,
        }
    }
}

/// What an endpoint does, as far as roles are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read reports, incidents, timelines, deadlines, metrics and the policy register.
    Read,
    /// Download an incident export or evidence (written to the security log).
    Export,
    /// Triage reports and change incidents.
    Work,
    /// Record the yearly policy review.
    ReviewPolicy,
    /// Restrict an incident to its participants, or open it again.
    Restrict,
    /// Invite people, change roles, disable accounts; read the local outbox (it holds reporters' links).
    ManageTeam,
    /// Read the security log (sign-ins with addresses, refusals, exports).
    ReadSecurityLog,
}

/// The signed-in person, as `GET /api/session` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: TeamRole,
}

/// An account as the team page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: TeamRole,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// A password someone chose: long enough, not absurdly long, and not their own name or address.
/// No composition rules (ASVS 6.2.5): length is what makes a password hard to guess.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

impl NewPassword {
    pub fn parse(raw: &str, email: &str, name: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < PASSWORD_MIN {
            return Err(format!("Choose a password of at least {PASSWORD_MIN} characters"));
        }
        if length > PASSWORD_MAX {
            return Err(format!("A password may be at most {PASSWORD_MAX} characters"));
        }
        let lower = raw.to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
        let guessable = lower == email.to_lowercase()
            || lower == name.to_lowercase()
            || (local_part.len() >= 4 && lower.contains(&local_part))
            || raw.chars().all(|c| raw.starts_with(c));
        if guessable {
            return Err("Choose a password that is not your name, your email address or one repeated character".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// An email address as accounts are keyed: trimmed and lower-cased.
pub fn account_email(raw: &str) -> Result<String, String> {
    ReporterEmail::parse(raw)
        .map(|email| email.into_inner().to_lowercase())
        .map_err(|_| "Enter an email address in the format name@example.com".to_owned())
}

/// A person's name as it appears in incident roles and the audit trail.
pub fn account_name(raw: &str) -> Result<String, String> {
    single_line(raw, "Name", 2, 100)
}

/// `POST /api/session`: the password and the second factor together, so a wrong password
/// reveals nothing about the code and the other way round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
    /// Six digits from the authenticator app, or one recovery code.
    pub code: String,
}

/// `POST /api/invitations` (admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InvitationForm {
    pub email: String,
    pub name: String,
    pub role: String,
}

/// A parsed invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub email: String,
    pub name: String,
    pub role: TeamRole,
}

impl InvitationForm {
    pub fn parse(&self) -> Result<Invitation, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let email = errors.collect("email", account_email(&self.email));
        let name = errors.collect("name", account_name(&self.name));
        let role = errors.collect("role", TeamRole::parse(&self.role));
        match (email, name, role) {
            (Some(email), Some(name), Some(role)) if errors.is_empty() => Ok(Invitation { email, name, role }),
            _ => Err(errors),
        }
    }
}

/// What `POST /api/invitations` answers (the link itself goes only to the invited address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationSent {
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// A single-use token from an emailed link (invitation or password reset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenForm {
    pub token: String,
}

/// What an invitation link opens: who it is for, and a fresh authenticator secret to enrol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub email: String,
    pub name: String,
    pub role: TeamRole,
    /// Base32, as authenticator apps take it when typed in.
    pub totp_secret: String,
    /// `otpauth://totp/...`, for apps that read a link or QR code.
    pub otpauth_uri: String,
}

/// `POST /api/invitations/accept`: a password, and a first code proving the secret was enrolled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcceptInvitationForm {
    pub token: String,
    pub password: String,
    pub totp_secret: String,
    pub code: String,
}

/// The answer to an accepted invitation: signed in, with recovery codes shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub me: Me,
    pub recovery_codes: Vec<String>,
}

/// `POST /api/password-resets`: always answered 202, whether or not the address has an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /api/password-resets/complete`: the emailed token, the new password and the second factor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordResetForm {
    pub token: String,
    pub password: String,
    pub code: String,
}

/// `PATCH /api/accounts/{id}` (admins): a new role, or disabling or enabling the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountChange {
    pub role: Option<TeamRole>,
    pub disabled: Option<bool>,
}

/// What the security log records: sign-ins, account changes, exports and refusals. It is a hash
/// chain like an incident's, one per year (`SEC-<year>-000001`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SecurityEvent {
    SignedIn {
        email: String,
        address: String,
    },
    SignInRefused {
        email: String,
        address: String,
        reason: String,
    },
    SignedOut {
        email: String,
    },
    Invited {
        email: String,
        role: TeamRole,
    },
    InvitationAccepted {
        email: String,
        role: TeamRole,
    },
    PasswordReset {
        email: String,
    },
    RecoveryCodeUsed {
        email: String,
        remaining: u32,
    },
    RoleChanged {
        email: String,
        from: TeamRole,
        to: TeamRole,
    },
    AccountDisabled {
        email: String,
        disabled: bool,
    },
    /// An incident export, evidence or a report's attachment downloaded.
    Exported {
        what: String,
    },
    Denied {
        method: String,
        path: String,
        role: TeamRole,
    },
}

impl SecurityEvent {
    pub fn describe(&self) -> String {
        match self {
            SecurityEvent::SignedIn { email, address } => format!("{email} signed in from {address}"),
            SecurityEvent::SignInRefused { email, address, reason } => {
                format!("Sign-in as {email} from {address} refused: {reason}")
            }
            SecurityEvent::SignedOut { email } => format!("{email} signed out"),
            SecurityEvent::Invited { email, role } => format!("{email} invited as {}", role.label()),
            SecurityEvent::InvitationAccepted { email, role } => {
                format!("{email} accepted the invitation ({})", role.label())
            }
            SecurityEvent::PasswordReset { email } => format!("{email} reset their password"),
            SecurityEvent::RecoveryCodeUsed { email, remaining } => {
                format!("{email} used a recovery code ({remaining} left)")
            }
            SecurityEvent::RoleChanged { email, from, to } => {
                format!("{email}: role changed from {} to {}", from.label(), to.label())
            }
            SecurityEvent::AccountDisabled { email, disabled: true } => format!("{email}: account disabled"),
            SecurityEvent::AccountDisabled { email, disabled: false } => format!("{email}: account enabled again"),
            SecurityEvent::Exported { what } => format!("Downloaded {what}"),
            SecurityEvent::Denied { method, path, role } => format!("{method} {path} refused to a {}", role.label()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditors_only_read_and_only_admins_manage_the_team() {
        for action in [Action::Work, Action::ReviewPolicy, Action::ManageTeam] {
            assert!(!TeamRole::Auditor.may(action), "{action:?}");
        }
        assert!(TeamRole::Auditor.may(Action::ReadSecurityLog) && !TeamRole::Lead.may(Action::ReadSecurityLog));
        assert!(TeamRole::Auditor.may(Action::Read) && TeamRole::Auditor.may(Action::Export));
        assert!(TeamRole::Member.may(Action::Work) && !TeamRole::Member.may(Action::ReviewPolicy));
        assert!(TeamRole::Lead.may(Action::ReviewPolicy) && !TeamRole::Lead.may(Action::ManageTeam));
        assert!(TeamRole::Admin.may(Action::ManageTeam));
    }

    #[test]
    fn a_password_must_be_long_and_not_the_persons_own_name_or_address() {
        let ok = NewPassword::parse("correct horse battery", "ada@example.com", "Ada Lovelace");
        assert!(ok.is_ok());
        assert!(format!("{:?}", ok.unwrap()).contains(".."), "Debug never shows the password");
        assert!(NewPassword::parse("short", "ada@example.com", "Ada").unwrap_err().contains("at least 12"));
        assert!(NewPassword::parse(&"x".repeat(129), "ada@example.com", "Ada").unwrap_err().contains("at most"));
        assert!(NewPassword::parse("Ada@Example.com", "ada@example.com", "Ada").is_err());
        assert!(NewPassword::parse("lovelace-ada-lovelace", "lovelace@example.com", "Ada").is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaaaaa", "ada@example.com", "Ada").is_err());
    }

    #[test]
    fn an_invitation_names_every_bad_field() {
        let form = InvitationForm { email: "nope".into(), name: " ".into(), role: "owner".into() };
        let errors = form.parse().unwrap_err();
        assert_eq!(errors.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["email", "name", "role"]);
        let good = InvitationForm { email: " Ada@Example.com ".into(), name: "Ada".into(), role: "lead".into() };
        assert_eq!(good.parse().unwrap().email, "ada@example.com");
    }
}
