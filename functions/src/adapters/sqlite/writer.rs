//! The embedded store's writes: one thread owns the writer connection and commits the writes that
//! wait together as one transaction (group commit); another copies the WAL into the database so
//! the writer seldom has to, and empties the WAL file once writes stop.
//!
//! A commit per write wrote every page it touched to the WAL; grouped, the pages the writes share
//! (the table's last leaf, the numbering row) are written once. And every 1,000 pages the
//! committing write also checkpointed the WAL (about 6 ms, at worst 150 ms) while every other
//! write queued behind it. Each write runs in its own savepoint inside the group's
//! transaction, so one that fails changes nothing and fails alone, and every caller hears how its
//! write ended only once the commit that holds it is done.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use rusqlite::Connection;

use crate::ports::StoreResult;

/// Bounds how long the first write of a group waits on the last.
const MOST_WRITES_PER_COMMIT: usize = 256;

/// The writer checkpoints only once the WAL holds this many pages (200 MB). The checkpointer copies
/// nearly every frame first, but under a steady stream of commits the log is never fully copied
/// when a write begins, and only then may a write start it over; this bounds its growth. Each
/// time, every write waits 10 to 25 ms: at 10,000 pages that was twice a second at half the
/// intake capacity, and it set the p99; now it is every two to three seconds, under 1% of writes.
/// An idle moment lets the next write start the log over, so it stays small when load is light.
const WRITER_CHECKPOINT_PAGES: u32 = 50_000;

/// Gathers the commits of this long into one background checkpoint (one after every commit would
/// cost two fsyncs each), and bounds what is left for the writer's own checkpoint to copy.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(20);

/// After this long without a commit the checkpointer empties the WAL file, which otherwise keeps
/// the size of its longest run (up to `WRITER_CHECKPOINT_PAGES`, 200 MB) for as long as the server
/// runs. Long enough that steady intake never waits on it.
const IDLE_BEFORE_TRUNCATE: Duration = Duration::from_secs(2);

/// The writer's page cache, in KiB (SQLite's default is 2 MB): with the WAL this long, a page
/// missing from the cache is looked up through every one of its index blocks.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// How a group's commit ended, told to each write in it.
type Settle = Box<dyn FnOnce(Result<(), &rusqlite::Error>) + Send>;
/// A write: run on the writer connection, it returns how to answer its caller once settled.
type Job = Box<dyn FnOnce(&mut Connection) -> Settle + Send>;

#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer on `connection` and the checkpointer on a connection of its own to `path`.
    /// Both threads end once every handle is dropped.
    pub(super) fn start(path: &Path, connection: Connection) -> anyhow::Result<Self> {
        connection.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        // Negative: a size in KiB, not a page count.
        connection.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        let checkpointer = Connection::open(path).context("opening the checkpointer's connection")?;
        checkpointer.busy_timeout(Duration::from_secs(5))?;
        let (committed, commits) = mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || checkpoint_after_commits(&checkpointer, &commits))
            .context("starting the SQLite checkpointer thread")?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || commit_in_groups(connection, &queue, &committed))
            .context("starting the SQLite writer thread")?;
        Ok(Self { jobs })
    }

    /// Runs `work` on the writer connection, after every write sent before it. `work` must make
    /// its changes in one savepoint (`conn.savepoint()`), or in one statement, so that failing it
    /// changes nothing.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (job, answered) = job(work);
        self.jobs.send(job).map_err(|_| anyhow::anyhow!("the SQLite writer thread has stopped"))?;
        answered.await.map_err(|_| anyhow::anyhow!("a write on the SQLite writer thread panicked"))?
    }
}

fn job<T: Send + 'static>(
    work: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
) -> (Job, tokio::sync::oneshot::Receiver<StoreResult<T>>) {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |conn| {
        let outcome = work(conn);
        Box::new(move |commit| {
            let outcome = match commit {
                Ok(()) => outcome,
                // The write itself failed: that is its answer, whatever became of the others.
                Err(_) if outcome.is_err() => outcome,
                Err(error) => Err(anyhow::anyhow!("the commit holding this write failed: {error}").into()),
            };
            let _ = answer.send(outcome);
        })
    });
    (job, answered)
}

fn commit_in_groups(mut conn: Connection, queue: &mpsc::Receiver<Job>, committed: &mpsc::SyncSender<()>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        group.extend(queue.try_iter().take(MOST_WRITES_PER_COMMIT - 1));
        commit_group(&mut conn, group);
        // Full means a checkpoint is already due.
        let _ = committed.try_send(());
    }
}

fn commit_group(conn: &mut Connection, group: Vec<Job>) {
    let mut settles: Vec<Settle> = Vec::with_capacity(group.len());
    let mut in_transaction = conn.execute_batch("BEGIN IMMEDIATE").is_ok();
    for job in group {
        // A panicking write fails its own caller (its answer is dropped, its savepoint rolled
        // back), not the group.
        if let Ok(settle) = std::panic::catch_unwind(AssertUnwindSafe(|| job(conn))) {
            settles.push(settle);
        }
        if in_transaction && conn.is_autocommit() {
            // SQLite rolled the whole transaction back (an I/O error, a full disk): the writes
            // before this one are gone with it. The rest start a new group.
            let rolled_back = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the transaction was rolled back".into()),
            );
            settles.drain(..).for_each(|settle| settle(Err(&rolled_back)));
            in_transaction = conn.execute_batch("BEGIN IMMEDIATE").is_ok();
        }
    }
    // Had BEGIN failed, each write was its own transaction and its answer is already final.
    let commit = if in_transaction { conn.execute_batch("COMMIT") } else { Ok(()) };
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    settles.into_iter().for_each(|settle| settle(commit.as_ref().map(|_| ())));
}

