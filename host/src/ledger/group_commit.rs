//! Group commit: decisions recorded at about the same time share one transaction, so
//! one fsync makes a whole batch durable instead of one fsync per decision.
//!
//! Callers hand their rows to one writer task and wait; the task takes every row that is
//! waiting (up to a batch), writes each in a savepoint of one transaction (a row that
//! fails fails alone), commits, and only then answers each caller. So an answered
//! decision is as durable as before (`synchronous=FULL`); under load the batches grow
//! by themselves, and a lone decision commits at once, with no timer to wait for.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Acquire, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::LedgerError;
use super::records::DecisionRow;

/// The most rows in one transaction.
const MAX_BATCH: usize = 256;
/// Rows that may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4_096;

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
    pub(super) fn start(writer: SqlitePool) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let stats = Arc::new(Counters::default());
        tokio::spawn(write_batches(writer, receiver, stats.clone()));
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
    writer: SqlitePool,
    mut receiver: mpsc::Receiver<Pending>,
    stats: Arc<Counters>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let rows: Vec<&DecisionRow> = batch.iter().map(|pending| &pending.row).collect();
        match write_batch(&writer, &rows).await {
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
                let message = format!("committing {} decisions: {error}", batch.len());
                tracing::error!(%message, "group commit failed");
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Err(LedgerError::Commit(message.clone())));
                }
            }
        }
    }
}

/// One transaction for `rows`, each in its own savepoint; the outcome of each row, or
/// the error that failed them all.
async fn write_batch(
    writer: &SqlitePool,
    rows: &[&DecisionRow],
) -> Result<Vec<Result<bool, sqlx::Error>>, sqlx::Error> {
    let mut tx = writer.begin().await?;
    let mut results = Vec::with_capacity(rows.len());
    for row in rows {
        let mut savepoint = tx.begin().await?;
        match row.write(savepoint.acquire().await?).await {
            Ok(inserted) => {
                savepoint.commit().await?;
                results.push(Ok(inserted));
            }
            Err(error) => {
                savepoint.rollback().await?;
                results.push(Err(error));
            }
        }
    }
    tx.commit().await?;
    Ok(results)
}
