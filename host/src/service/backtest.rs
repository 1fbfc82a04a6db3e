//! Backtests: a candidate (a module, settings, or both) re-decides every recorded
//! decision of a shop in a range, beside what was decided, and the report says what
//! would have changed ([`super::backtest_report`]).
//!
//! Each decision is decided again with its recorded request, history and fraud
//! assessment (see [`super::replay`]): the fraud screen is not run again, its recorded
//! answer stands (decisions recorded before the ledger kept it are screened again with
//! their recorded inputs, which answers the same). The candidate is the shop's policy;
//! a candidate's settings do not reach the screen, so a backtest of a lower `promo_max`
//! shows what the policy does with it, and F7 (which compares with the shop's
//! `promo_max`) keeps its recorded verdict. Today's guardrails apply to both sides, so the only
//! difference is the candidate: the side "before" is the recorded answer when the
//! guardrails are those it was decided under, else the recorded module and settings
//! decided again under today's. With neither module nor settings given, "after" is the
//! recorded module and settings again: a replay audit, whose `changed` must be 0.
//!
//! A backtest runs in the background, a page of decisions at a time, split over the
//! host's backtest threads ([`BacktestWorker`], one per core; backtests queue for
//! them), which read each decision's recorded inputs (JSON) as well as decide it again;
//! the async side only reads the next page from the ledger meanwhile and loads the
//! page's modules. Those threads run only on a core nothing else wants (Linux's `SCHED_IDLE`):
//! a backtest takes the idle cores and steps aside the moment a live decision needs
//! one. Progress is written to the ledger after
//! each page; a backtest running when the server stops is marked failed at the next
//! start (it does not resume).

use std::sync::Arc;

use serde_json::Value;

use super::admin::known_digest;
use super::backtest_report::{BacktestReport, ReportBuilder};
use super::replay::{Recorded, Screening};
use super::settings::{settings_text, validate_settings};
use super::{Service, ServiceError};
use crate::clock::now_ms;
use crate::contract::DecisionResponse;
use crate::contract::FieldError;
use crate::engine::{CompensationModule, FraudModule, ModuleDigest};
use crate::guardrails::Guardrails;
use crate::job_threads::{JobThreads, Scheduling};
use crate::ledger::{
    BacktestRecord, BacktestStatus, DecisionCursor, DecisionScope, StoredDecision,
};

/// Decisions re-decided per page (one job on the worker).
const PAGE: u32 = 500;
/// Parts a page is split into per backtest thread.
const PARTS_PER_THREAD: usize = 4;
/// How often a running backtest's progress is written to the ledger.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// What a backtest is asked to try.
#[derive(Debug, Clone, Default)]
pub struct BacktestSpec {
    /// The candidate module's digest; none: each decision's recorded module.
    pub module: Option<String>,
    /// The candidate settings; none: each decision's recorded settings.
    pub settings: Option<Value>,
    /// The range of decision times, `[from, to)` in Unix milliseconds; none: open.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// The threads per host on which backtests run guest code, one per core, scheduled
/// only when a core is idle. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BacktestWorker {
    threads: JobThreads<()>,
    count: usize,
}

impl BacktestWorker {
    pub(super) fn start() -> Result<Self, ServiceError> {
        let count = std::thread::available_parallelism().map_or(1, usize::from);
        let threads =
            JobThreads::start_scheduled("backtest", vec![(); count], None, Scheduling::WhenIdle)
                .map_err(|error| {
                    ServiceError::Worker("starting the backtest threads", Some(error))
                })?;
        Ok(Self { threads, count })
    }

    /// Re-decides `inputs` split over the threads; the answers in the inputs' order.
    async fn redecide(
        &self,
        inputs: Vec<Input>,
        today: Guardrails,
        candidate: &Arc<Candidate>,
    ) -> Result<Vec<Redecided>, ServiceError> {
        // In parts smaller than a thread's share, which the threads take as each is
        // free: a thread kept off its core for a while does not hold the page up.
        let share = inputs.len().div_ceil(self.count * PARTS_PER_THREAD).max(1);
        let mut inputs = inputs.into_iter();
        let mut running = Vec::with_capacity(self.count);
        loop {
            let part: Vec<Input> = inputs.by_ref().take(share).collect();
            if part.is_empty() {
                break;
            }
            let (threads, candidate) = (self.threads.clone(), Arc::clone(candidate));
            running.push(tokio::spawn(async move {
                threads
                    .run("backtest", move |()| redecide_page(part, today, &candidate))
                    .await
            }));
        }
        let mut decided = Vec::new();
        for part in running {
            let part = part
                .await
                .map_err(|error| ServiceError::Blocking("backtesting", error))?
                .map_err(|_| ServiceError::Worker("the backtest threads have stopped", None))??;
            decided.extend(part);
        }
        Ok(decided)
    }
}

/// The candidate a backtest tries: a module (none: each decision's recorded one) and
/// settings (none: each decision's recorded ones).
type Candidate = (Option<CompensationModule>, Option<String>);

