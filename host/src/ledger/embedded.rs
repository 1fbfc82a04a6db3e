//! The embedded SQLite's decision path, on threads of its own.
//!
//! sqlx runs each SQLite connection on a worker thread and hands every statement to it
//! and back through channels: a decision's seven reads and eight writes were fifteen
//! hand-offs between threads, and under load the server spent more time switching
//! threads than working. Here each connection belongs to one thread for its life
//! (rusqlite, prepared statements cached on it); a decision's reads go there as one job
//! ([`EmbeddedReaders::read`], see [`super::before_decision`]) and its write joins the
//! group commit on the writer thread ([`super::group_commit`]). sqlx keeps the rest
//! (migrations, settings, uploads, every operator's read), which is rare and not on the
//! decision path; PostgreSQL is all sqlx, whose connections are network sockets and
//! cost no hand-off.

use std::path::Path;
use std::time::Duration;

use super::LedgerError;
use super::statements::StoreError;
use crate::job_threads::JobThreads;

/// Jobs that may wait for a reader before callers wait to hand theirs over.
const QUEUE: usize = 4_096;

/// How long a statement waits for another connection's write lock before the store is
/// called busy (the same as sqlx's connections: `busy_timeout` in [`super::storage`]).
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection: every statement of the decision path.
const CACHED_STATEMENTS: usize = 64;

/// The threads that read for decisions, each with its own connection. Cheap to clone;
/// the threads stop when the last clone is dropped.
#[derive(Debug, Clone)]
pub(super) struct EmbeddedReaders {
    threads: JobThreads<rusqlite::Connection>,
}

impl EmbeddedReaders {
    /// Opens `threads` connections to the database at `path` (which exists: sqlx has
    /// migrated it) and starts a thread for each.
    pub(super) fn start(path: &Path, threads: usize) -> Result<Self, LedgerError> {
        let connections = (0..threads)
            .map(|_| open(path))
            .collect::<Result<Vec<_>, _>>()?;
        let threads = JobThreads::start("ledger-read", connections, Some(QUEUE))
            .map_err(|error| LedgerError::Unavailable(std::sync::Arc::new(error)))?;
        Ok(Self { threads })
    }

    /// Runs `job` on a reader's connection and answers what it read.
    pub(super) async fn read<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        let read = self
            .threads
            .run("ledger's reader", job)
            .await
            .map_err(|stopped| LedgerError::Commit(stopped.to_string()))?;
        Ok(read?)
    }
}

/// The commit thread's connection: as [`open`], and with no checkpoint inside a commit
/// (SQLite's default runs one in whichever commit crosses 1,000 WAL pages, and every
/// decision of that batch waits for it); the thread checkpoints between batches instead
/// ([`checkpoint`]).
pub(super) fn open_for_commits(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let connection = open(path)?;
    connection.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
    Ok(connection)
}

/// Copies the WAL's committed pages into the database file (passive: readers and other
/// writers go on). Run by the commit thread after it answered a batch, so no caller
/// waits for it; the next transaction then writes the WAL from its start again, over
/// space it already has: a sync of a file that does not grow is about half the cost of
/// one that does, and the WAL stays a few MiB.
pub(super) fn checkpoint(connection: &rusqlite::Connection) {
    let copied = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    if let Err(error) = copied {
        tracing::warn!(%error, "checkpointing the ledger's WAL");
    }
}

/// A connection to the database at `path`, set up as sqlx's are (see
/// [`super::storage`]): WAL (already the file's mode), every commit durable before it
/// returns (`synchronous = FULL`), foreign keys checked.
pub(super) fn open(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    let connection = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    connection.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
    Ok(connection)
}
