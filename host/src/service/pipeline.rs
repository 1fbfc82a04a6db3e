//! The decision pipeline: a request body in, an answer out, recorded.
//!
//! request -> validated contract type -> idempotent replay, or: history from the ledger
//! -> one resolved policy (modules, versions, settings, guardrails, fallback) -> fraud
//! screen -> the serving version -> envelope -> ledger -> response; then the shadow
//! version, if any, decides the same screened claim and is recorded beside it.

use std::sync::Arc;
use std::time::Instant;

use crate::clock::now_ms;
use crate::contract::{DecisionRequest, PolicyMode, parse_request};
use crate::decide::{Decided, Fallback, Screened, ShopPolicy, decide_screened, screen};
use crate::engine::{CompensationModule, FraudModule, ModuleDigest};
use crate::guardrails::Guardrails;
use crate::history::CustomerHistory;
use crate::ledger::{
    BeforeDecision, ConfigEpoch, DecisionRecord, FailurePolicy, PolicyVersion, Recorded, Rollout,
    RolloutTag, ShadowRecord,
};
use crate::metrics::Stage;
use crate::progressive::{ProgressivePlan, Side};

use super::idempotency::{Reply, key_for, replay, request_hash};
use super::rollout::in_canary;
use super::{PlatformPolicy, Service, ServiceError};

/// A version of the shop's policy with its module loaded.
#[derive(Debug, Clone)]
struct LoadedVersion {
    module: CompensationModule,
    version: PolicyVersion,
}

/// What answers when the shop's module fails: the platform's default and its settings.
#[derive(Debug, Clone)]
struct FallbackPolicy {
    module: CompensationModule,
    settings: String,
}

/// Everything a decision runs with, resolved once at its start, so that it never mixes
/// versions: read under one config epoch, owned, and carried to the end.
#[derive(Debug, Clone)]
struct Resolved {
    fraud: FraudModule,
    fraud_settings: String,
    /// The version that answers, and as what (active, or the canary).
    serving: LoadedVersion,
    mode: PolicyMode,
    /// A shadow candidate, which decides beside the serving version, only recorded.
    shadow: Option<LoadedVersion>,
    guardrails: Guardrails,
    /// Set when the shop falls back to the platform's default on a module failure.
    fallback: Option<FallbackPolicy>,
    /// Where the serving version's decision is counted, in a tracked rollout.
    serving_tag: Option<RolloutTag>,
    /// Where the shadow's decision is counted.
    shadow_tag: Option<RolloutTag>,
    /// The progressive rollout to judge once a candidate decision is recorded.
    progress: Option<Progress>,
}

/// A progressive rollout at the step a candidate decision was made in.
#[derive(Debug, Clone)]
pub(super) struct Progress {
    pub(super) shop_id: String,
    pub(super) rollout_id: String,
    pub(super) step: usize,
    pub(super) plan: ProgressivePlan,
    pub(super) candidate_version: u64,
}

impl Resolved {
    /// The policy that `version` decides with, in `mode`; `suspended` says why its
    /// module is not to be called, if it is not.
    fn shop_policy<'a>(
        &'a self,
        version: &'a LoadedVersion,
        mode: PolicyMode,
        suspended: Option<&'a str>,
    ) -> ShopPolicy<'a> {
        // Only the serving version falls back: a shadow's failure is recorded as it is.
        let fallback = match mode {
            PolicyMode::Shadow => None,
            _ => self.fallback.as_ref().map(|fallback| Fallback {
                module: &fallback.module,
                settings: &fallback.settings,
            }),
        };
        ShopPolicy {
            fraud: &self.fraud,
            fraud_settings: &self.fraud_settings,
            compensation: &version.module,
            settings: &version.version.settings_json,
            settings_version: version.version.version,
            mode,
            guardrails: self.guardrails,
            fallback,
            suspended,
        }
    }

    /// The settings a decision was made with: the fallback's when it answered.
    fn settings_used(&self, decided: &Decided) -> &str {
        match (&self.fallback, decided.fell_back) {
            (Some(fallback), true) => &fallback.settings,
            _ => &self.serving.version.settings_json,
        }
    }
}

