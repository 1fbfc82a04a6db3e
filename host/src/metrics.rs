//! The server's Prometheus metrics, served at `GET /metrics` (OpenMetrics text).
//!
//! One [`Metrics`] per server, with its own registry (no global recorder), so that
//! several servers in one process (the tests, the benchmarks) count apart. Labels are
//! bounded: outcomes, risks, stages, failure kinds, error codes, audit actions and
//! route templates are fixed sets; `module` on guest failures is a module digest, as
//! many as the modules the platform has accepted (an operator decides that number). No
//! label ever carries a claim, customer, shop or decision id.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::registry::ResidentUsage;

/// The stages of one decision, as `stage` labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The body read into the contract's types.
    Parse,
    /// The idempotency key, the customer's history and the config epoch read.
    History,
    /// The policy versions, settings and modules resolved for the claim.
    Config,
    /// The fraud screen.
    Fraud,
    /// The compensation policy (and its fallback, when it failed).
    Policy,
    /// The guardrails' envelope around the policy's answer.
    Envelope,
    /// Waiting for the group commit that makes the decision durable.
    Commit,
}

impl Stage {
    const ALL: [Self; 7] = [
        Self::Parse,
        Self::History,
        Self::Config,
        Self::Fraud,
        Self::Policy,
        Self::Envelope,
        Self::Commit,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::History => "history",
            Self::Config => "config",
            Self::Fraud => "fraud",
            Self::Policy => "policy",
            Self::Envelope => "envelope",
            Self::Commit => "commit",
        }
    }
}

