//! The store conformance suite against the embedded SQLite adapter.

use std::sync::Arc;

use functions::adapters::sqlite::SqliteStore;
use functions::ports::Store;

/// A fresh database in its own directory, removed when the case ends.
struct FreshSqlite {
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl FreshSqlite {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

async fn fresh_sqlite() -> FreshSqlite {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("conformance.sqlite3")).unwrap();
    FreshSqlite { store: Arc::new(store), _dir: dir }
}

tocsin_tests::store_conformance_suite!(fresh_sqlite());

/// Customer notice campaigns on SQLite with the outbox: what local mode runs.
mod campaigns_with_the_outbox {
    use tocsin_tests::campaign::{self, outbox, rig};

    #[tokio::test]
    async fn a_thousand_recipients_interrupted_halfway_get_one_message_each() {
        let db = super::fresh_sqlite().await;
        campaign::a_thousand_recipients_interrupted_halfway_get_one_message_each(rig(db.store(), 1000, outbox), false)
            .await;
    }

    #[tokio::test]
    async fn sending_keeps_to_the_rate_and_resumes_where_it_stopped() {
        let db = super::fresh_sqlite().await;
        campaign::sending_keeps_to_the_rate_and_resumes_where_it_stopped(rig(db.store(), 50, outbox)).await;
    }

    #[tokio::test]
    async fn mail_events_in_any_order_end_the_same_and_suppress_bad_addresses() {
        let db = super::fresh_sqlite().await;
        campaign::mail_events_in_any_order_end_the_same_and_suppress_bad_addresses(rig(db.store(), 1000, outbox)).await;
    }

    #[tokio::test]
    async fn an_interrupted_claim_the_outbox_never_sent_goes_once() {
        let db = super::fresh_sqlite().await;
        campaign::an_interrupted_claim_the_outbox_never_sent_goes_once(rig(db.store(), 1000, outbox)).await;
    }
}
