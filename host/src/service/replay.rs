//! Replay: a recorded decision decided again with exactly what it was decided with (its
//! request, the history the host gave it, its fraud screen and settings, its module and
//! settings, the guardrails of the moment), in a fresh sandbox. A decision is a pure
//! function of those, so the answer must be the recorded one byte for byte; one that is
//! not is a defect, which [`Service::replay_shop`] reports with both texts.
//!
//! A decision whose module failed (a trap, a timeout, a suspension) is not replayed: a
//! timeout is a fact of the moment, not of the inputs, and what answered instead is
//! recorded as such. Those are counted apart.

use serde::Serialize;

use crate::contract::{DecisionRequest, DecisionResponse};
use crate::decide::{Screened, ShopPolicy, decide_screened, screen};
use crate::engine::{CompensationModule, FraudModule, GuestFailureKind, ModuleDigest};
use crate::guardrails::Guardrails;
use crate::history::CustomerHistory;
use crate::ledger::{DecisionCursor, LedgerError, StoredDecision, stored_digest};
use crate::world::types::Assessment;

use super::{Service, ServiceError};

/// What replaying one recorded decision came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// The recorded answer, byte for byte.
    Reproduced,
    /// Another answer: the decision is not a function of what the ledger holds.
    Differs { replayed: String },
    /// The module failed when it was decided (the failure's code): not replayed.
    ModuleFailed(String),
}

/// A replay of every recorded decision of a shop in a range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayAudit {
    /// Decisions read.
    pub decisions: u64,
    /// Decisions whose replay answered the recorded answer byte for byte.
    pub reproduced: u64,
    /// Decisions whose module had failed, not replayed.
    pub module_failed: u64,
    /// The decisions that did not reproduce (at most [`MAX_DIFFERING_KEPT`]).
    pub differing: Vec<DifferingDecision>,
}

/// A decision whose replay answered something else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DifferingDecision {
    pub decision_id: String,
    pub recorded: String,
    pub replayed: String,
}

/// Differing decisions an audit keeps in full.
pub const MAX_DIFFERING_KEPT: usize = 100;

/// Decisions read from the ledger at a time.
const PAGE: u32 = 500;

impl Service {
    /// Decides `stored` again with what it was decided with.
    pub async fn replay(&self, stored: &StoredDecision) -> Result<Replay, ServiceError> {
        if let Some(failure) = &stored.failure {
            return Ok(Replay::ModuleFailed(failure.clone()));
        }
        let recorded = Recorded::read(stored, self).await?;
        let replayed = tokio::task::spawn_blocking(move || {
            let guardrails = recorded.guardrails;
            let replayed =
                recorded.decide_with(&recorded.compensation, None, guardrails, Screening::Again);
            serde_json::to_string(&replayed)
        })
        .await
        .map_err(|error| ServiceError::Blocking("replaying", error))?
        .map_err(ServiceError::Encode)?;
        Ok(if replayed == stored.response_json {
            Replay::Reproduced
        } else {
            Replay::Differs { replayed }
        })
    }

    /// Replays every decision `shop_id` made in `[from_ms, to_ms)`.
    pub async fn replay_shop(
        &self,
        shop_id: &str,
        range: (i64, i64),
    ) -> Result<ReplayAudit, ServiceError> {
        let mut audit = ReplayAudit::default();
        let mut after: Option<DecisionCursor> = None;
        loop {
            let page = self
                .ledger
                .shop_decisions(shop_id, range, after.as_ref(), PAGE)
                .await?;
            let Some(last) = page.last() else {
                return Ok(audit);
            };
            after = Some(DecisionCursor::from(last));
            for stored in &page {
                audit.decisions += 1;
                match self.replay(stored).await? {
                    Replay::Reproduced => audit.reproduced += 1,
                    Replay::ModuleFailed(_) => audit.module_failed += 1,
                    Replay::Differs { replayed } => {
                        if audit.differing.len() < MAX_DIFFERING_KEPT {
                            audit.differing.push(DifferingDecision {
                                decision_id: stored.decision_id.clone(),
                                recorded: stored.response_json.clone(),
                                replayed,
                            });
                        }
                    }
                }
            }
        }
    }

    /// A compensation module by digest, the built-in standard policy included.
    pub(super) async fn compensation_by_digest(
        &self,
        digest: &ModuleDigest,
    ) -> Result<CompensationModule, ServiceError> {
        let standard = self.registry.standard();
        if standard.digest() == digest {
            return Ok(standard.clone());
        }
        Ok(self.registry.compensation(digest).await?)
    }

    /// A fraud screen by digest, the built-in one included.
    async fn fraud_by_digest(&self, digest: &ModuleDigest) -> Result<FraudModule, ServiceError> {
        let builtin = self.registry.builtin_fraud();
        if builtin.digest() == digest {
            return Ok(builtin.clone());
        }
        Ok(self.registry.fraud(digest).await?)
    }
}

