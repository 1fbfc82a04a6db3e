//! Group commit: decisions recorded at about the same time share one transaction, so
//! one fsync makes a whole batch durable instead of one fsync per decision.
//!
//! Callers hand their rows to one writer and wait; the writer takes every row that is
//! waiting (up to a batch), writes each in a savepoint of one transaction (a row that
//! fails fails alone), commits, and only then answers each caller. So an answered
//! decision is as durable as before (`synchronous=FULL`); under load the batches grow
//! by themselves, and a lone decision commits at once, with no timer to wait for.
//!
//! The writer is a thread with its own rusqlite connection for the embedded SQLite (no
//! hand-off per statement, see [`super::embedded`]), and a task on the sqlx writer
//! connection for PostgreSQL; both write a batch with the same [`write_rows`].
//!
//! When the transaction fails (a full disk, an I/O error, a row the store could not
//! take), every caller in the batch gets [`LedgerError::Unavailable`], the connection is
//! closed (SQLite may have rolled the transaction back by itself, see [`super::writer`])
//! and the next batch runs on a fresh one; the ledger reads as failing until a write
//! succeeds again.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use std::time::Instant;

use tokio::sync::oneshot;

use super::records::DecisionRow;
use super::statements::{Statements, StoreError};
use super::tallies::Tallies;
use super::writer::Writer;
use super::{Dialect, LedgerError, embedded};
use crate::metrics::CommitMetrics;

/// The most rows in one transaction.
const MAX_BATCH: usize = 256;
/// Rows that may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4_096;
/// Decisions the embedded store's commit thread writes between two checkpoints of its
/// WAL (see [`embedded::checkpoint`]): about 1,000 pages, as SQLite's own default.
const CHECKPOINT_AFTER: usize = 64;
/// Tries of one batch whose transaction the store rolled back (see
/// [`StoreError::is_transient`]).
const ATTEMPTS: usize = 3;

/// The way to the writer. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    sender: flume::Sender<Pending>,
    stats: Arc<Counters>,
}

/// How many transactions committed how many decisions, since the ledger opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CommitStats {
    pub commits: u64,
    pub decisions: u64,
}

#[derive(Debug, Default)]
struct Counters {
    commits: AtomicU64,
    decisions: AtomicU64,
    measured: CommitMetrics,
}

#[derive(Debug)]
struct Pending {
    row: DecisionRow,
    /// Whether the row was written (`false`: its idempotency key was taken).
    done: oneshot::Sender<Result<bool, LedgerError>>,
}

/// What writing one batch came to: each row's outcome in the batch's order, or the
/// fault that failed them all.
type BatchOutcome = Result<Vec<Result<bool, StoreError>>, StoreError>;

impl GroupCommit {
    /// Starts the writer task on the current runtime, writing through `writer` (sqlx);
    /// it stops when the last `GroupCommit` is dropped.
    pub(super) fn start_task(writer: Writer, dialect: Dialect) -> Self {
        let (sender, receiver) = flume::bounded(QUEUE);
        let stats = Arc::new(Counters::default());
        tokio::spawn(write_on_task(writer, dialect, receiver, stats.clone()));
        Self { sender, stats }
    }

    /// Starts the writer thread of the embedded database at `path`, with a connection
    /// of its own; `failing` is the ledger's mark of failing writes, shared with sqlx's
    /// writer. It stops when the last `GroupCommit` is dropped.
    pub(super) fn start_thread(
        path: PathBuf,
        failing: Arc<AtomicBool>,
    ) -> Result<Self, LedgerError> {
        let (sender, receiver) = flume::bounded(QUEUE);
        let stats = Arc::new(Counters::default());
        let counters = stats.clone();
        std::thread::Builder::new()
            .name("ledger-commit".into())
            .spawn(move || write_on_thread(&path, &failing, &receiver, &counters))
            .map_err(|error| LedgerError::Unavailable(Arc::new(error)))?;
        Ok(Self { sender, stats })
    }

