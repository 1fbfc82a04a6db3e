//! The engines that run the core rules, each behind one call per case, so the timing
//! loop and the agreement check treat them alike.

use arbiter::engine::{CompensationModule, Engine, Limits, WarmPolicy};
use arbiter::world::types as w;
use arbiter_bench_core::CorePolicy;

use crate::corpus::{Case, settings};
use crate::verdict::Verdict;

/// The core rules compiled natively: the floor. Claims are converted to the SDK's
/// types once, before timing (the same WIT records, moved over as JSON).
#[derive(Debug)]
pub struct Native {
    cases: Vec<(arbiter_sdk::Claim, arbiter_sdk::History)>,
    settings: String,
}

impl Native {
    pub fn new(corpus: &[Case]) -> anyhow::Result<Self> {
        let cases = corpus
            .iter()
            .map(|case| {
                Ok((
                    serde_json::from_value(case.input["claim"].clone())?,
                    serde_json::from_value(case.input["history"].clone())?,
                ))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            cases,
            settings: settings().to_string(),
        })
    }

    /// Decides case `index`; the answer stays opaque until [`Self::verdict`].
    pub fn decide(&self, index: usize) -> Result<arbiter_sdk::Decision, arbiter_sdk::PolicyError> {
        let (claim, history) = &self.cases[index];
        arbiter_sdk::runtime::decide::<CorePolicy>(claim, history, &self.settings)
    }

    pub fn verdict(decision: &arbiter_sdk::Decision) -> anyhow::Result<Verdict> {
        Verdict::from_decision(&serde_json::to_value(decision)?)
    }
}

/// The core rules as Arbiter runs them: the Wasm component under the engine's limits.
#[derive(Debug)]
pub struct Arbiter {
    module: CompensationModule,
    settings: String,
}

impl Arbiter {
    /// The bench-core component `bytes` on an engine with the default limits.
    pub fn new(bytes: &[u8]) -> anyhow::Result<Self> {
        Self::with_settings(bytes, &settings().to_string())
    }

    /// Another compensation policy with its own settings (the standard policy, for
    /// context).
    pub fn with_settings(bytes: &[u8], settings: &str) -> anyhow::Result<Self> {
        let engine = Engine::new(Limits::default())?;
        Ok(Self {
            module: CompensationModule::load(&engine, bytes)?,
            settings: settings.to_owned(),
        })
    }

    /// One decision in a fresh sandbox, as every real decision runs.
    pub fn decide_fresh(&self, case: &Case) -> anyhow::Result<w::Decision> {
        self.module
            .decide(&case.claim, &case.history, &self.settings)?
            .map_err(|error| anyhow::anyhow!("the policy declined: {error:?}"))
    }

    /// An instance kept for many decisions: a reference only.
    pub fn warm(&self) -> anyhow::Result<WarmArbiter> {
        Ok(WarmArbiter {
            instance: self.module.warm_instance()?,
            settings: self.settings.clone(),
        })
    }

    pub fn verdict(decision: &w::Decision) -> anyhow::Result<Verdict> {
        Verdict::from_decision(&serde_json::to_value(decision)?)
    }
}

/// See [`Arbiter::warm`].
#[derive(Debug)]
pub struct WarmArbiter {
    instance: WarmPolicy,
    settings: String,
}

impl WarmArbiter {
    pub fn decide(&mut self, case: &Case) -> anyhow::Result<w::Decision> {
        self.instance
            .decide(&case.claim, &case.history, &self.settings)?
            .map_err(|error| anyhow::anyhow!("the policy declined: {error:?}"))
    }
}