/// A recorded decision's inputs, read back, with its modules loaded: what deciding it
/// again needs, owned, so it can go to a thread that runs guest code.
#[derive(Debug, Clone)]
pub(super) struct Recorded {
    request: DecisionRequest,
    history: CustomerHistory,
    /// The guardrails of the moment it was decided.
    pub(super) guardrails: Guardrails,
    /// What was answered.
    pub(super) response: DecisionResponse,
    pub(super) compensation: CompensationModule,
    fraud: FraudModule,
    fraud_settings: String,
    settings: String,
    /// What the fraud screen answered, if the ledger recorded it.
    assessment: Option<Assessment>,
}

/// Whether deciding a recorded decision again runs the fraud screen again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Screening {
    /// Run it again, with the recorded inputs: a replay, which proves the screen's
    /// answer is a function of them too.
    Again,
    /// Take its recorded answer (a backtest: the candidate is the shop's policy, not
    /// the screen). A decision recorded without one is screened again with its
    /// recorded inputs, the candidate's settings aside, which answers the same.
    AsRecorded,
}

impl Recorded {
    /// Reads `stored` (whose module did not fail) and loads its modules through
    /// `service`'s registry.
    pub(super) async fn read(
        stored: &StoredDecision,
        service: &Service,
    ) -> Result<Self, ServiceError> {
        let (compensation, fraud) = Self::modules(stored, service).await?;
        Self::parse(stored, compensation, fraud)
    }

    /// The modules `stored` was decided with, loaded through `service`'s registry.
    pub(super) async fn modules(
        stored: &StoredDecision,
        service: &Service,
    ) -> Result<(CompensationModule, FraudModule), ServiceError> {
        let compensation = service
            .compensation_by_digest(&stored_digest(&stored.module_digest)?)
            .await?;
        let fraud = service
            .fraud_by_digest(&stored_digest(&stored.fraud_module_digest)?)
            .await?;
        Ok((compensation, fraud))
    }

    /// Reads `stored`'s inputs, given the modules it was decided with: no await, so a
    /// backtest does it on its own threads.
    pub(super) fn parse(
        stored: &StoredDecision,
        compensation: CompensationModule,
        fraud: FraudModule,
    ) -> Result<Self, ServiceError> {
        // The ledger wrote the request it had parsed and checked (`DecisionRow`), in its
        // own serialization: read back as it is, not checked again as a caller's body.
        let request: DecisionRequest = serde_json::from_str(&stored.request_json)
            .map_err(|error| corrupt(stored, "request", error))?;
        let history = serde_json::from_str(&stored.history_json)
            .map_err(|error| corrupt(stored, "history", error))?;
        let guardrails = serde_json::from_str(&stored.guardrails_json)
            .map_err(|error| corrupt(stored, "guardrails", error))?;
        let response = serde_json::from_str(&stored.response_json)
            .map_err(|error| corrupt(stored, "response", error))?;
        let assessment = stored
            .assessment_json
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|error| corrupt(stored, "fraud assessment", error))?;
        Ok(Self {
            request,
            history,
            guardrails,
            response,
            compensation,
            fraud,
            fraud_settings: stored.fraud_settings_json.clone(),
            settings: stored.settings_json.clone(),
            assessment,
        })
    }

    /// The answer `compensation` gives with `settings` (none: the recorded ones) and
    /// `guardrails`, the rest as recorded (request, history, mode, the decision's id and
    /// settings version), the fraud screen run again or taken as recorded
    /// (`screening`): guest code, so off the async workers.
    pub(super) fn decide_with(
        &self,
        compensation: &CompensationModule,
        settings: Option<&str>,
        guardrails: Guardrails,
        screening: Screening,
    ) -> DecisionResponse {
        let policy = ShopPolicy {
            fraud: &self.fraud,
            fraud_settings: &self.fraud_settings,
            compensation,
            settings: settings.unwrap_or(&self.settings),
            settings_version: self.response.policy.settings_version,
            mode: self.response.policy.mode,
            guardrails,
            fallback: None,
            suspended: None,
        };
        // A deadline is wall-clock time, not an input: a replay's thread may be kept off
        // its core (backtests run only on idle cores), so a call that ran out of time is
        // tried again before its timeout is taken as the answer.
        let timed_out = GuestFailureKind::GuestTimeout.code();
        let mut attempts = 1;
        loop {
            let screened = match (&self.assessment, screening) {
                (Some(assessment), Screening::AsRecorded) => {
                    Screened::recorded(&self.request, &self.history, assessment.clone())
                }
                // The screen sees the shop's settings: the recorded ones, as it did.
                _ => screen(
                    &self.fraud,
                    &self.fraud_settings,
                    &self.settings,
                    &self.request,
                    &self.history,
                ),
            };
            let decision_id = self.response.decision_id.clone();
            let response = decide_screened(policy, &screened, &self.request, decision_id).response;
            if response.failure.as_deref() != Some(timed_out) || attempts == TIMEOUT_ATTEMPTS {
                return response;
            }
            attempts += 1;
        }
    }
}

/// How many times a replayed decision is tried while it runs out of time.
const TIMEOUT_ATTEMPTS: u32 = 3;

fn corrupt(stored: &StoredDecision, what: &str, error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Ledger(LedgerError::Corrupt(format!(
        "decision {}: its recorded {what} is not readable: {error}",
        stored.decision_id
    )))
}