/// One page's decision, ready for the worker.
enum Input {
    /// Its module failed when it was decided: not re-decided.
    ModuleFailed,
    Stored {
        stored: Box<StoredDecision>,
        /// The modules it was decided with.
        compensation: CompensationModule,
        fraud: FraudModule,
        /// Whether the candidate's settings replace the recorded ones.
        takes_settings: bool,
    },
}

/// A decision before and after; none for one not re-decided.
type Redecided = Option<(DecisionResponse, DecisionResponse)>;

impl Service {
    /// Checks `spec` for `shop_id` and starts it in the background: the candidate
    /// module must be one the shop may use, the candidate settings pass the candidate's
    /// (else the shop's active module's) `validate-settings`.
    pub async fn start_backtest(
        &self,
        shop_id: &str,
        spec: BacktestSpec,
        by: &str,
    ) -> Result<BacktestRecord, ServiceError> {
        let module = match &spec.module {
            Some(text) => {
                let digest = known_digest(text)?;
                if self.ledger.module(&digest, Some(shop_id)).await?.is_none()
                    && self.registry.standard().digest() != &digest
                {
                    return Err(ServiceError::NotFound(format!("module `{digest}`")));
                }
                Some(digest)
            }
            None => None,
        };
        let settings = spec.settings.as_ref().map(settings_text).transpose()?;
        if let Some(text) = &settings {
            let checker = match &module {
                Some(digest) => self.compensation_by_digest(digest).await?,
                None => {
                    let rollout = self.shop_rollout(shop_id).await?;
                    self.compensation_module(rollout.active.module_digest.as_ref())
                        .await?
                }
            };
            validate_settings(checker, text.clone()).await?;
        }
        let range = (
            spec.from_ms.unwrap_or(i64::MIN),
            spec.to_ms.unwrap_or(i64::MAX),
        );
        if range.0 >= range.1 {
            return Err(FieldError::new("to", "`to` must be later than `from`").into());
        }
        let total = self
            .ledger
            .count_scope_decisions(DecisionScope::of_backtest(shop_id), range)
            .await?;
        let record = BacktestRecord {
            backtest_id: format!("b-{}", ulid::Ulid::new()),
            shop_id: shop_id.to_owned(),
            module_digest: module.as_ref().map(ToString::to_string),
            settings_json: settings.clone(),
            from_ms: range.0,
            to_ms: range.1,
            status: BacktestStatus::Running,
            done: 0,
            total,
            report_json: None,
            error: None,
            created_by: by.to_owned(),
            created_at_ms: now_ms(),
            finished_at_ms: None,
        };
        self.ledger.insert_backtest(&record).await?;
        let (service, running) = (self.clone(), record.clone());
        tokio::spawn(async move { service.run_backtest(running, module, settings).await });
        Ok(record)
    }

    /// A backtest, if `shop_id` (none: any shop) holds it.
    pub async fn backtest(
        &self,
        backtest_id: &str,
        shop_id: Option<&str>,
    ) -> Result<BacktestRecord, ServiceError> {
        self.ledger
            .backtest(backtest_id)
            .await?
            .filter(|record| shop_id.is_none_or(|shop| shop == record.shop_id))
            .ok_or_else(|| ServiceError::NotFound(format!("backtest `{backtest_id}`")))
    }

    /// A shop's backtests, newest first.
    pub async fn shop_backtests(&self, shop_id: &str) -> Result<Vec<BacktestRecord>, ServiceError> {
        Ok(self.ledger.shop_backtests(shop_id, 100).await?)
    }

    /// Runs a started backtest to its end and records the outcome.
    async fn run_backtest(
        &self,
        record: BacktestRecord,
        module: Option<ModuleDigest>,
        settings: Option<String>,
    ) {
        let id = &record.backtest_id;
        self.metrics.backtests_running(1);
        let outcome = self.backtest_decisions(&record, module, settings).await;
        self.metrics.backtests_running(-1);
        let at = now_ms();
        let finished = match outcome.and_then(|(done, report)| {
            serde_json::to_string(&report)
                .map(|text| (done, text))
                .map_err(ServiceError::Encode)
        }) {
            Ok((done, report)) => {
                self.ledger
                    .finish_backtest(id, Ok((done, &report)), at)
                    .await
            }
            Err(error) => {
                tracing::warn!(backtest_id = %id, %error, "backtest failed");
                let reason = error.to_string();
                self.ledger.finish_backtest(id, Err(&reason), at).await
            }
        };
        if let Err(error) = finished {
            tracing::error!(backtest_id = %id, %error, "could not record a backtest's end");
        }
    }

