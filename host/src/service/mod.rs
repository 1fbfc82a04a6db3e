//! The decision service: what the HTTP API (and the benchmarks) call. It owns the
//! registry of loaded modules, the ledger and the suspension breakers; nothing here
//! knows HTTP.
//!
//! - [`pipeline`]: one decision, request body to recorded answer;
//! - [`admin`]: settings, modules, versions and their rollout, the platform's policies;
//! - [`settings`]: the one path by which settings are checked, for both worlds;
//! - [`idempotency`], [`rollout`]: keys and replays; which claims a canary serves;
//! - [`replay`]: a recorded decision decided again with what it was decided with;
//! - [`backtest`], [`backtest_report`]: a candidate re-deciding a shop's past decisions;
//! - [`progressive`]: a progressive rollout judged, step by step, as decisions arrive;
//! - [`insights`]: where a shop's or the platform's claims come from and what they cost.

mod admin;
mod backtest;
mod backtest_report;
mod error;
mod feedback;
mod idempotency;
mod insights;
mod pipeline;
mod progressive;
mod replay;
mod rollout;
mod settings;

pub use admin::FRAUD_LIST_PAGE;
pub use backtest::{BacktestSpec, BacktestWorker};
pub use backtest_report::{BacktestReport, BeforeAfter, Change, MoneyReport, MoneySplit, Side};
pub use error::ServiceError;
pub use feedback::{FeedbackInput, MAX_NOTE_CHARS, Verdict};
pub use idempotency::Reply;
pub use progressive::{ROLLOUT_ACTOR, RolloutFigures};
pub use replay::{DifferingDecision, Replay, ReplayAudit};
pub use rollout::{in_canary, rollout_label};

use std::path::Path;
use std::sync::Arc;

use crate::engine::Limits;
use crate::ledger::{Ledger, LedgerError, Storage};
use crate::metrics::Metrics;
use crate::registry::{Registry, UploadLimits};
use crate::signing::TrustedKeys;
use crate::suspension::Suspensions;

/// The platform policies a claim runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformPolicy {
    /// The compensation module and settings of shops that set none of their own.
    Compensation,
    /// The fraud screen and its settings.
    FraudScreen,
}

impl PlatformPolicy {
    pub fn name(self) -> &'static str {
        match self {
            Self::Compensation => "compensation",
            Self::FraudScreen => "fraud_screen",
        }
    }
}

/// The running service: registry and ledger. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Service {
    registry: Arc<Registry>,
    ledger: Ledger,
    suspensions: Arc<Suspensions>,
    backtest_worker: BacktestWorker,
    metrics: Metrics,
    trusted_keys: Arc<TrustedKeys>,
}

impl Service {
    /// Opens the ledger under `data_dir` and loads the platform's modules.
    pub async fn open(data_dir: &Path, limits: Limits) -> Result<Self, ServiceError> {
        Self::open_with(data_dir, limits, UploadLimits::default()).await
    }

    /// Like [`Self::open`], with upload limits.
    pub async fn open_with(
        data_dir: &Path,
        limits: Limits,
        upload_limits: UploadLimits,
    ) -> Result<Self, ServiceError> {
        let storage = Storage::in_data_dir(data_dir);
        Self::open_on(&storage, data_dir, limits, upload_limits).await
    }

    /// Opens the ledger in `storage` (several hosts may share a PostgreSQL one) and loads
    /// the platform's modules; `data_dir` holds what is this host's own (the compiled
    /// modules' cache).
    pub async fn open_on(
        storage: &Storage,
        data_dir: &Path,
        limits: Limits,
        upload_limits: UploadLimits,
    ) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(data_dir).map_err(|source| ServiceError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let ledger = Ledger::open(storage).await?;
        let suspensions = Arc::new(Suspensions::new(limits.suspension.clone()));
        let registry = Registry::open(data_dir, limits, upload_limits, ledger.clone()).await?;
        let interrupted = ledger
            .fail_interrupted_backtests(crate::clock::now_ms())
            .await?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "backtests that ran when the server stopped are marked failed"
            );
        }
        let metrics = Metrics::new(ledger.commit_metrics());
        Ok(Self {
            registry: Arc::new(registry),
            ledger,
            suspensions,
            backtest_worker: BacktestWorker::start()?,
            metrics,
            trusted_keys: Arc::default(),
        })
    }

    /// The ledger, for what stands beside the service (tokens, tests, benchmarks);
    /// request handlers go through the service's own methods.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The service asking every upload to be signed by one of `keys` (none: nothing
    /// is asked).
    #[must_use]
    pub fn with_trusted_keys(mut self, keys: TrustedKeys) -> Self {
        self.trusted_keys = Arc::new(keys);
        self
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The metrics as `GET /metrics` serves them.
    pub fn render_metrics(&self) -> String {
        self.metrics
            .render(self.ledger.writes_failing(), self.registry.resident())
    }

    /// Whether the ledger answers reads and takes writes (for readiness): after a
    /// failed write, this tries a write of its own.
    pub async fn ping(&self) -> Result<(), LedgerError> {
        self.ledger.ready().await
    }

    /// Waits for pending writes and closes the ledger.
    pub async fn close(&self) {
        self.ledger.close().await;
    }
}

#[cfg(test)]
mod tests;
