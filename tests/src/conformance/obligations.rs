//! [`ObligationStore`]: rows come with the incident commit that moves them; the due index holds
//! only those with a check time; the delivery log moves only from the version read; the board
//! pages through a state in due order. The deadline checker's cases (`crate::checker`) run the
//! use cases over the same rows.

use std::sync::Arc;

use chrono::Duration;
use functions::config::DeadlineSettings;
use functions::ports::{Deliveries, Delivery, IncidentStore, ObligationState, ObligationStore, ScheduledObligation};
use functions::startup::load_deadlines;
use shared::reference::Reference;

use super::fixtures::{at, page};
use crate::bench::incident_commit;

fn subjects(rows: &[ScheduledObligation]) -> Vec<(Reference, String)> {
    rows.iter().map(|s| (s.row.subject, s.row.obligation.id.clone())).collect()
}

pub async fn rows_are_due_once_checked_and_move_only_from_what_was_read(
    obligations: Arc<dyn ObligationStore>,
    incidents: Arc<dyn IncidentStore>,
) {
    let deadlines = load_deadlines(&DeadlineSettings::default()).expect("the built-in rules load");
    // Two open incidents an hour apart, each on the due index from its opening; a closed one, off it.
    let first = incident_commit(1, false, &deadlines, at(20, 9));
    let second = incident_commit(2, false, &deadlines, at(20, 10));
    let closed = incident_commit(3, true, &deadlines, at(20, 8));
    let rows = |commit: &functions::ports::IncidentCommit| -> Vec<(Reference, String)> {
        commit.obligations.iter().map(|w| (w.row.subject, w.row.obligation.id.clone())).collect()
    };
    let (first_rows, second_rows, closed_rows) = (rows(&first), rows(&second), rows(&closed));
    assert_eq!((first_rows.len(), second_rows.len(), closed_rows.len()), (1, 1, 1), "the internal notice, each");
    for commit in [first, second, closed] {
        incidents.commit_incident(commit).await.unwrap();
    }

    assert_eq!(subjects(&obligations.due_obligations(at(20, 9), 10).await.unwrap()), first_rows);
    let both = [first_rows.clone(), second_rows.clone()].concat();
    assert_eq!(subjects(&obligations.due_obligations(at(20, 11), 10).await.unwrap()), both, "earliest first");
    assert_eq!(obligations.due_obligations(at(20, 11), 1).await.unwrap().len(), 1, "at most the limit");

    let (subject, id) = first_rows[0].clone();
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
    assert!(obligations.update_delivery(subject, &id, read.version, &claimed, later).await.unwrap());
    assert!(
        !obligations.update_delivery(subject, &id, read.version, &Deliveries::new(), None).await.unwrap(),
        "only from the version read"
    );
    let updated = obligations.scheduled_obligation(subject, &id).await.unwrap().unwrap();
    assert_eq!((&updated.deliveries, updated.next_check_at, &updated.row), (&claimed, later, &read.row));
    assert_ne!(updated.version, read.version);
    let due = obligations.due_obligations(at(20, 11), 10).await.unwrap();
    assert_eq!(subjects(&due), second_rows, "the first moved on to its next check");
    assert!(obligations.update_delivery(subject, &id, updated.version, &claimed, None).await.unwrap());
    assert!(!subjects(&obligations.due_obligations(at(21, 0), 10).await.unwrap()).contains(&(subject, id.clone())));
    assert_eq!(obligations.scheduled_obligation(subject, "NO-SUCH-RULE").await.unwrap(), None);

    // The board: open rows soonest due first, a page at a time; met ones apart.
    let mut open = Vec::new();
    let mut cursor = None;
    loop {
        let result = obligations.obligations_by_state(ObligationState::Open, page(cursor, 1)).await.unwrap();
        assert!(result.items.len() <= 1);
        open.extend(subjects(&result.items));
        match result.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(open, both);
    let met = obligations.obligations_by_state(ObligationState::Met, page(None, 10)).await.unwrap();
    assert_eq!((subjects(&met.items), met.next_cursor), (closed_rows, None));
}