    /// The batch sizes and commit times, for the server's metrics.
    pub(super) fn metrics(&self) -> &CommitMetrics {
        &self.stats.measured
    }

    pub(super) fn stats(&self) -> CommitStats {
        CommitStats {
            commits: self.stats.commits.load(Ordering::Relaxed),
            decisions: self.stats.decisions.load(Ordering::Relaxed),
        }
    }

    /// Writes `row` and waits until it is committed.
    pub(super) async fn commit(&self, row: DecisionRow) -> Result<bool, LedgerError> {
        let (done, answer) = oneshot::channel();
        self.sender
            .send_async(Pending { row, done })
            .await
            .map_err(|_| LedgerError::Commit("the ledger's writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| LedgerError::Commit("the ledger's writer stopped mid-commit".into()))?
    }
}

/// PostgreSQL's writer: batches on the sqlx writer connection.
async fn write_on_task(
    writer: Writer,
    dialect: Dialect,
    receiver: flume::Receiver<Pending>,
    stats: Arc<Counters>,
) {
    while let Ok(first) = receiver.recv_async().await {
        let mut batch = next_batch(first, &receiver);
        let started = Instant::now();
        let rows: Vec<&DecisionRow> = batch.iter().map(|pending| &pending.row).collect();
        let outcome = match writer.acquire().await {
            // `done` keeps the connection after a commit, closes it after a failure and
            // marks the ledger failing.
            Ok(mut connection) => {
                let written = write_with_retries(connection.connection(), dialect, &rows).await;
                connection.done(written.map_err(unavailable))
            }
            Err(error) => Err(error),
        };
        settle(&mut batch, outcome, &stats, started);
    }
}

/// The embedded SQLite's writer: batches on a connection of this thread's own, opened
/// afresh after a failed batch.
fn write_on_thread(
    path: &std::path::Path,
    failing: &AtomicBool,
    receiver: &flume::Receiver<Pending>,
    stats: &Counters,
) {
    let mut connection: Option<rusqlite::Connection> = None;
    let mut since_checkpoint = 0;
    while let Ok(first) = receiver.recv() {
        let mut batch = next_batch(first, receiver);
        let started = Instant::now();
        let rows: Vec<&DecisionRow> = batch.iter().map(|pending| &pending.row).collect();
        let outcome = match connection
            .take()
            .map_or_else(|| embedded::open_for_commits(path), Ok)
        {
            Ok(mut open) => {
                let outcome = futures_executor::block_on(write_with_retries(
                    &mut open,
                    Dialect::Sqlite,
                    &rows,
                ));
                if outcome.is_ok() {
                    connection = Some(open);
                }
                outcome
            }
            Err(error) => Err(error),
        };
        let outcome = match outcome {
            Ok(results) => {
                failing.store(false, Ordering::Release);
                Ok(results)
            }
            Err(error) => {
                failing.store(true, Ordering::Release);
                tracing::error!(%error, "a write to the ledger failed; its connection is closed");
                Err(unavailable(error))
            }
        };
        let committed = outcome.is_ok();
        since_checkpoint += batch.len();
        settle(&mut batch, outcome, stats, started);
        if let Some(connection) = connection.as_ref().filter(|_| committed)
            && since_checkpoint >= CHECKPOINT_AFTER
        {
            embedded::checkpoint(connection);
            since_checkpoint = 0;
        }
    }
}

/// `first` and every row already waiting behind it, up to a batch.
fn next_batch(first: Pending, receiver: &flume::Receiver<Pending>) -> Vec<Pending> {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    batch.push(first);
    batch.extend(receiver.try_iter().take(MAX_BATCH - 1));
    batch
}

/// Answers each caller of `batch` with its row's outcome, or with the fault that failed
/// the batch, and counts what committed (a batch written from `started`).
fn settle(
    batch: &mut Vec<Pending>,
    outcome: Result<Vec<Result<bool, StoreError>>, LedgerError>,
    stats: &Counters,
    started: Instant,
) {
    match outcome {
        Ok(results) => {
            stats
                .measured
                .commit_seconds
                .observe(started.elapsed().as_secs_f64());
            #[allow(clippy::cast_precision_loss)] // at most MAX_BATCH
            stats.measured.batch_sizes.observe(batch.len() as f64);
            let written = results.iter().filter(|result| result.is_ok()).count();
            stats.commits.fetch_add(1, Ordering::Relaxed);
            stats
                .decisions
                .fetch_add(u64::try_from(written).unwrap_or(0), Ordering::Relaxed);
            for (pending, result) in batch.drain(..).zip(results) {
                let _ = pending.done.send(result.map_err(LedgerError::from));
            }
        }
        Err(error) => {
            tracing::error!(decisions = batch.len(), %error, "group commit failed");
            let cause: Arc<dyn std::error::Error + Send + Sync> = match error {
                LedgerError::Unavailable(cause) => cause,
                other => Arc::new(other),
            };
            for pending in batch.drain(..) {
                let _ = pending
                    .done
                    .send(Err(LedgerError::Unavailable(cause.clone())));
            }
        }
    }
}

/// Whatever failed a batch's transaction, nothing of it is kept: the store is
/// unavailable to the batch's rows.
fn unavailable(error: StoreError) -> LedgerError {
    LedgerError::Unavailable(Arc::new(error))
}

/// [`write_rows`], tried again while the store rolls the transaction back so that
/// another may go on (a deadlock or a serialization conflict with another host, which
/// is whole again on a second try).
async fn write_with_retries<S: Statements>(
    store: &mut S,
    dialect: Dialect,
    rows: &[&DecisionRow],
) -> BatchOutcome {
    let mut written = write_rows(store, dialect, rows).await;
    for _ in 1..ATTEMPTS {
        match &written {
            Err(error) if error.is_transient() => {
                tracing::warn!(%error, "group commit rolled back by the store; trying again");
                written = write_rows(store, dialect, rows).await;
            }
            _ => break,
        }
    }
    written
}

/// One transaction for `rows`, each row in its own savepoint; the outcome of each row,
/// or the error that failed them all (the transaction rolled back). A row that the
/// store could not take fails them all, too: SQLite may have rolled the whole
/// transaction back.
async fn write_rows<S: Statements>(
    store: &mut S,
    dialect: Dialect,
    rows: &[&DecisionRow],
) -> BatchOutcome {
    store.execute(dialect.begin(), &[]).await?;
    let written = write_in_transaction(store, dialect, rows).await;
    if written.is_err() {
        // SQLite may have ended it already; the connection is dropped either way.
        let _ = store.execute("ROLLBACK", &[]).await;
    }
    written
}

/// Writes the rows in the order of their claims (so hosts sharing a PostgreSQL take
/// their claims' locks in one order and never wait on each other in a circle), then
/// the running counts they moved (see [`Tallies`]), then commits; the outcomes come
/// back in the rows' order.
async fn write_in_transaction<S: Statements>(
    store: &mut S,
    dialect: Dialect,
    rows: &[&DecisionRow],
) -> BatchOutcome {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&index| (rows[index].claim_id(), rows[index].idempotency_key()));
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut tallies = Tallies::default();
    for index in order {
        store.execute("SAVEPOINT decision", &[]).await?;
        let mut counted = Tallies::default();
        let outcome = match rows[index].write(store, dialect, &mut counted).await {
            Ok(inserted) => {
                tallies.merge(counted);
                Ok(inserted)
            }
            Err(error) if error.is_storage_fault() => return Err(error),
            Err(error) => {
                store.execute("ROLLBACK TO SAVEPOINT decision", &[]).await?;
                Err(error)
            }
        };
        store.execute("RELEASE SAVEPOINT decision", &[]).await?;
        outcomes.push((index, outcome));
    }
    tallies.write(store).await?;
    store.execute("COMMIT", &[]).await?;
    outcomes.sort_by_key(|(index, _)| *index);
    Ok(outcomes.into_iter().map(|(_, outcome)| outcome).collect())
}