/// One decision's inputs, owned, so that they can go to the blocking pool and back.
#[derive(Debug)]
struct Claim {
    request: Arc<DecisionRequest>,
    history: CustomerHistory,
    decision_id: String,
}

impl Service {
    /// Decides a request body, or replays the answer already given under its key;
    /// `request_id` (the HTTP request's, if any) is recorded with the decision.
    pub async fn decide(
        &self,
        body: &[u8],
        idempotency_key: Option<&str>,
        request_id: Option<&str>,
    ) -> Result<Reply, ServiceError> {
        let began = Instant::now();
        let mut stages = self.metrics.stages();
        let request = parse_request(body)?;
        let key = key_for(&request, idempotency_key)?;
        let request_hash = request_hash(&request);
        stages.lap(Stage::Parse);

        let request = Arc::new(request);
        let (history, epoch) = match self.ledger.before_decision(&key, &request).await? {
            BeforeDecision::Answered(stored) => {
                return self.replay_counted(
                    &key,
                    &request_hash,
                    stored.request_hash,
                    stored.response_json,
                );
            }
            BeforeDecision::Fresh { history, epoch } => (history, epoch),
        };
        stages.lap(Stage::History);
        let resolved = Arc::new(self.resolve(&request, epoch).await?);
        stages.lap(Stage::Config);
        let claim = Arc::new(Claim {
            request,
            history,
            decision_id: format!("d-{}", ulid::Ulid::new()),
        });

        let started = Instant::now();
        let (decided, screened) = {
            let (run, input) = (Arc::clone(&resolved), Arc::clone(&claim));
            self.run_guarded(
                &claim.request.shop_id,
                resolved.serving.module.digest(),
                move |suspended| {
                    let policy = run.shop_policy(&run.serving, run.mode, suspended);
                    let screening = Instant::now();
                    let screened = screen(
                        &run.fraud,
                        &run.fraud_settings,
                        policy.settings,
                        &input.request,
                        &input.history,
                    );
                    let fraud_time = screening.elapsed();
                    let decided = decide_screened(
                        policy,
                        &screened,
                        &input.request,
                        input.decision_id.clone(),
                    );
                    (decided, (screened, fraud_time))
                },
            )
            .await?
        };
        let (screened, fraud_time) = screened;
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        stages.add(Stage::Fraud, fraud_time);
        stages.add(Stage::Policy, decided.policy_time);
        stages.add(Stage::Envelope, decided.envelope_time);
        stages.restart();

        if let Some(failure) = &decided.failure {
            self.metrics
                .guest_failure(failure.kind.code(), failure.module.as_str());
            tracing::warn!(%failure, claim_id = %claim.request.claim_id, "module failure, fell back");
            self.ledger
                .count_failure(&failure.module, failure.kind.code(), now_ms())
                .await?;
        }
        let response_json =
            serde_json::to_string(&decided.response).map_err(ServiceError::Encode)?;
        let recorded = self
            .ledger
            .record(DecisionRecord {
                idempotency_key: &key,
                request_hash: &request_hash,
                request: &claim.request,
                response: &decided.response,
                response_json: &response_json,
                history: &claim.history,
                guardrails: &resolved.guardrails,
                settings_json: resolved.settings_used(&decided),
                fraud_module_digest: resolved.fraud.digest(),
                fraud_settings_json: &resolved.fraud_settings,
                signals: &decided.signals,
                assessment: screened.assessment(),
                guest_output: decided.guest_output.as_deref(),
                failure_detail: decided
                    .failure
                    .as_ref()
                    .map(|failure| failure.detail.as_str()),
                latency_us,
                decided_at_ms: now_ms(),
                rollout: resolved.serving_tag.as_ref(),
                request_id,
            })
            .await?;
        match recorded {
            Recorded::New => {
                stages.lap(Stage::Commit);
                stages.log(&decided.response.decision_id);
                self.metrics.decision(
                    crate::ledger::label(&decided.response.outcome).as_str(),
                    crate::ledger::label(&decided.response.risk).as_str(),
                    began.elapsed(),
                );
                if let Some(progress) = &resolved.progress {
                    self.judge_rollout(progress).await;
                }
                if resolved.shadow.is_some() {
                    self.run_shadow(resolved, claim, screened).await;
                }
                Ok(Reply {
                    body: response_json,
                    replayed: false,
                })
            }
            // A concurrent twin recorded first: answer what it answered.
            Recorded::Existing(stored) => self.replay_counted(
                &key,
                &request_hash,
                stored.request_hash,
                stored.response_json,
            ),
        }
    }

