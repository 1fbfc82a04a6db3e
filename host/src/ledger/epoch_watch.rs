//! PostgreSQL: the config epoch as the store announces it, so a decision need not read
//! it. Every move of the epoch is a notification on `arbiter_config_epoch` (migration
//! 0007), delivered when its transaction commits; a task listens and, on each, reads the
//! epoch (the channel is the whole database's, so a ledger in another schema of it
//! announces there too: an announcement says only "read again").
//!
//! While the listening connection is down (or not yet up) the watch says it does not
//! know, and each decision reads the epoch itself, as on SQLite; once the task is
//! listening again it reads the epoch afresh, so nothing announced in between is missed.
//! It also re-reads the epoch every second, in case a notification went astray.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{AnyPool, Row};
use tokio::task::JoinHandle;

use super::LedgerError;

/// The channel the epoch's moves are announced on.
const CHANNEL: &str = "arbiter_config_epoch";
/// How often the epoch is re-read while listening.
const RECHECK: Duration = Duration::from_secs(1);
/// How long to wait before listening again after the connection failed.
const RECONNECT: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
pub(super) struct EpochWatch {
    /// The newest epoch announced or read.
    known: AtomicI64,
    /// Whether `known` is current: the task is listening.
    live: AtomicBool,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl EpochWatch {
    /// Starts listening on the store at `url`; `pool` reads the epoch itself.
    pub(super) fn start(url: &str, pool: AnyPool) -> Arc<Self> {
        let watch = Arc::new(Self::default());
        let task = tokio::spawn(listen(url.to_owned(), pool, Arc::clone(&watch)));
        *watch.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
        watch
    }

    /// The epoch now, when the watch is listening; `None`: read it.
    pub(super) fn current(&self) -> Option<i64> {
        self.live
            .load(Ordering::Acquire)
            .then(|| self.known.load(Ordering::Acquire))
    }

    /// Takes note of an epoch read or announced (an older one changes nothing).
    pub(super) fn saw(&self, epoch: i64) {
        self.known.fetch_max(epoch, Ordering::AcqRel);
    }

    pub(super) fn stop(&self) {
        self.live.store(false, Ordering::Release);
        if let Some(task) = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}

/// The config epoch's one row.
pub(super) const EPOCH: &str = "SELECT epoch FROM config_epoch WHERE id = 1";

/// Reads the epoch from the store.
pub(super) async fn read_epoch(pool: &AnyPool) -> Result<i64, LedgerError> {
    let row = sqlx::query(EPOCH).fetch_one(pool).await?;
    Ok(row.try_get("epoch")?)
}

async fn listen(url: String, pool: AnyPool, watch: Arc<EpochWatch>) {
    loop {
        if let Err(error) = listen_once(&url, &pool, &watch).await {
            tracing::warn!(%error, "not listening for config changes; each decision reads the config epoch until listening again");
        }
        watch.live.store(false, Ordering::Release);
        tokio::time::sleep(RECONNECT).await;
    }
}

/// Listens until the connection fails.
async fn listen_once(url: &str, pool: &AnyPool, watch: &EpochWatch) -> Result<(), LedgerError> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    // Listening first, then reading: whatever moved before is in this read, whatever
    // moves after is announced.
    watch.saw(read_epoch(pool).await?);
    watch.live.store(true, Ordering::Release);
    let mut recheck = tokio::time::interval(RECHECK);
    loop {
        tokio::select! {
            notification = listener.try_recv() => match notification? {
                // The payload is not trusted: the channel is the database's, and
                // ledgers in other schemas of it announce their own epochs there.
                Some(_) => watch.saw(read_epoch(pool).await?),
                // The connection was lost: announcements may have been missed.
                None => return Ok(()),
            },
            _ = recheck.tick() => watch.saw(read_epoch(pool).await?),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::guardrails::Guardrails;
    use crate::ledger::Ledger;
    use crate::ledger::scratch::ScratchSchema;

    /// Waits until `ledger` is listening (at most 5 s).
    async fn listening(ledger: &Ledger) {
        let started = Instant::now();
        while ledger
            .epoch_watch
            .as_ref()
            .and_then(|watch| watch.current())
            .is_none()
        {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "never listening"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn caps(cap: i64) -> Guardrails {
        Guardrails {
            shop_daily_cap: Some(cap),
            customer_30d_cap: None,
        }
    }

    #[tokio::test]
    async fn a_change_through_one_host_is_heard_by_another_within_a_second() {
        let Some(schema) = ScratchSchema::create().await.unwrap() else {
            return;
        };
        let one = Ledger::open(&schema.storage()).await.unwrap();
        let other = Ledger::open(&schema.storage()).await.unwrap();
        listening(&other).await;
        let before = other.config_epoch().await.unwrap();
        assert_eq!(
            other.guardrails_at(before).await.unwrap(),
            Guardrails::default()
        );

        one.put_guardrails(&caps(500), "test", 0).await.unwrap();
        // The host that made the change sees it at once.
        let epoch = one.config_epoch().await.unwrap();
        assert_eq!(one.guardrails_at(epoch).await.unwrap(), caps(500));
        // The other hears of it, without reading the epoch per call.
        let changed = Instant::now();
        loop {
            let epoch = other.config_epoch().await.unwrap();
            if epoch != before {
                assert_eq!(other.guardrails_at(epoch).await.unwrap(), caps(500));
                break;
            }
            assert!(
                changed.elapsed() < Duration::from_secs(1),
                "not heard in 1 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        one.close().await;
        other.close().await;
    }

    #[tokio::test]
    async fn another_schemas_announcements_leave_this_ledgers_config_alone() {
        let (Some(mine), Some(theirs)) = (
            ScratchSchema::create().await.unwrap(),
            ScratchSchema::create().await.unwrap(),
        ) else {
            return;
        };
        let ledger = Ledger::open(&mine.storage()).await.unwrap();
        let neighbour = Ledger::open(&theirs.storage()).await.unwrap();
        listening(&ledger).await;
        ledger.put_guardrails(&caps(100), "test", 0).await.unwrap();
        let own = ledger.config_epoch().await.unwrap();
        // The neighbour's epoch runs ahead of this ledger's, on the same channel.
        for cap in 0..5 {
            neighbour
                .put_guardrails(&caps(cap), "test", 0)
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(ledger.config_epoch().await.unwrap(), own);
        // And this ledger's next change is still its next epoch.
        ledger.put_guardrails(&caps(200), "test", 0).await.unwrap();
        let epoch = ledger.config_epoch().await.unwrap();
        assert_ne!(epoch, own);
        assert_eq!(ledger.guardrails_at(epoch).await.unwrap(), caps(200));
        ledger.close().await;
        neighbour.close().await;
    }
}