fn checkpoint_after_commits(conn: &Connection, commits: &mpsc::Receiver<()>) {
    while commits.recv().is_ok() {
        loop {
            std::thread::sleep(CHECKPOINT_PAUSE);
            // PASSIVE copies what it can without blocking the writer or readers.
            if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(%error, "WAL checkpoint failed; the writer checkpoints itself at its limit");
            }
            match commits.recv_timeout(IDLE_BEFORE_TRUNCATE) {
                Ok(()) => continue,
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        // TRUNCATE holds off writes until it is done, which at rest is at once.
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
            tracing::warn!(%error, "emptying the WAL file failed; it is tried again after the next writes");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("writer.sqlite3")).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)").unwrap();
        (dir, conn)
    }

    /// A write of two rows, `id` and `id + 1000`, in one savepoint.
    fn insert(id: i64) -> impl FnOnce(&mut Connection) -> StoreResult<()> + Send + 'static {
        move |conn| {
            let sp = conn.savepoint()?;
            sp.execute("INSERT INTO notes (id, text) VALUES (?1 + 1000, 'second')", [id])?;
            sp.execute("INSERT INTO notes (id, text) VALUES (?1, 'first')", [id])?;
            sp.commit()?;
            Ok(())
        }
    }

    fn ids(conn: &Connection) -> Vec<i64> {
        let mut select = conn.prepare("SELECT id FROM notes ORDER BY id").unwrap();
        select.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    }

    type Answer = tokio::sync::oneshot::Receiver<StoreResult<()>>;

    fn outcome(mut answer: Answer) -> Result<(), String> {
        answer.try_recv().expect("answered once the group is settled").map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn a_failing_or_panicking_write_in_a_group_fails_alone() {
        let (_dir, mut conn) = database();
        let (jobs, answers): (Vec<Job>, Vec<Answer>) =
            [insert(1), insert(2), insert(1), insert(3)].map(job).into_iter().unzip();
        let (panicking, panicked) = job(|conn| -> StoreResult<()> {
            let sp = conn.savepoint()?;
            sp.execute("INSERT INTO notes (id, text) VALUES (9, 'lost')", [])?;
            panic!("a bad write")
        });
        commit_group(&mut conn, jobs.into_iter().chain([panicking]).collect());
        let outcomes: Vec<bool> = answers.into_iter().map(|answer| outcome(answer).is_ok()).collect();
        assert_eq!(outcomes, [true, true, false, true], "the second id 1 breaks the key");
        assert!(panicked.blocking_recv().is_err(), "the panicking write's answer was dropped");
        assert_eq!(ids(&conn), [1, 2, 3, 1001, 1002, 1003], "the good writes, and nothing of the others");
    }

    #[test]
    fn writes_lost_with_a_rolled_back_group_are_told_so_and_later_ones_commit() {
        let (_dir, mut conn) = database();
        let (before, before_answer) = job(insert(1));
        // What SQLite does on an I/O error or a full disk: the whole transaction goes.
        let (rolling_back, _) = job(|conn| Ok(conn.execute_batch("ROLLBACK")?));
        let (after, after_answer) = job(insert(2));
        commit_group(&mut conn, vec![before, rolling_back, after]);
        assert!(outcome(before_answer).unwrap_err().contains("rolled back"));
        outcome(after_answer).unwrap();
        assert_eq!(ids(&conn), [2, 1002]);
    }

    #[tokio::test]
    async fn concurrent_writes_all_commit_and_each_caller_hears_after_its_commit() {
        let (dir, conn) = database();
        let writer = Writer::start(&dir.path().join("writer.sqlite3"), conn).unwrap();
        let reader = Connection::open(dir.path().join("writer.sqlite3")).unwrap();
        let writes: Vec<_> = (1..=200)
            .map(|id| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.run(insert(id)).await })
            })
            .collect();
        for (id, write) in (1..=200).zip(writes) {
            write.await.unwrap().unwrap();
            let seen: bool =
                reader.query_row("SELECT EXISTS (SELECT 1 FROM notes WHERE id = ?1)", [id], |row| row.get(0)).unwrap();
            assert!(seen, "write {id} answered before it was committed");
        }
        assert_eq!(ids(&reader).len(), 400);
    }

    #[tokio::test]
    async fn the_wal_file_is_emptied_once_writes_stop() {
        let (dir, conn) = database();
        let path = dir.path().join("writer.sqlite3");
        let writer = Writer::start(&path, conn).unwrap();
        for id in 1..=50 {
            writer.run(insert(id)).await.unwrap();
        }
        let wal = dir.path().join("writer.sqlite3-wal");
        let wal_size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert!(wal_size() > 0, "the writes went to the WAL");
        let waited = std::time::Instant::now();
        while wal_size() > 0 {
            assert!(waited.elapsed() < IDLE_BEFORE_TRUNCATE * 5, "the WAL file still holds {} bytes", wal_size());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let reader = Connection::open(&path).unwrap();
        assert_eq!(ids(&reader).len(), 100, "every write is in the database itself");
    }
}
