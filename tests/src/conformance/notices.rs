//! [`NoticeStore`]: each delivery claimed once, mail events merged, addresses suppressed.

use std::sync::Arc;

use chrono::Duration;
use functions::ports::{DeliveryPage, NoticeStore};
use shared::notices::{DeliveryKind, DeliveryState, MailEvent, Recipient};

use super::fixtures::at;

/// Ten senders claim the same delivery at once: exactly one wins, and only its claim settles it.
/// Mail events merge into the outcome, repeated or not; suppression keeps the first reason.
pub async fn each_delivery_is_claimed_once_and_events_merge(notices: Arc<dyn NoticeStore>) {
    let list = format!("INC-2026-000001.N1.{}", uuid::Uuid::now_v7().simple());
    let recipient = |n: u32| Recipient {
        email: format!("customer{n}@example.com"),
        name: Some(format!("Customer {n}")),
        account: None,
        jurisdiction: Some("DE".into()),
        person: Some(format!("P-{n}")),
        data_elements: vec!["credentials".into()],
    };
    notices.insert_recipients(&list, 1, &[recipient(1), recipient(2)]).await.unwrap();
    notices.insert_recipients(&list, 3, &[recipient(3)]).await.unwrap();
    let pending = notices.deliveries(&list, DeliveryPage::in_state(DeliveryKind::Pending, 0, 10)).await.unwrap();
    assert_eq!(pending.iter().map(|d| d.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(pending[1].recipient, recipient(2));

    let mut claims = tokio::task::JoinSet::new();
    for n in 0..10 {
        let (notices, list) = (notices.clone(), list.clone());
        claims.spawn(async move {
            let claim = DeliveryState::Sending { claimed_at: at(9, 0) + Duration::seconds(n) };
            notices.move_delivery(&list, 2, &DeliveryState::Pending, &claim).await.unwrap().then_some(claim)
        });
    }
    let won: Vec<DeliveryState> = claims.join_all().await.into_iter().flatten().collect();
    assert_eq!(won.len(), 1, "exactly one claim wins");
    let sent = DeliveryState::Sent { message_id: "m-2".into(), at: at(9, 1) };
    let stale = DeliveryState::Sending { claimed_at: at(8, 0) };
    assert!(!notices.move_delivery(&list, 2, &stale, &sent).await.unwrap(), "only from the state read");
    assert!(notices.move_delivery(&list, 2, &won[0], &sent).await.unwrap());
    assert_eq!(notices.deliveries(&list, DeliveryPage::in_state(DeliveryKind::Sending, 0, 10)).await.unwrap(), []);
    assert_eq!(notices.deliveries(&list, DeliveryPage::any_state(1, 1)).await.unwrap()[0].state, sent);

    for event in [MailEvent::Delivered, MailEvent::Complaint, MailEvent::Delivered] {
        notices.merge_mail_event(&list, 2, event).await.unwrap().unwrap();
    }
    let merged = notices.merge_mail_event(&list, 2, MailEvent::Accepted).await.unwrap().unwrap();
    assert_eq!((merged.outcome.label(), merged.outcome.suppresses()), ("Complained", true));
    assert_eq!(notices.merge_mail_event(&list, 9, MailEvent::Delivered).await.unwrap(), None);
    let counts = notices.delivery_counts(&list).await.unwrap();
    assert_eq!((counts.pending, counts.sent, counts.complained, counts.total()), (2, 1, 1, 3));

    assert_eq!(notices.suppression("customer2@example.com").await.unwrap(), None);
    notices.suppress("customer2@example.com", "a complaint").await.unwrap();
    notices.suppress("customer2@example.com", "a bounce").await.unwrap();
    assert_eq!(notices.suppression("customer2@example.com").await.unwrap().as_deref(), Some("a complaint"));
    assert_eq!(notices.active_campaigns().await.unwrap().iter().filter(|c| c.list == list).count(), 0);
}