    /// [`replay`], counted in the metrics as a replay or a conflict.
    fn replay_counted(
        &self,
        key: &str,
        request_hash: &str,
        stored_hash: String,
        stored_response: String,
    ) -> Result<Reply, ServiceError> {
        let replayed = replay(key, request_hash, stored_hash, stored_response);
        self.metrics.idempotency(if replayed.is_ok() {
            "replayed"
        } else {
            "conflict"
        });
        replayed
    }

    /// Everything `request` runs with, read once so the decision never mixes versions.
    async fn resolve(
        &self,
        request: &DecisionRequest,
        epoch: ConfigEpoch,
    ) -> Result<Resolved, ServiceError> {
        // Everything comes from the cache kept under the epoch the decision read (once),
        // so everything below is of one consistent moment or newer.
        // The platform's default is read once, so a swap of it during this decision
        // cannot pair one default's module with another's settings.
        let (default_module, default_settings) = self
            .ledger
            .platform_policy_at(epoch, PlatformPolicy::Compensation.name())
            .await?;
        let default_module = default_module.as_ref();
        let mut rollout = self.ledger.shop_rollout_at(epoch, &request.shop_id).await?;
        if rollout.active.version == 0 {
            rollout.active.settings_json = default_settings.clone();
        }
        let (fraud_module, fraud_settings) = self
            .ledger
            .platform_policy_at(epoch, PlatformPolicy::FraudScreen.name())
            .await?;
        let fraud = match fraud_module {
            Some(digest) => self.registry.fraud(&digest).await?,
            None => self.registry.builtin_fraud().clone(),
        };
        let guardrails = self.ledger.guardrails_at(epoch).await?;
        let load = |version: PolicyVersion| async move {
            let module = self
                .module_or_default(version.module_digest.as_ref(), default_module)
                .await?;
            Ok::<_, ServiceError>(LoadedVersion { module, version })
        };

        let active = load(rollout.active).await?;
        let tag = |step: usize, side: Side| {
            rollout.rollout_id.as_ref().map(|rollout_id| RolloutTag {
                rollout_id: rollout_id.clone(),
                step: u64::try_from(step).unwrap_or(u64::MAX),
                side,
            })
        };
        let (mut serving_tag, mut shadow_tag, mut progress) = (None, None, None);
        let (serving, mode, shadow) = match rollout.candidate {
            Some((candidate, Rollout::Canary { basis_points }))
                if in_canary(&request.claim_id, basis_points) =>
            {
                serving_tag = tag(0, Side::Candidate);
                (load(candidate).await?, PolicyMode::Canary, None)
            }
            Some((candidate, Rollout::Progressive { plan, step }))
                if in_canary(&request.claim_id, plan.basis_points(step)) =>
            {
                serving_tag = tag(step, Side::Candidate);
                progress = rollout.rollout_id.clone().map(|rollout_id| Progress {
                    shop_id: request.shop_id.clone(),
                    rollout_id,
                    step,
                    plan,
                    candidate_version: candidate.version,
                });
                (load(candidate).await?, PolicyMode::Canary, None)
            }
            Some((_, Rollout::Canary { .. })) => {
                serving_tag = tag(0, Side::Active);
                (active, PolicyMode::Active, None)
            }
            Some((_, Rollout::Progressive { step, .. })) => {
                serving_tag = tag(step, Side::Active);
                (active, PolicyMode::Active, None)
            }
            Some((candidate, Rollout::Shadow)) => {
                serving_tag = tag(0, Side::Active);
                shadow_tag = tag(0, Side::Candidate);
                (active, PolicyMode::Active, Some(load(candidate).await?))
            }
            _ => (active, PolicyMode::Active, None),
        };
        let fallback = match self
            .ledger
            .failure_policy_at(epoch, &request.shop_id)
            .await?
        {
            FailurePolicy::FailClosed => None,
            FailurePolicy::FallbackToPlatformDefault => Some(FallbackPolicy {
                module: self.module_or_default(None, default_module).await?,
                settings: default_settings,
            }),
        };
        Ok(Resolved {
            fraud,
            fraud_settings,
            serving,
            mode,
            shadow,
            guardrails,
            fallback,
            serving_tag,
            shadow_tag,
            progress,
        })
    }

