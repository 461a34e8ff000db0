//! The policy register: the organisation's standing duties (the yearly policy review), kept as one
//! record with its own audit chain.

use async_trait::async_trait;
use shared::audit::ChainHead;
use shared::policy::PolicyRegister;

use super::audit::ChainAppend;
use super::error::StoreResult;
use super::obligations::ObligationWrite;

/// One change to the policy register, as the store must write it atomically.
#[derive(Debug, Clone)]
pub struct RegisterCommit {
    pub register: PolicyRegister,
    pub chain: ChainAppend,
    pub obligations: Vec<ObligationWrite>,
}

/// The one policy register, set up once and changed only from the version read.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// The policy register and its audit chain head, once it has been set up.
    async fn policy_register(&self) -> StoreResult<Option<(PolicyRegister, ChainHead)>>;
    /// Writes a register change in one transaction: the register, its audit entries and head, and
    /// its obligation rows. Fails with a conflict, changing nothing, if the chain head is no longer
    /// `previous`, or, when `previous` is `None`, if a register already exists.
    async fn commit_policy_register(&self, commit: RegisterCommit) -> StoreResult<()>;
}
