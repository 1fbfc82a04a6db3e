//! Everything a decision reads from the store before its policy runs, in one trip: the
//! answer already given under its idempotency key, or else the customer's history and
//! the config epoch its policy is resolved under.
//!
//! On the embedded SQLite the reads run as one job on one of the store's threads (see
//! [`super::embedded`]): one hand-off there and one back, whatever the number of
//! statements. On PostgreSQL they run on one pooled connection, and the epoch is known
//! from the store's announcements.

use std::sync::Arc;

use super::config_cache::ConfigEpoch;
use super::epoch_watch::EPOCH;
use super::history::read_history;
use super::records::read_reply;
use super::statements::{Statements, StoreError};
use super::{Ledger, LedgerError, StoredReply};
use crate::contract::DecisionRequest;
use crate::history::CustomerHistory;

/// What a decision finds before it runs.
#[derive(Debug)]
pub enum BeforeDecision {
    /// An answer is stored under the key already (a retry, or a conflict).
    Answered(StoredReply),
    /// A new decision: the history it is given, and the config epoch to resolve its
    /// policy under.
    Fresh {
        history: CustomerHistory,
        epoch: ConfigEpoch,
    },
}

impl Ledger {
    /// What `request`, under idempotency key `key`, finds in the store before it runs.
    pub async fn before_decision(
        &self,
        key: &str,
        request: &Arc<DecisionRequest>,
    ) -> Result<BeforeDecision, LedgerError> {
        if let Some(embedded) = &self.embedded {
            let (key, request) = (key.to_owned(), Arc::clone(request));
            return embedded
                .read(move |store| {
                    futures_executor::block_on(in_read_transaction(store, async |store| {
                        read_before_decision(store, &key, &request, None).await
                    }))
                })
                .await;
        }
        let known_epoch = self.announced_epoch();
        let mut connection = self.pool().acquire().await?;
        let found = read_before_decision(&mut *connection, key, request, known_epoch).await?;
        if let BeforeDecision::Fresh { epoch, .. } = &found {
            self.saw_epoch(*epoch);
        }
        Ok(found)
    }
}

/// The reads of [`Ledger::before_decision`] on `store`; the config epoch is read unless
/// it is `known`.
async fn read_before_decision<S: Statements>(
    store: &mut S,
    key: &str,
    request: &DecisionRequest,
    known: Option<ConfigEpoch>,
) -> Result<BeforeDecision, StoreError> {
    if let Some(reply) = read_reply(store, key).await? {
        return Ok(BeforeDecision::Answered(reply));
    }
    let history = read_history(store, request).await?;
    let epoch = match known {
        Some(epoch) => epoch,
        None => ConfigEpoch::new(read_epoch(store).await?),
    };
    Ok(BeforeDecision::Fresh { history, epoch })
}

/// Runs `reads` in one read transaction on the embedded store: one snapshot for all of
/// them (and one take of the WAL's read lock instead of one per statement). The
/// transaction ends whatever `reads` came to, so the connection's next job starts
/// afresh.
async fn in_read_transaction<T>(
    store: &mut rusqlite::Connection,
    reads: impl AsyncFnOnce(&mut rusqlite::Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    store.execute("BEGIN", &[]).await?;
    let read = reads(store).await;
    let ended = store.execute("COMMIT", &[]).await;
    if ended.is_err() {
        let _ = store.execute("ROLLBACK", &[]).await;
    }
    let value = read?;
    ended?;
    Ok(value)
}

/// The config epoch as stored.
pub(super) async fn read_epoch<S: Statements>(store: &mut S) -> Result<i64, StoreError> {
    store
        .fetch_optional(EPOCH, &[], |row| row.int("epoch"))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the config epoch row is missing".into()))
}
