//! Group commit: decisions recorded at about the same time share one transaction, so
//! one fsync makes a whole batch durable instead of one fsync per decision.
//!
//! Callers hand their rows to one writer task and wait; the task takes every row that is
//! waiting (up to a batch), writes each in a savepoint of one transaction (a row that
//! fails fails alone), commits, and only then answers each caller. So an answered
//! decision is as durable as before (`synchronous=FULL`); under load the batches grow
//! by themselves, and a lone decision commits at once, with no timer to wait for.
//!
//! When the transaction fails (a full disk, an I/O error, a row the store could not
//! take), every caller in the batch gets [`LedgerError::Unavailable`] and the writer
//! connection is closed (see [`super::writer`]): the next batch runs on a fresh one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AnyConnection, Connection as _};
use tokio::sync::{mpsc, oneshot};

use super::records::DecisionRow;
use super::writer::{Writer, is_storage_fault, is_transient};
use super::{Dialect, LedgerError};

/// The most rows in one transaction.
const MAX_BATCH: usize = 256;
/// Rows that may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4_096;
/// Tries of one batch whose transaction the store rolled back (see [`is_transient`]).
const ATTEMPTS: usize = 3;

/// The way to the writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    sender: mpsc::Sender<Pending>,
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
}

#[derive(Debug)]
struct Pending {
    row: DecisionRow,
    /// Whether the row was written (`false`: its idempotency key was taken).
    done: oneshot::Sender<Result<bool, LedgerError>>,
}

impl GroupCommit {
    /// Starts the writer task on the current runtime; it stops when the last
    /// `GroupCommit` is dropped.
    pub(super) fn start(writer: Writer, dialect: Dialect) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let stats = Arc::new(Counters::default());
        tokio::spawn(write_batches(writer, dialect, receiver, stats.clone()));
        Self { sender, stats }
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
            .send(Pending { row, done })
            .await
            .map_err(|_| LedgerError::Commit("the ledger's writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| LedgerError::Commit("the ledger's writer stopped mid-commit".into()))?
    }
}

async fn write_batches(
    writer: Writer,
    dialect: Dialect,
    mut receiver: mpsc::Receiver<Pending>,
    stats: Arc<Counters>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let rows: Vec<&DecisionRow> = batch.iter().map(|pending| &pending.row).collect();
        match write_batch(&writer, dialect, &rows).await {
            Ok(results) => {
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
}

/// One transaction for `rows` on the writer connection, each row in its own savepoint;
/// the outcome of each row, or the error that failed them all. A row that the store
/// could not take fails them all, too: SQLite may have rolled the whole transaction back.
async fn write_batch(
    writer: &Writer,
    dialect: Dialect,
    rows: &[&DecisionRow],
) -> Result<Vec<Result<bool, sqlx::Error>>, LedgerError> {
    let mut connection = writer.acquire().await?;
    let mut written = write_rows(connection.connection(), dialect, rows).await;
    // A transaction the server rolled back to break a deadlock or a serialization
    // conflict with another host is whole again on a second try.
    for _ in 1..ATTEMPTS {
        match &written {
            Err(error) if is_transient(error) => {
                tracing::warn!(%error, "group commit rolled back by the store; trying again");
                written = write_rows(connection.connection(), dialect, rows).await;
            }
            _ => break,
        }
    }
    // Whatever failed the transaction, nothing of it is kept: the store is unavailable
    // to these rows. `done` closes the connection then, and marks the ledger failing.
    connection.done(written.map_err(|error| LedgerError::Unavailable(Arc::new(error))))
}

/// Writes the rows in the order of their claims (so hosts sharing a PostgreSQL take
/// their claims' locks in one order and never wait on each other in a circle); the
/// outcomes come back in the rows' order.
async fn write_rows(
    connection: &mut AnyConnection,
    dialect: Dialect,
    rows: &[&DecisionRow],
) -> Result<Vec<Result<bool, sqlx::Error>>, sqlx::Error> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&index| (rows[index].claim_id(), rows[index].idempotency_key()));
    let mut tx = connection.begin().await?;
    let mut outcomes = Vec::with_capacity(rows.len());
    for index in order {
        let mut savepoint = tx.begin().await?;
        let outcome = match rows[index].write(&mut savepoint, dialect).await {
            Ok(inserted) => {
                savepoint.commit().await?;
                Ok(inserted)
            }
            Err(error) if is_storage_fault(&error) => return Err(error),
            Err(error) => {
                savepoint.rollback().await?;
                Err(error)
            }
        };
        outcomes.push((index, outcome));
    }
    tx.commit().await?;
    outcomes.sort_by_key(|(index, _)| *index);
    Ok(outcomes.into_iter().map(|(_, outcome)| outcome).collect())
}
