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