    /// Re-decides every decision of `record`'s range; how many, and the report.
    async fn backtest_decisions(
        &self,
        record: &BacktestRecord,
        module: Option<ModuleDigest>,
        settings: Option<String>,
    ) -> Result<(u64, BacktestReport), ServiceError> {
        let today = self.ledger.guardrails().await?;
        let candidate = match &module {
            Some(digest) => Some(self.compensation_by_digest(digest).await?),
            None => None,
        };
        let candidate = Arc::new((candidate, settings));
        let mut report = ReportBuilder::default();
        let (mut done, mut noted_at) = (0, std::time::Instant::now());
        // While the worker re-decides one page, the next is read and parsed here.
        let mut next = self.backtest_page(record, None).await?;
        while let Some((inputs, cursor, read)) = next {
            let decide = self.backtest_worker.redecide(inputs, today, &candidate);
            let (decided, following) =
                tokio::join!(decide, self.backtest_page(record, Some(&cursor)));
            for pair in decided? {
                match pair {
                    Some((before, after)) => report.add(&before, &after),
                    None => report.not_replayed(),
                }
            }
            done += read;
            self.metrics.backtest_decisions(read);
            next = following?;
            if noted_at.elapsed() >= PROGRESS_EVERY {
                self.ledger
                    .backtest_progress(&record.backtest_id, done)
                    .await?;
                noted_at = std::time::Instant::now();
            }
        }
        Ok((done, report.finish()))
    }

    /// The page of `record`'s decisions after `after`, read back with modules loaded,
    /// where the next starts, and how many it holds; none past the last.
    async fn backtest_page(
        &self,
        record: &BacktestRecord,
        after: Option<&DecisionCursor>,
    ) -> Result<Option<(Vec<Input>, DecisionCursor, u64)>, ServiceError> {
        let page = self
            .ledger
            .scope_decisions(record.scope(), (record.from_ms, record.to_ms), after, PAGE)
            .await?;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        let cursor = DecisionCursor::from(last);
        let read = u64::try_from(page.len()).unwrap_or(u64::MAX);
        let inputs = self.page_inputs(page, record.scope()).await?;
        Ok(Some((inputs, cursor, read)))
    }

    /// A page of decisions with their modules loaded. A page is most often decided by
    /// one module and one screen, so each pair is looked up in the registry once a page
    /// (its digests parsed, its resident set touched): done once a decision, on this
    /// async side that runs at normal priority, those lookups took ~10% of the throughput
    /// from the backtest threads (`bench/src/bin/backtest.rs`, 24-25,000/s against
    /// 27-28,000/s, 2026-12-07).
    async fn page_inputs(
        &self,
        page: Vec<StoredDecision>,
        scope: DecisionScope<'_>,
    ) -> Result<Vec<Input>, ServiceError> {
        let mut inputs = Vec::with_capacity(page.len());
        let mut loaded: Vec<(String, String, CompensationModule, FraudModule)> = Vec::new();
        for stored in page {
            if stored.failure.is_some() {
                inputs.push(Input::ModuleFailed);
                continue;
            }
            let known = loaded.iter().find(|(module, fraud, ..)| {
                *module == stored.module_digest && *fraud == stored.fraud_module_digest
            });
            let (compensation, fraud) = match known {
                Some((_, _, compensation, fraud)) => (compensation.clone(), fraud.clone()),
                None => {
                    let (compensation, fraud) = Recorded::modules(&stored, self).await?;
                    loaded.push((
                        stored.module_digest.clone(),
                        stored.fraud_module_digest.clone(),
                        compensation.clone(),
                        fraud.clone(),
                    ));
                    (compensation, fraud)
                }
            };
            // The platform's candidate settings stand in for the platform's settings
            // only: a shop with settings of its own keeps them under a new module.
            let takes_settings = match scope {
                DecisionScope::Shop(_) => true,
                DecisionScope::PlatformDefault => stored.settings_version == 0,
            };
            inputs.push(Input::Stored {
                stored: Box::new(stored),
                compensation,
                fraud,
                takes_settings,
            });
        }
        Ok(inputs)
    }
}

/// Each decision of a page before (what stands under `today`'s guardrails) and after
/// (the candidate's module and settings, each falling back to the recorded ones).
fn redecide_page(
    inputs: Vec<Input>,
    today: Guardrails,
    candidate: &Candidate,
) -> Result<Vec<Redecided>, ServiceError> {
    let (module, settings) = candidate;
    inputs
        .into_iter()
        .map(|input| match input {
            Input::ModuleFailed => Ok(None),
            Input::Stored {
                stored,
                compensation,
                fraud,
                takes_settings,
            } => {
                let recorded = Recorded::parse(&stored, compensation, fraud)?;
                let after = {
                    let module = module.as_ref().unwrap_or(&recorded.compensation);
                    let settings = settings.as_deref().filter(|_| takes_settings);
                    recorded.decide_with(module, settings, today, Screening::AsRecorded)
                };
                let before = if recorded.guardrails == today {
                    recorded.response
                } else {
                    recorded.decide_with(&recorded.compensation, None, today, Screening::AsRecorded)
                };
                Ok(Some((before, after)))
            }
        })
        .collect()
}
