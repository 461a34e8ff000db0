//! The policy register: set up on first use, its standing duties kept open one cycle at a time,
//! and each review recorded with its audit entry.

use chrono::{DateTime, Datelike, Utc};
use shared::api::PolicyDetail;
use shared::audit::{AuditEvent, ChainHead};
use shared::policy::{PolicyEvent, PolicyRegister, PolicyReviewForm, REGISTER_TITLE};
use shared::reference::{Reference, ReferenceKind};

use super::commit::changed_rows;
use super::error::ServiceError;
use super::services::Services;
use crate::ports::{ChainAppend, ObligationRow, RegisterCommit};

/// The actor named on changes Tocsin makes by itself.
const SYSTEM_ACTOR: &str = "Tocsin";

fn rows_of(register: &PolicyRegister) -> Vec<ObligationRow> {
    register
        .obligations
        .iter()
        .map(|obligation| ObligationRow {
            subject: register.reference,
            incident_title: REGISTER_TITLE.to_owned(),
            response_lead: None,
            obligation: obligation.clone(),
        })
        .collect()
}

impl Services {
    /// The register as stored; the checker's first run sets it up.
    pub async fn policy_register(&self) -> Result<PolicyDetail, ServiceError> {
        let (register, head) = self.register.policy_register().await?.ok_or(ServiceError::NotFound)?;
        Ok(PolicyDetail { register, version: head.seq })
    }

    /// The register, set up on first use (with the last review before Tocsin from the settings)
    /// and with a cycle of every standing duty open. The checker calls this on each run, so a
    /// duty added to the rules opens within minutes.
    pub async fn keep_policy_register(&self) -> Result<PolicyDetail, ServiceError> {
        let (register, head) = self.current_register().await?;
        Ok(PolicyDetail { register, version: head.seq })
    }

    /// Records a policy review: it meets the open cycle of each standing duty and opens the next.
    pub async fn review_policy(&self, form: PolicyReviewForm, actor: &str) -> Result<PolicyDetail, ServiceError> {
        let (register, head) = self.current_register().await?;
        if form.expected_version != head.seq {
            return Err(ServiceError::Conflict(
                "the policy register was changed by someone else meanwhile; reload it and try again".to_owned(),
            ));
        }
        let now = self.clock.now();
        let event = register.review(form, actor, now)?;
        let (register, head) =
            self.commit_register(Some(&register), register.clone(), Some(head), vec![event], now, actor).await?;
        Ok(PolicyDetail { register, version: head.seq })
    }

    async fn current_register(&self) -> Result<(PolicyRegister, ChainHead), ServiceError> {
        let now = self.clock.now();
        for _ in 0..3 {
            let result = match self.register.policy_register().await? {
                None => {
                    let reference = Reference::new(ReferenceKind::Policy, now.year(), 1);
                    let (register, established) =
                        PolicyRegister::establish(reference, self.policy_reviewed_before, now);
                    self.commit_register(None, register, None, vec![established], now, SYSTEM_ACTOR).await
                }
                Some((register, head)) if self.deadlines.reconcile_register(&register, now).is_none() => {
                    return Ok((register, head));
                }
                Some((register, head)) => {
                    self.commit_register(Some(&register), register.clone(), Some(head), Vec::new(), now, SYSTEM_ACTOR)
                        .await
                }
            };
            match result {
                // Another run set it up or changed it first: read it again.
                Err(ServiceError::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(ServiceError::Conflict("the policy register keeps changing; try again".to_owned()))
    }

    /// Applies the events, opens the standing duties' next cycles, and commits the register with
    /// its audit entries and the obligation rows that changed.
    async fn commit_register(
        &self,
        before: Option<&PolicyRegister>,
        mut register: PolicyRegister,
        previous: Option<ChainHead>,
        mut events: Vec<PolicyEvent>,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<(PolicyRegister, ChainHead), ServiceError> {
        for event in &events {
            register.apply(event, actor);
        }
        if let Some(reconciled) = self.deadlines.reconcile_register(&register, at) {
            register.apply(&reconciled, actor);
            events.push(reconciled);
        }
        let obligations = changed_rows(before.map(rows_of).unwrap_or_default(), rows_of(&register), at);
        let chain =
            ChainAppend::seal(previous, register.reference, at, actor, events.into_iter().map(AuditEvent::Policy));
        let head = chain.head.clone();
        let commit = RegisterCommit { register: register.clone(), chain, obligations };
        self.register.commit_policy_register(commit).await?;
        Ok((register, head))
    }
}
