//! [`PolicyStore`]: the register is set up once, changes only from the head read, and writes its
//! obligation rows and audit entries with each change. The deadline checker's yearly review case
//! (`crate::checker`) runs the use cases over the same register.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use functions::config::DeadlineSettings;
use functions::ports::{
    AuditStore, ChainAppend, ObligationRow, ObligationState, ObligationStore, ObligationWrite, PolicyStore,
    RegisterCommit, StoreError,
};
use functions::startup::load_deadlines;
use shared::audit::{AuditEvent, ChainHead};
use shared::policy::{PolicyEvent, PolicyRegister, PolicyReview};
use shared::reference::{Reference, ReferenceKind};

use super::fixtures::at;

/// The register after `events`, committed on `previous` with every obligation row, each on the
/// due index while open.
fn register_commit(
    mut register: PolicyRegister,
    previous: Option<ChainHead>,
    events: Vec<PolicyEvent>,
    when: DateTime<Utc>,
) -> RegisterCommit {
    for event in &events {
        register.apply(event, "tester");
    }
    let obligations = register
        .obligations
        .iter()
        .map(|obligation| ObligationWrite {
            row: ObligationRow {
                subject: register.reference,
                incident_title: "Policy register".into(),
                response_lead: None,
                obligation: obligation.clone(),
            },
            check_at: obligation.is_open().then_some(when),
        })
        .collect();
    let chain =
        ChainAppend::seal(previous, register.reference, when, "tester", events.into_iter().map(AuditEvent::Policy));
    RegisterCommit { register, chain, obligations }
}

pub async fn the_register_is_set_up_once_and_changes_only_from_the_head_read(
    register: Arc<dyn PolicyStore>,
    obligations: Arc<dyn ObligationStore>,
    audit: Arc<dyn AuditStore>,
) {
    assert_eq!(register.policy_register().await.unwrap(), None);
    let deadlines = load_deadlines(&DeadlineSettings::default()).expect("the built-in rules load");
    let reference = Reference::new(ReferenceKind::Policy, 2026, 1);
    let (established, event) = PolicyRegister::establish(reference, None, at(14, 9));
    let mut events = vec![event];
    let mut opened = established.clone();
    opened.apply(&events[0], "tester");
    events.extend(deadlines.reconcile_register(&opened, at(14, 9)));
    let first = register_commit(established.clone(), None, events, at(14, 9));
    let duty = first.register.obligations.first().expect("the yearly review is due").id.clone();
    register.commit_policy_register(first.clone()).await.unwrap();
    assert_eq!(register.policy_register().await.unwrap(), Some((first.register.clone(), first.chain.head.clone())));
    assert_eq!(audit.audit_head(reference).await.unwrap(), Some(first.chain.head.clone()));
    let row = obligations.scheduled_obligation(reference, &duty).await.unwrap().expect("written with the register");
    assert_eq!((row.row.state(), row.next_check_at), (ObligationState::Open, Some(at(14, 9))));

    // A second set-up, as by another instance at the same moment, is refused.
    let again = register_commit(established, None, Vec::new(), at(14, 10));
    assert!(matches!(register.commit_policy_register(again).await, Err(StoreError::Conflict(_))), "set up once");

    let review = PolicyReview {
        reviewed_at: at(15, 9),
        by: "tester".into(),
        summary: "Read with legal".into(),
        changes: None,
        communicated: true,
    };
    let reviewed = vec![PolicyEvent::Reviewed { review }];
    let stale = register_commit(first.register.clone(), Some(first.chain.head.clone()), reviewed.clone(), at(15, 10));
    let next = register_commit(first.register.clone(), Some(first.chain.head.clone()), reviewed, at(15, 9));
    register.commit_policy_register(next.clone()).await.unwrap();
    assert!(
        matches!(register.commit_policy_register(stale).await, Err(StoreError::Conflict(_))),
        "a change decided on an old head"
    );
    assert_eq!(register.policy_register().await.unwrap(), Some((next.register.clone(), next.chain.head.clone())));
    assert_eq!(next.register.reviews.len(), 1);
    let row = obligations.scheduled_obligation(reference, &duty).await.unwrap().unwrap();
    assert_eq!((row.row.state(), row.next_check_at), (ObligationState::Met, None), "met by the review");
}
