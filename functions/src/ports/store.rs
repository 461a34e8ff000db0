//! The whole store: every adapter keeps all the store ports in one database.

use super::accounts::AccountStore;
use super::audit::AuditStore;
use super::incidents::IncidentStore;
use super::notices::NoticeStore;
use super::obligations::ObligationStore;
use super::people::PeopleStore;
use super::policy::PolicyStore;
use super::reports::ReportStore;

/// Every store adapter keeps reports, incidents, the audit chains, obligations, the policy
/// register, accounts, notice deliveries and the affected people: one commit may span several ports (an incident
/// change links a report and rewrites obligation rows), so they share one database.
pub trait Store:
    ReportStore + IncidentStore + AuditStore + ObligationStore + PolicyStore + AccountStore + NoticeStore + PeopleStore
{
}

impl<T> Store for T where
    T: ReportStore
        + IncidentStore
        + AuditStore
        + ObligationStore
        + PolicyStore
        + AccountStore
        + NoticeStore
        + PeopleStore
{
}