    /// Runs `job` (a policy decision) on the blocking pool, since guest code never runs
    /// on the async workers. The one place a shop's module's suspension is checked
    /// before a call and its outcome recorded after.
    async fn run_guarded<T: Send + 'static>(
        &self,
        shop_id: &str,
        module: &ModuleDigest,
        job: impl FnOnce(Option<&str>) -> (Decided, T) + Send + 'static,
    ) -> Result<(Decided, T), ServiceError> {
        let suspended = self.suspensions.check(shop_id, module, Instant::now());
        if suspended.is_some() {
            self.metrics.suspended_call();
        }
        let (decided, extra) = tokio::task::spawn_blocking(move || job(suspended.as_deref()))
            .await
            .map_err(|error| ServiceError::Blocking("deciding", error))?;
        if decided.shop_module_called {
            let failure = decided
                .failure
                .as_ref()
                .filter(|failure| &failure.module == module)
                .map(|failure| failure.kind);
            self.suspensions
                .record(shop_id, module, failure, Instant::now());
        }
        Ok((decided, extra))
    }

    /// Runs the shadow candidate on the claim the serving version just decided (the
    /// same fraud assessment) and records what it decided. Never fails the decision.
    async fn run_shadow(&self, resolved: Arc<Resolved>, claim: Arc<Claim>, screened: Screened) {
        let Some(shadow) = resolved.shadow.clone() else {
            return;
        };
        let digest = shadow.module.digest().clone();
        let settings_version = shadow.version.version;
        let shadow_tag = resolved.shadow_tag.clone();
        let run = {
            let input = Arc::clone(&claim);
            self.run_guarded(&claim.request.shop_id, &digest, move |suspended| {
                let policy = resolved.shop_policy(&shadow, PolicyMode::Shadow, suspended);
                let decided =
                    decide_screened(policy, &screened, &input.request, input.decision_id.clone());
                (decided, ())
            })
            .await
        };
        let recorded = match run {
            Ok((decided, ())) => {
                let response = serde_json::to_string(&decided.response).unwrap_or_default();
                self.ledger
                    .record_shadow(ShadowRecord {
                        decision_id: &claim.decision_id,
                        module_digest: &digest,
                        settings_version,
                        response: &decided.response,
                        response_json: &response,
                        currency: &claim.request.order.currency,
                        rollout: shadow_tag.as_ref(),
                    })
                    .await
            }
            Err(error) => {
                tracing::warn!(%error, decision_id = %claim.decision_id, "shadow run failed");
                Ok(())
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(%error, decision_id = %claim.decision_id, "could not record the shadow decision");
        }
    }
}
