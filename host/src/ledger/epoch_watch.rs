//! PostgreSQL: the config epoch as the store announces it, so a decision need not read
//! it. Every move of the epoch is a notification on `arbiter_config_epoch` (migration
//! 0007), delivered when its transaction commits; a task listens and keeps the newest.
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

/// Reads the epoch from the store.
pub(super) async fn read_epoch(pool: &AnyPool) -> Result<i64, LedgerError> {
    let row = sqlx::query("SELECT epoch FROM config_epoch WHERE id = 1")
        .fetch_one(pool)
        .await?;
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
                Some(notification) => match notification.payload().parse::<i64>() {
                    Ok(epoch) => watch.saw(epoch),
                    Err(_) => watch.saw(read_epoch(pool).await?),
                },
                // The connection was lost: announcements may have been missed.
                None => return Ok(()),
            },
            _ = recheck.tick() => watch.saw(read_epoch(pool).await?),
        }
    }
}
