//! The one connection that writes, and what a failed write does to it: the connection is
//! closed, never reused in an unknown state, and the ledger reads as unhealthy until a
//! write succeeds again.
//!
//! On a full disk or an I/O error SQLite may roll a transaction back by itself, while
//! sqlx still counts it open: later "transactions" on that connection become savepoints
//! of a transaction that never commits, and answer as if they had. A fresh connection
//! has no such past. On PostgreSQL a lost connection or a server that cannot write is
//! handled the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgDatabaseError;
use sqlx::{Any, AnyConnection, AnyPool};

use super::LedgerError;

/// The writer pool (one connection) and whether writes are failing.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    pool: AnyPool,
    failing: Arc<AtomicBool>,
}

impl Writer {
    pub(super) fn new(pool: AnyPool) -> Self {
        Self {
            pool,
            failing: Arc::default(),
        }
    }

    /// The pool itself, for what runs before requests (migrations) or only reads.
    pub(super) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The mark of failing writes, for a writer of the same store outside sqlx (the
    /// embedded store's commit thread, see [`super::group_commit`]).
    pub(super) fn failing_mark(&self) -> Arc<AtomicBool> {
        self.failing.clone()
    }

    /// Whether the last write failed because the store could not take it.
    pub(super) fn failing(&self) -> bool {
        self.failing.load(Ordering::Acquire)
    }

    /// The writer connection, for one write (a statement or a transaction) that ends
    /// with [`WriteConnection::done`].
    pub(super) async fn acquire(&self) -> Result<WriteConnection, LedgerError> {
        match self.pool.acquire().await {
            Ok(connection) => Ok(WriteConnection {
                connection,
                failing: self.failing.clone(),
                settled: false,
            }),
            Err(error) => Err(note_failure(&self.failing, error.into())),
        }
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}

/// The writer connection during one write. Unless the write ends well ([`Self::done`]
/// with `Ok`), the connection is closed when this is dropped, and the pool opens a new
/// one for the next write; that covers a write abandoned halfway, too.
#[derive(Debug)]
pub(super) struct WriteConnection {
    connection: PoolConnection<Any>,
    failing: Arc<AtomicBool>,
    settled: bool,
}

impl WriteConnection {
    pub(super) fn connection(&mut self) -> &mut AnyConnection {
        &mut self.connection
    }

    /// Ends the write with its outcome: a success clears the failing mark and keeps the
    /// connection; a failure closes the connection, and marks the ledger failing when
    /// the store could not take the write.
    pub(super) fn done<T>(mut self, result: Result<T, LedgerError>) -> Result<T, LedgerError> {
        match result {
            Ok(value) => {
                self.settled = true;
                self.failing.store(false, Ordering::Release);
                Ok(value)
            }
            Err(error) => Err(note_failure(&self.failing, error)),
        }
    }
}

impl Drop for WriteConnection {
    fn drop(&mut self) {
        if !self.settled {
            self.connection.close_on_drop();
        }
    }
}

fn note_failure(failing: &AtomicBool, error: LedgerError) -> LedgerError {
    if let LedgerError::Unavailable(cause) = &error {
        failing.store(true, Ordering::Release);
        tracing::error!(%cause, "a write to the ledger failed; its connection is closed");
    }
    error
}

/// SQLite's primary result codes that say the store, not the statement, failed: busy or
/// locked past the timeout, out of memory, read-only, interrupted, I/O error, corrupt,
/// full, cannot open, lock protocol, not a database, aborted.
pub(super) const SQLITE_STORAGE_CODES: [i32; 12] = [4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 26];

/// PostgreSQL's SQLSTATE classes (and one code) that say the same: connection exception
/// (08), a transaction rolled back by the server (40: serialization, deadlock),
/// insufficient resources (53: disk full, out of memory, too many connections), operator
/// intervention (57: shutdown, cancelled), system error (58: I/O), internal error (XX),
/// and a server that takes no writes (25006: a standby, or read-only by setting).
const POSTGRES_STORAGE_CLASSES: [&str; 7] = ["08", "40", "53", "57", "58", "XX", "25006"];

/// Whether `error` means the store could not be read or written (rather than a statement
/// that is wrong or a row that breaks a constraint).
pub(super) fn is_storage_fault(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(error) => match error.try_downcast_ref::<PgDatabaseError>() {
            Some(postgres) => POSTGRES_STORAGE_CLASSES
                .iter()
                .any(|class| postgres.code().starts_with(class)),
            None => error
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| SQLITE_STORAGE_CODES.contains(&(code & 0xff))),
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        _ => false,
    }
}

/// Whether `error` is PostgreSQL rolling a transaction back so that another may go on
/// (a deadlock or a serialization failure, SQLSTATE 40001 and 40P01): the same
/// transaction may well succeed when tried again.
pub(super) fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(error) => error
            .try_downcast_ref::<PgDatabaseError>()
            .is_some_and(|postgres| matches!(postgres.code(), "40001" | "40P01")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_of_the_pool_and_the_io_are_storage_faults() {
        assert!(is_storage_fault(&sqlx::Error::PoolClosed));
        assert!(is_storage_fault(&sqlx::Error::WorkerCrashed));
        let io = std::io::Error::other("no space left on device");
        assert!(is_storage_fault(&sqlx::Error::Io(io)));
        // A busy pool is the ledger being busy, answered as such elsewhere.
        assert!(!is_storage_fault(&sqlx::Error::PoolTimedOut));
        assert!(!is_storage_fault(&sqlx::Error::RowNotFound));
    }

    /// On one connection to `url`: a duplicate key is not a storage fault; after
    /// `read_only` (a statement that makes the connection refuse writes), a write is.
    async fn duplicate_is_not_and_read_only_is(
        url: &str,
        read_only: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::any::install_default_drivers();
        // One connection: each in-memory SQLite connection is a database of its own.
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await?;
        sqlx::query("CREATE TABLE t (id BIGINT PRIMARY KEY)")
            .execute(&pool)
            .await?;
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&pool)
            .await?;
        let Err(duplicate) = sqlx::query("INSERT INTO t VALUES (1)").execute(&pool).await else {
            panic!("a duplicate key was inserted");
        };
        assert!(!is_storage_fault(&duplicate), "{duplicate}");

        sqlx::query(sqlx::AssertSqlSafe(read_only))
            .execute(&pool)
            .await?;
        let Err(refused) = sqlx::query("INSERT INTO t VALUES (2)").execute(&pool).await else {
            panic!("a read-only store took a write");
        };
        assert!(is_storage_fault(&refused), "{refused}");
        pool.close().await;
        Ok(())
    }

    #[tokio::test]
    async fn a_store_that_refuses_writes_is_a_fault_and_a_broken_constraint_is_not()
    -> Result<(), sqlx::Error> {
        duplicate_is_not_and_read_only_is("sqlite::memory:", "PRAGMA query_only = 1").await
    }

    #[tokio::test]
    async fn on_postgres_too() -> Result<(), Box<dyn std::error::Error>> {
        let Some(schema) = crate::ledger::scratch::ScratchSchema::create().await? else {
            return Ok(());
        };
        duplicate_is_not_and_read_only_is(schema.url(), "SET default_transaction_read_only = on")
            .await?;
        Ok(())
    }
}
