//! The ledger: the one seam to storage. Every decision with its request, response,
//! module digest, settings version, history, risk signals and latency; the latest state
//! of each claim and the photos seen, from which the next claim's history is read; shop
//! settings; the hard-fraud list; API tokens.
//!
//! SQLite in WAL mode is the embedded default. The schema (`host/migrations`) uses plain
//! types so the same store can run on PostgreSQL for several hosts; nothing outside this
//! module writes SQL.

mod config_cache;
mod group_commit;
mod history;
mod policies;
mod records;

pub use config_cache::ConfigEpoch;
pub use group_commit::CommitStats;
pub use policies::{AuditEntry, FailurePolicy, ModuleRecord, PolicyVersion, Rollout, ShopRollout};
pub use records::{
    DecisionRecord, Recorded, ShopSettings, StoredDecision, StoredReply, TokenRecord,
};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use group_commit::GroupCommit;

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("recording decisions: {0}")]
    Commit(String),
}

/// The store, shared by all requests. Cheap to clone.
///
/// Reads share a pool of connections (WAL lets them run beside a writer); writes go
/// through one connection, so they queue in the process instead of contending for
/// SQLite's write lock with its sleep-and-retry busy handler, which made the tail slow.
#[derive(Debug, Clone)]
pub struct Ledger {
    readers: SqlitePool,
    writer: SqlitePool,
    decisions: GroupCommit,
    config: std::sync::Arc<config_cache::ConfigCache>,
}

impl Ledger {
    /// Opens (creating if needed) the SQLite ledger at `path` and brings its schema up to
    /// date. Commits are synchronous (`synchronous=FULL`): an answered decision survives
    /// a crash of the process or of the machine.
    pub async fn open(path: &Path) -> Result<Self, LedgerError> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let decisions = GroupCommit::start(writer.clone());
        Ok(Self {
            readers,
            writer,
            decisions,
            config: Default::default(),
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), LedgerError> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    /// SQLite's own consistency check: `ok` when the file is sound.
    pub async fn integrity_check(&self) -> Result<String, LedgerError> {
        let row = sqlx::query("PRAGMA integrity_check")
            .fetch_one(&self.writer)
            .await?;
        Ok(row.try_get::<String, _>(0)?)
    }

    /// Closes the pools, waiting for connections in use.
    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    /// Connections for reads.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.readers
    }

    /// The one connection for writes.
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Writes a decision's rows in the next group commit; `false` if its idempotency key
    /// was taken.
    async fn commit(&self, row: records::DecisionRow) -> Result<bool, LedgerError> {
        self.decisions.commit(row).await
    }

    /// How many transactions have committed how many decisions since the ledger opened.
    pub fn commit_stats(&self) -> CommitStats {
        self.decisions.stats()
    }
}

/// A count or version as SQL's BIGINT, saturating.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A BIGINT back as a count or version; a negative one (never written) reads as 0.
pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// The JSON name of a contract enum value (`compensate`, `short_shipment`).
pub(crate) fn label<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A contract enum value from its JSON name.
pub(crate) fn parse_label<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, LedgerError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| LedgerError::Corrupt(format!("unknown value `{text}`")))
}
