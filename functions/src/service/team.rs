//! The team: invitations (a link that works once, for a week, and enrols an authenticator), the
//! members and the changes admins make to their roles and access.

use anyhow::Context;
use chrono::Duration;
use shared::access::{
    AcceptInvitationForm, AccountChange, Enrolment, Invitation, InvitationForm, InvitationSent, NewPassword,
    SecurityEvent, TeamMember, Welcome,
};
use shared::validation::ValidationErrors;
use uuid::Uuid;

use super::access::Caller;
use super::accounts::{Origin, SignedIn};
use super::credentials::{
    hash_password, new_totp_secret, normalise_recovery_code, recovery_codes, sha256_hex, totp, totp_step,
};
use super::error::ServiceError;
use super::services::Services;
use super::token::SecretToken;
use crate::ports::{Account, AccountToken, TokenPurpose};

const INVITATION_VALID_FOR: Duration = Duration::days(7);

fn team_member(account: &Account) -> TeamMember {
    TeamMember {
        id: account.id.clone(),
        email: account.email.clone(),
        name: account.name.clone(),
        role: account.role,
        disabled: account.disabled,
        created_at: account.created_at,
    }
}

impl Services {
    /// Sends an invitation link to `invitation.email`; the link works once, for a week.
    pub async fn invite(&self, form: InvitationForm, by: &Caller) -> Result<InvitationSent, ServiceError> {
        let invitation = form.parse()?;
        self.send_invitation(invitation, by.name()).await.map(|(sent, _)| sent)
    }

    /// An invitation from the operator's side (the first admin's, from the command line): the
    /// link is handed back to print as well as emailed.
    pub async fn invitation_link(&self, form: InvitationForm, by: &str) -> Result<String, ServiceError> {
        let (_, link) = self.send_invitation(form.parse()?, by).await?;
        Ok(link)
    }

    async fn send_invitation(
        &self,
        invitation: Invitation,
        by: &str,
    ) -> Result<(InvitationSent, String), ServiceError> {
        if self.accounts.account_by_email(&invitation.email).await?.is_some() {
            return Err(ServiceError::field("email", format!("{} has an account already", invitation.email)));
        }
        let now = self.clock.now();
        let token = SecretToken::generate();
        let expires_at = now + INVITATION_VALID_FOR;
        let Invitation { email, name, role } = invitation;
        let purpose = TokenPurpose::Invitation { email: email.clone(), name: name.clone(), role };
        self.accounts.insert_token(AccountToken { hash: token.hash_hex(), purpose, expires_at }).await?;
        let link = format!("{}/welcome#{}", self.public_url, token.as_str());
        let message = self.templates.invitation(&email, &name, role, by, &link, expires_at, &self.sender_name)?;
        self.mailer.send(&message).await.context("sending the invitation")?;
        self.log_security(by, SecurityEvent::Invited { email: email.clone(), role }).await?;
        Ok((InvitationSent { email, expires_at }, link))
    }

    async fn invitation(&self, token: &str) -> Result<(SecretToken, Invitation), ServiceError> {
        let invalid = || ServiceError::Refused("This invitation link is not valid any more: ask for a new one".into());
        let token = SecretToken::parse(token).ok_or_else(invalid)?;
        match self.accounts.token(&token.hash_hex(), self.clock.now()).await? {
            Some(AccountToken { purpose: TokenPurpose::Invitation { email, name, role }, .. }) => {
                Ok((token, Invitation { email, name, role }))
            }
            _ => Err(invalid()),
        }
    }

    /// What an invitation link opens: a fresh authenticator secret (nothing is stored until accepted).
    pub async fn open_invitation(&self, token: &str) -> Result<Enrolment, ServiceError> {
        let (_, invitation) = self.invitation(token).await?;
        let totp = totp(new_totp_secret(), &invitation.email)?;
        Ok(Enrolment {
            email: invitation.email,
            name: invitation.name,
            role: invitation.role,
            totp_secret: totp.get_secret_base32(),
            otpauth_uri: totp.get_url(),
        })
    }

    /// Creates the account once the first code proves the secret was enrolled, and signs in.
    pub async fn accept_invitation(
        &self,
        form: AcceptInvitationForm,
        origin: Origin,
    ) -> Result<(Welcome, SignedIn), ServiceError> {
        let (token, invitation) = self.invitation(&form.token).await?;
        let now = self.clock.now();
        let mut errors = ValidationErrors::default();
        let password =
            errors.collect("password", NewPassword::parse(&form.password, &invitation.email, &invitation.name));
        let secret = totp_rs::Secret::Encoded(form.totp_secret.trim().to_uppercase()).to_bytes().ok();
        let step = match secret.clone().map(|s| totp(s, &invitation.email)).transpose()? {
            Some(totp) => totp_step(&totp, form.code.trim(), now, 0),
            None => None,
        };
        if step.is_none() {
            errors.push("code", "That code does not match: enter the six digits your app shows now");
        }
        let (Some(password), Some(secret), Some(step)) = (password, secret, step) else {
            return Err(ServiceError::Validation(errors));
        };
        let codes = recovery_codes();
        let account = Account {
            password_hash: hash_password(password).await?,
            totp_secret: secret,
            last_totp_step: step,
            recovery_codes: codes.iter().map(|c| sha256_hex(&normalise_recovery_code(c))).collect(),
            ..Account::without_credentials(
                Uuid::now_v7().to_string(),
                invitation.email.clone(),
                invitation.name,
                invitation.role,
                now,
            )
        };
        // Using the token first means two tabs accepting at once create one account.
        self.accounts
            .use_token(&token.hash_hex(), now)
            .await
            .map_err(|_| ServiceError::Refused("This invitation link was used already: sign in instead".to_owned()))?;
        self.accounts.insert_account(account.clone()).await?;
        let event = SecurityEvent::InvitationAccepted { email: account.email.clone(), role: account.role };
        self.log_security(&account.name, event).await?;
        let signed_in = self.start_session(account, 1, origin).await?;
        Ok((Welcome { me: signed_in.me.clone(), recovery_codes: codes }, signed_in))
    }

    pub async fn team(&self) -> Result<Vec<TeamMember>, ServiceError> {
        Ok(self.accounts.accounts().await?.iter().map(team_member).collect())
    }

    /// A new role or disabling; the last enabled admin cannot be demoted or disabled, and a
    /// changed account's sessions end.
    pub async fn change_account(
        &self,
        id: &str,
        change: AccountChange,
        by: &Caller,
    ) -> Result<TeamMember, ServiceError> {
        let (mut account, version) = self.accounts.account(id).await?.ok_or(ServiceError::NotFound)?;
        let before = account.clone();
        if let Some(role) = change.role {
            account.role = role;
        }
        if let Some(disabled) = change.disabled {
            account.disabled = disabled;
        }
        self.ensure_an_admin_remains(&before, &account).await?;
        if account == before {
            return Ok(team_member(&account));
        }
        account.sessions_valid_after = self.clock.now();
        self.accounts.update_account(account.clone(), version).await?;
        if account.role != before.role {
            let event =
                SecurityEvent::RoleChanged { email: account.email.clone(), from: before.role, to: account.role };
            self.log_security(by.name(), event).await?;
        }
        if account.disabled != before.disabled {
            let event = SecurityEvent::AccountDisabled { email: account.email.clone(), disabled: account.disabled };
            self.log_security(by.name(), event).await?;
        }
        Ok(team_member(&account))
    }
}