type Labels1 = [(&'static str, String); 1];
type Labels2 = [(&'static str, String); 2];
type Labels3 = [(&'static str, String); 3];

/// The server's metrics. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Off: nothing is counted (to measure what counting costs, `serve --no-metrics`).
    enabled: AtomicBool,
    registry: Registry,
    decisions: Family<Labels2, Counter>,
    decision_seconds: Histogram,
    stage_seconds: Family<Labels1, Histogram>,
    guest_failures: Family<Labels2, Counter>,
    suspended_calls: Counter,
    idempotency: Family<Labels1, Counter>,
    uploads: Family<Labels1, Counter>,
    changes: Family<Labels1, Counter>,
    backtests_running: Gauge,
    backtest_decisions: Counter,
    http_requests: Family<Labels3, Counter>,
    http_seconds: Family<Labels1, Histogram>,
    storage_failing: Gauge,
    modules_loaded: Gauge,
    module_image_bytes: Gauge,
    module_evictions: Counter,
}

/// Latency buckets from 50 µs to about 13 s.
fn latency_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_05, 2.0, 19)
}

fn latency_histogram() -> Histogram {
    Histogram::new(latency_buckets())
}

/// What the group commit measures, kept by the ledger and registered here.
#[derive(Debug, Clone)]
pub struct CommitMetrics {
    /// Decisions per committed transaction.
    pub batch_sizes: Histogram,
    /// How long writing and committing one transaction took.
    pub commit_seconds: Histogram,
}

impl Default for CommitMetrics {
    fn default() -> Self {
        Self {
            batch_sizes: Histogram::new(exponential_buckets(1.0, 2.0, 9)),
            commit_seconds: latency_histogram(),
        }
    }
}

impl Metrics {
    /// A registry with every metric at zero; `commits` are the ledger's own.
    pub fn new(commits: &CommitMetrics) -> Self {
        let mut registry = Registry::with_prefix("arbiter");
        let decisions = Family::<Labels2, Counter>::default();
        registry.register(
            "decisions",
            "Decisions recorded, by outcome and risk",
            decisions.clone(),
        );
        let decision_seconds = latency_histogram();
        registry.register_with_unit(
            "decision",
            "Time to decide and record one decision, from the body to the commit",
            Unit::Seconds,
            decision_seconds.clone(),
        );
        let stage_seconds =
            Family::<Labels1, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register_with_unit(
            "decision_stage",
            "Time spent in each stage of a decision (parse, history, config, fraud, policy, envelope, commit)",
            Unit::Seconds,
            stage_seconds.clone(),
        );
        let guest_failures = Family::<Labels2, Counter>::default();
        registry.register(
            "guest_failures",
            "Module calls that gave no usable answer, by failure kind and module digest",
            guest_failures.clone(),
        );
        let suspended_calls = Counter::default();
        registry.register(
            "suspended_calls",
            "Decisions that did not call a shop's module because it is suspended",
            suspended_calls.clone(),
        );
        let idempotency = Family::<Labels1, Counter>::default();
        registry.register(
            "idempotency",
            "Requests answered from an earlier decision (replayed) or refused as a key reused with another body (conflict)",
            idempotency.clone(),
        );
        let uploads = Family::<Labels1, Counter>::default();
        registry.register(
            "module_uploads",
            "Module uploads, by result: accepted, or the error code refusing them",
            uploads.clone(),
        );
        let changes = Family::<Labels1, Counter>::default();
        registry.register(
            "changes",
            "Changes written to the audit trail, by action (policy.set is a hot swap; policy.rollback, policy.promote and policy.rollout.* are rollbacks and rollout transitions)",
            changes.clone(),
        );
        let backtests_running = Gauge::default();
        registry.register(
            "backtests_running",
            "Backtests running on this host",
            backtests_running.clone(),
        );
        let backtest_decisions = Counter::default();
        registry.register(
            "backtest_decisions",
            "Decisions re-decided by backtests on this host (their rate is the throughput)",
            backtest_decisions.clone(),
        );
        let http_requests = Family::<Labels3, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests, by route template, method and status",
            http_requests.clone(),
        );
        let http_seconds =
            Family::<Labels1, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register_with_unit(
            "http_request",
            "Time to answer an HTTP request, by route template",
            Unit::Seconds,
            http_seconds.clone(),
        );
        registry.register(
            "commit_batch_size",
            "Decisions per group-commit transaction",
            commits.batch_sizes.clone(),
        );
        registry.register_with_unit(
            "commit",
            "Time to write and commit one group-commit transaction (fsync included)",
            Unit::Seconds,
            commits.commit_seconds.clone(),
        );
        let storage_failing = Gauge::default();
        registry.register(
            "storage_failing",
            "1 while writes to the ledger fail (readiness says not ready), else 0",
            storage_failing.clone(),
        );
        let modules_loaded = Gauge::default();
        registry.register(
            "modules_loaded",
            "Uploaded modules loaded in memory now (beside the built-ins)",
            modules_loaded.clone(),
        );
        let module_image_bytes = Gauge::default();
        registry.register_with_unit(
            "module_images",
            "Compiled images of the loaded modules (bounded by --loaded-modules-mib)",
            Unit::Bytes,
            module_image_bytes.clone(),
        );
        let module_evictions = Counter::default();
        registry.register(
            "module_evictions",
            "Loaded modules dropped to stay within the budget (loaded again from the compiled cache when next needed)",
            module_evictions.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                enabled: AtomicBool::new(true),
                registry,
                decisions,
                decision_seconds,
                stage_seconds,
                guest_failures,
                suspended_calls,
                idempotency,
                uploads,
                changes,
                backtests_running,
                backtest_decisions,
                http_requests,
                http_seconds,
                storage_failing,
                modules_loaded,
                module_image_bytes,
                module_evictions,
            }),
        }
    }

    /// Turns counting on or off (on from the start).
    pub fn set_enabled(&self, enabled: bool) {
        self.inner.enabled.store(enabled, Ordering::Relaxed);
    }

    /// Whether anything is counted.
    pub fn enabled(&self) -> bool {
        self.inner.enabled.load(Ordering::Relaxed)
    }

    /// The metrics in the OpenMetrics text format, `storage_failing` and the loaded
    /// modules read now.
    pub fn render(&self, storage_failing: bool, resident: ResidentUsage) -> String {
        let inner = &self.inner;
        inner.storage_failing.set(i64::from(storage_failing));
        inner
            .modules_loaded
            .set(i64::try_from(resident.modules).unwrap_or(i64::MAX));
        inner
            .module_image_bytes
            .set(i64::try_from(resident.image_bytes).unwrap_or(i64::MAX));
        // Brought up to the registry's count: `fetch_max` keeps two scrapes at once from
        // both adding the same evictions.
        inner
            .module_evictions
            .inner()
            .fetch_max(resident.evictions, Ordering::Relaxed);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.inner.registry);
        text
    }

    pub fn decision(&self, outcome: &str, risk: &str, took: Duration) {
        if !self.enabled() {
            return;
        }
        self.inner
            .decisions
            .get_or_create(&[("outcome", outcome.to_owned()), ("risk", risk.to_owned())])
            .inc();
        self.inner.decision_seconds.observe(took.as_secs_f64());
    }

    /// A clock for one decision's stages, starting now.
    pub fn stages(&self) -> StageTimes<'_> {
        StageTimes {
            metrics: self,
            lap: Instant::now(),
            took: [None; Stage::ALL.len()],
        }
    }

    pub fn stage(&self, stage: Stage, took: Duration) {
        if !self.enabled() {
            return;
        }
        self.inner
            .stage_seconds
            .get_or_create(&[("stage", stage.label().to_owned())])
            .observe(took.as_secs_f64());
    }

    pub fn guest_failure(&self, kind: &str, module: &str) {
        if !self.enabled() {
            return;
        }
        self.inner
            .guest_failures
            .get_or_create(&[("kind", kind.to_owned()), ("module", module.to_owned())])
            .inc();
    }

    pub fn suspended_call(&self) {
        if !self.enabled() {
            return;
        }
        self.inner.suspended_calls.inc();
    }

    /// An idempotent `replayed` answer or a `conflict`.
    pub fn idempotency(&self, result: &'static str) {
        if !self.enabled() {
            return;
        }
        self.inner
            .idempotency
            .get_or_create(&[("result", result.to_owned())])
            .inc();
    }

    /// An upload `accepted`, or refused with an error code.
    pub fn upload(&self, result: &str) {
        if !self.enabled() {
            return;
        }
        self.inner
            .uploads
            .get_or_create(&[("result", result.to_owned())])
            .inc();
    }

    /// A change written to the audit trail.
    pub fn change(&self, action: &str) {
        if !self.enabled() {
            return;
        }
        self.inner
            .changes
            .get_or_create(&[("action", action.to_owned())])
            .inc();
    }

    /// A backtest started (`1`) or ended (`-1`) on this host.
    pub fn backtests_running(&self, by: i64) {
        if !self.enabled() {
            return;
        }
        self.inner.backtests_running.inc_by(by);
    }

    pub fn backtest_decisions(&self, decisions: u64) {
        if !self.enabled() {
            return;
        }
        self.inner.backtest_decisions.inc_by(decisions);
    }

    pub fn http_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        if !self.enabled() {
            return;
        }
        self.inner
            .http_requests
            .get_or_create(&[
                ("route", route.to_owned()),
                ("method", method.to_owned()),
                ("status", status.to_string()),
            ])
            .inc();
        self.inner
            .http_seconds
            .get_or_create(&[("route", route.to_owned())])
            .observe(took.as_secs_f64());
    }
}

