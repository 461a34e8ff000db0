//! [`ObligationStore`]: rows come with the incident commit that moves them; the due index holds
//! only those with a check time, earliest first; the delivery log moves only from the version
//! read; the board pages through a state in its order. The deadline checker's cases
//! (`crate::checker`) run the use cases over the same rows.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use functions::config::DeadlineSettings;
use functions::ports::{
    Deliveries, Delivery, DeliveryUpdate, IncidentCommit, IncidentStore, ObligationState, ObligationStore,
    ObligationWrite, ScheduledObligation, board_key,
};
use functions::startup::load_deadlines;
use shared::reference::Reference;

use super::fixtures::{at, page};
use crate::bench::incident_commit;

type RowKey = (Reference, String);

fn row_key(row: &functions::ports::ObligationRow) -> RowKey {
    (row.subject, row.obligation.id.clone())
}

/// The rows a commit puts on the due index.
fn due_rows(commit: &IncidentCommit) -> BTreeSet<RowKey> {
    commit.obligations.iter().filter(|w| w.check_at.is_some()).map(|w| row_key(&w.row)).collect()
}

/// What is due by `now`, checked to come earliest first.
async fn due(obligations: &Arc<dyn ObligationStore>, now: DateTime<Utc>) -> BTreeSet<RowKey> {
    let rows = obligations.due_obligations(now, 100).await.unwrap();
    let times: Vec<_> = rows.iter().map(|s| s.next_check_at.expect("on the due index")).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]) && times.iter().all(|t| *t <= now), "{times:?}");
    rows.iter().map(|s| row_key(&s.row)).collect()
}

/// Every row of a state, a page of `size` at a time.
async fn board(obligations: &Arc<dyn ObligationStore>, state: ObligationState, size: u32) -> Vec<RowKey> {
    let mut listed = Vec::new();
    let mut cursor = None;
    loop {
        let result = obligations.obligations_by_state(state, page(cursor, size)).await.unwrap();
        assert!(result.items.len() <= size as usize);
        listed.extend(result.items.iter().map(|s: &ScheduledObligation| row_key(&s.row)));
        match result.next_cursor {
            Some(next) => cursor = Some(next),
            None => return listed,
        }
    }
}

/// The rows of `state` in the board's order: by due time, soonest first for open ones.
fn board_order(writes: &[&ObligationWrite], state: ObligationState) -> Vec<RowKey> {
    let mut rows: Vec<_> = writes.iter().map(|w| &w.row).filter(|row| row.state() == state).collect();
    rows.sort_by_key(|row| board_key(row));
    if state != ObligationState::Open {
        rows.reverse();
    }
    rows.into_iter().map(row_key).collect()
}

pub async fn rows_are_due_once_checked_and_move_only_from_what_was_read(
    obligations: Arc<dyn ObligationStore>,
    incidents: Arc<dyn IncidentStore>,
) {
    let deadlines = load_deadlines(&DeadlineSettings::default()).expect("the built-in rules load");
    // Two open incidents an hour apart, on the due index from their opening; a closed one, off it.
    let first = incident_commit(1, false, &deadlines, at(20, 9));
    let second = incident_commit(2, false, &deadlines, at(20, 10));
    let closed = incident_commit(3, true, &deadlines, at(20, 8));
    let (first_due, second_due) = (due_rows(&first), due_rows(&second));
    assert!(!first_due.is_empty() && due_rows(&closed).is_empty(), "the internal notice is due, but not once met");
    let writes: Vec<ObligationWrite> = [&first, &second, &closed].iter().flat_map(|c| c.obligations.clone()).collect();
    let writes: Vec<&ObligationWrite> = writes.iter().collect();
    for commit in [first, second, closed] {
        incidents.commit_incident(commit).await.unwrap();
    }

    assert_eq!(due(&obligations, at(20, 8)).await, BTreeSet::new());
    assert_eq!(due(&obligations, at(20, 9)).await, first_due);
    let both: BTreeSet<RowKey> = first_due.union(&second_due).cloned().collect();
    assert_eq!(due(&obligations, at(20, 11)).await, both);
    assert_eq!(obligations.due_obligations(at(20, 11), 1).await.unwrap().len(), 1, "at most the limit");

    let (subject, id) = first_due.first().unwrap().clone();
    let read = obligations.scheduled_obligation(subject, &id).await.unwrap().expect("written with the commit");
    assert_eq!((read.deliveries.len(), read.next_check_at), (0, Some(at(20, 9))));
    let claimed = Deliveries::from([(
        "reminder-0".to_owned(),
        Delivery {
            claimed_at: at(20, 9),
            sent_at: None,
            superseded: false,
            recipients: vec!["team@example.com".into()],
            message_ids: vec![],
        },
    )]);
    let later = Some(at(20, 9) + Duration::hours(3));
    assert!(obligations.update_delivery(update(subject, &id, read.version, &claimed, later)).await.unwrap());
    assert!(
        !obligations.update_delivery(update(subject, &id, read.version, &Deliveries::new(), None)).await.unwrap(),
        "only from the version read"
    );
    let updated = obligations.scheduled_obligation(subject, &id).await.unwrap().unwrap();
    assert_eq!((&updated.deliveries, updated.next_check_at, &updated.row), (&claimed, later, &read.row));
    assert_ne!(updated.version, read.version);
    let mut moved_on = both.clone();
    moved_on.remove(&(subject, id.clone()));
    assert_eq!(due(&obligations, at(20, 11)).await, moved_on, "due again at its next check");
    assert!(due(&obligations, at(20, 12)).await.contains(&(subject, id.clone())));
    assert!(obligations.update_delivery(update(subject, &id, updated.version, &claimed, None)).await.unwrap());
    assert!(!due(&obligations, at(21, 0)).await.contains(&(subject, id.clone())), "off the due index");
    assert_eq!(obligations.scheduled_obligation(subject, "NO-SUCH-RULE").await.unwrap(), None);

    // The board, a row per page and all at once.
    for state in [ObligationState::Open, ObligationState::Met, ObligationState::NotRequired] {
        let expected = board_order(&writes, state);
        assert_eq!(board(&obligations, state, 1).await, expected, "{state:?}");
        assert_eq!(board(&obligations, state, 100).await, expected, "{state:?}");
    }
    assert!(!board_order(&writes, ObligationState::Met).is_empty(), "the closed incident's rows");
}

fn update<'a>(
    subject: Reference,
    obligation: &'a str,
    expected_version: u64,
    deliveries: &'a Deliveries,
    next_check_at: Option<DateTime<Utc>>,
) -> DeliveryUpdate<'a> {
    DeliveryUpdate { subject, obligation, expected_version, deliveries, next_check_at }
}
