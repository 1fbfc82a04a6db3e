//! The ledger: the one seam to storage. Every decision with its request, response,
//! module digest, settings version, history, risk signals and latency; the latest state
//! of each claim and the photos seen, from which the next claim's history is read; shop
//! policy versions and rollouts; the hard-fraud list; API tokens.
//!
//! Two stores behind one seam ([`Storage`]): SQLite in WAL mode embedded under the data
//! dir (the default), and PostgreSQL for several hosts sharing one store. Both run the
//! same SQL through sqlx's `Any` driver (`$1` parameters, which both parse); the few
//! places where the dialects differ are named in [`dialect`], and each store has its own
//! copy of the one schema history (`host/migrations/{sqlite,postgres}`, the same
//! versions; a test holds them in step). Nothing outside this module writes SQL.

mod audit;
mod backtests;
mod before_decision;
mod config_cache;
mod decision_list;
pub mod dialect;
mod embedded;
mod epoch_watch;
#[cfg(test)]
mod faults_tests;
mod feedback;
mod group_commit;
mod history;
mod insights;
mod modules;
mod platform;
mod records;
mod rollouts;
pub mod scratch;
mod shadows;
mod shop_decisions;
mod statements;
pub mod storage;
mod tallies;
mod versions;
mod writer;

pub use audit::AuditEntry;
pub use backtests::{BacktestRecord, BacktestStatus, INTERRUPTED, PLATFORM_BACKTEST};
pub use before_decision::BeforeDecision;
pub use config_cache::ConfigEpoch;
pub use decision_list::{DecisionFilter, ListedDecision};
pub use dialect::Dialect;
pub use feedback::{Feedback, VersionFeedback};
pub use group_commit::CommitStats;
pub use insights::InsightScope;
pub use modules::ModuleRecord;
pub use platform::FailurePolicy;
pub use records::{
    DecisionRecord, FraudListed, Recorded, ShopSettings, StoredDecision, StoredReply, TokenRecord,
};
pub use rollouts::{RolloutMove, RolloutRecord, RolloutTag};
pub use shadows::ShadowRecord;
pub use shop_decisions::{DecisionCursor, DecisionScope};
pub use storage::Storage;
pub use versions::{PolicyVersion, Rollout, ShopRollout, VersionModule};

use std::sync::Arc;

use sqlx::{AnyPool, Row};