/// One decision's stage times as they pass: each goes to the stage histogram, and the
/// whole account to one `debug` event in the request's span, so the log of one request
/// (by its request id) says where its time went (`RUST_LOG=arbiter::metrics=debug`).
#[derive(Debug)]
pub struct StageTimes<'a> {
    metrics: &'a Metrics,
    lap: Instant,
    took: [Option<Duration>; Stage::ALL.len()],
}

impl StageTimes<'_> {
    /// `stage` took the time since the last lap (or the start); a new lap begins.
    pub fn lap(&mut self, stage: Stage) {
        let now = Instant::now();
        self.add(stage, now.duration_since(self.lap));
        self.lap = now;
    }

    /// `stage` took `took`, measured elsewhere (on the blocking pool, say).
    pub fn add(&mut self, stage: Stage, took: Duration) {
        self.metrics.stage(stage, took);
        if let Some(slot) = self.took.get_mut(stage as usize) {
            *slot = Some(took);
        }
    }

    /// Starts a new lap now, without counting the time since the last one.
    pub fn restart(&mut self) {
        self.lap = Instant::now();
    }

    /// Logs the stages of decision `decision_id` (microseconds; absent stages 0).
    pub fn log(&self, decision_id: &str) {
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let micros = |stage: Stage| {
            self.took
                .get(stage as usize)
                .copied()
                .flatten()
                .map_or(0, |took| {
                    u64::try_from(took.as_micros()).unwrap_or(u64::MAX)
                })
        };
        tracing::debug!(
            decision_id,
            parse_us = micros(Stage::Parse),
            history_us = micros(Stage::History),
            config_us = micros(Stage::Config),
            fraud_us = micros(Stage::Fraud),
            policy_us = micros(Stage::Policy),
            envelope_us = micros(Stage::Envelope),
            commit_us = micros(Stage::Commit),
            "decision stages"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_their_labels() {
        let metrics = Metrics::new(&CommitMetrics::default());
        metrics.decision("refund", "none", Duration::from_millis(2));
        metrics.decision("refund", "none", Duration::from_millis(3));
        metrics.upload("accepted");
        let text = metrics.render(false, ResidentUsage::default());
        assert!(
            text.contains(r#"arbiter_decisions_total{outcome="refund",risk="none"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"arbiter_module_uploads_total{result="accepted"} 1"#));
        assert!(text.contains("arbiter_decision_seconds_count 2"));
        assert!(text.contains("arbiter_storage_failing 0"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn each_stage_timed_lands_in_its_histogram_once() {
        let metrics = Metrics::new(&CommitMetrics::default());
        let mut stages = metrics.stages();
        stages.lap(Stage::Parse);
        stages.add(Stage::Policy, Duration::from_millis(1));
        stages.restart();
        stages.lap(Stage::Commit);
        stages.log("d-1");
        let text = metrics.render(false, ResidentUsage::default());
        for (stage, count) in [("parse", 1), ("policy", 1), ("commit", 1)] {
            let line =
                format!(r#"arbiter_decision_stage_seconds_count{{stage="{stage}"}} {count}"#);
            assert!(text.contains(&line), "{line}\n{text}");
        }
        assert!(!text.contains(r#"stage="history""#), "{text}");
    }
}