use embedded::EmbeddedReaders;
use epoch_watch::EpochWatch;
use group_commit::GroupCommit;
use writer::Writer;

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store could not be written or read (a full disk, an I/O error, a transaction
    /// rolled back under the write, a lost connection): nothing of a failed write is
    /// kept, and the same request may succeed once the store is back.
    #[error("the ledger's store cannot be written or read now")]
    Unavailable(#[source] Arc<dyn std::error::Error + Send + Sync>),
    /// Any other database error (a statement or a row the database refused).
    #[error("the database refused a statement")]
    Database(#[source] sqlx::Error),
    /// The same, from the embedded store's own connections (see [`embedded`]).
    #[error("the database refused a statement")]
    Embedded(#[source] rusqlite::Error),
    #[error("bringing the database's schema up to date")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("recording decisions: {0}")]
    Commit(String),
}

impl From<sqlx::Error> for LedgerError {
    fn from(error: sqlx::Error) -> Self {
        if writer::is_storage_fault(&error) {
            Self::Unavailable(Arc::new(error))
        } else {
            Self::Database(error)
        }
    }
}

/// The store, shared by all requests. Cheap to clone.
///
/// Reads share a pool of connections (WAL lets them run beside a writer in SQLite);
/// writes go through one connection per host, so they queue in the process instead of
/// contending for SQLite's write lock with its sleep-and-retry busy handler, which made
/// the tail slow. A write that fails closes that connection (see [`writer`]).
#[derive(Debug, Clone)]
pub struct Ledger {
    dialect: Dialect,
    readers: AnyPool,
    writer: Writer,
    decisions: GroupCommit,
    /// SQLite: the threads that read for decisions (see [`embedded`]).
    embedded: Option<EmbeddedReaders>,
    config: Arc<config_cache::ConfigCache>,
    /// PostgreSQL: the config epoch as announced by the store (LISTEN/NOTIFY).
    epoch_watch: Option<Arc<EpochWatch>>,
}

impl Ledger {
    /// Opens (creating if needed) the store and brings its schema up to date; two hosts
    /// starting together on one PostgreSQL take turns (the migrations hold a lock).
    /// Commits are durable before they are answered: SQLite runs `synchronous=FULL`,
    /// PostgreSQL its own commit (keep `synchronous_commit` on).
    pub async fn open(storage: &Storage) -> Result<Self, LedgerError> {
        let dialect = storage.dialect();
        // One connection first, so a server that cannot be reached says why (a pool
        // would only say that it timed out).
        storage.probe().await?;
        let writer = storage.pool(1).await?;
        dialect.migrator().run(&writer).await?;
        insights::backfill(&writer, dialect).await?;
        let readers = storage.pool(READERS).await?;
        let writer = Writer::new(writer);
        let (epoch_watch, embedded, decisions) = match storage {
            Storage::Postgres(url) => (
                Some(EpochWatch::start(url, readers.clone())),
                None,
                GroupCommit::start_task(writer.clone(), dialect),
            ),
            Storage::Sqlite(path) => (
                None,
                Some(EmbeddedReaders::start(path, EMBEDDED_READERS)?),
                GroupCommit::start_thread(path.clone(), writer.failing_mark())?,
            ),
        };
        Ok(Self {
            dialect,
            readers,
            writer,
            decisions,
            embedded,
            config: Default::default(),
            epoch_watch,
        })
    }

    /// Which store this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), LedgerError> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    /// Whether the ledger can serve: it answers reads and takes writes. After a write
    /// failed, every check writes the heartbeat row itself, so the ledger is ready again
    /// as soon as the store takes writes, even with no traffic.
    pub async fn ready(&self) -> Result<(), LedgerError> {
        self.ping().await?;
        if self.writer.failing() {
            self.heartbeat().await?;
        }
        Ok(())
    }

    /// Writes the heartbeat row (migration 0009) and commits it: [`HEARTBEAT_BYTES`], so
    /// that it succeeds only where a decision would.
    async fn heartbeat(&self) -> Result<(), LedgerError> {
        let mut writer = self.writer.acquire().await?;
        let written = sqlx::query(self.dialect.heartbeat())
            .bind(crate::clock::now_ms())
            .bind(HEARTBEAT_BYTES)
            .execute(writer.connection())
            .await;
        writer.done(written.map(drop).map_err(LedgerError::from))
    }

    /// SQLite's own consistency check (`ok` when the file is sound); `None` on
    /// PostgreSQL, which checks its pages itself.
    pub async fn integrity_check(&self) -> Result<Option<String>, LedgerError> {
        if self.dialect != Dialect::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA integrity_check")
            .fetch_one(self.writer.pool())
            .await?;
        Ok(Some(row.try_get::<String, _>(0)?))
    }

    /// Closes the pools, waiting for connections in use.
    pub async fn close(&self) {
        if let Some(watch) = &self.epoch_watch {
            watch.stop();
        }
        self.readers.close().await;
        self.writer.close().await;
    }

    /// Connections for reads.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.readers
    }

    /// The one connection for writes, for one write that ends with
    /// [`writer::WriteConnection::done`].
    async fn write_connection(&self) -> Result<writer::WriteConnection, LedgerError> {
        self.writer.acquire().await
    }

    /// Runs one statement on the writer connection; the rows it changed.
    async fn write_statement(
        &self,
        statement: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<u64, LedgerError> {
        let mut writer = self.write_connection().await?;
        let done = statement.execute(writer.connection()).await;
        writer.done(
            done.map(|done| done.rows_affected())
                .map_err(LedgerError::from),
        )
    }

    /// Takes the config lock of `dialect` (see [`Dialect::lock_config`]) in `tx`.
    async fn lock_config(&self, tx: &mut sqlx::AnyConnection) -> Result<(), LedgerError> {
        if let Some(lock) = self.dialect.lock_config() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        Ok(())
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

    /// The group commit's batch sizes and commit times, for the server's metrics.
    pub fn commit_metrics(&self) -> &crate::metrics::CommitMetrics {
        self.decisions.metrics()
    }

    /// Whether writes are failing now (until one succeeds again).
    pub fn writes_failing(&self) -> bool {
        self.writer.failing()
    }
}

/// Connections for reads, per host.
const READERS: u32 = 8;

/// Threads (each with its connection) that read for decisions from the embedded store:
/// a decision's reads take tens of microseconds, so a few keep both cores busy while one
/// waits for the disk.
const EMBEDDED_READERS: usize = 4;

/// How much the readiness check writes while writes are failing: more than a decision
/// (a few KiB), since a small write can fit in the room a failed one left in the WAL.
const HEARTBEAT_BYTES: i64 = 64 * 1024;

/// A count or version as SQL's BIGINT, saturating.
/// The UTC day (days since 1970-01-01, rounded down) of a time in milliseconds: the key
/// of the running totals (`0010_running_totals.sql` computes the same in SQL).
pub(super) fn utc_day(unix_millis: i64) -> i64 {
    unix_millis.div_euclid(crate::history::DAY_MS)
}

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

/// A module digest as stored.
pub(crate) fn stored_digest(text: &str) -> Result<crate::engine::ModuleDigest, LedgerError> {
    crate::engine::ModuleDigest::parse(text)
        .map_err(|error| LedgerError::Corrupt(error.to_string()))
}

/// A contract enum value from its JSON name.
pub(crate) fn parse_label<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, LedgerError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| LedgerError::Corrupt(format!("unknown value `{text}`")))
}
