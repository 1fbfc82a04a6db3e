//! The core rules as a GoRules decision graph (`rules/core.jdm.json`) on zen-engine, the
//! GoRules engine in Rust.
//!
//! The graph is plain JDM: an input node, one expression node (`facts`: the claim value,
//! the earlier claims within the windows, the soft fraud signals) and one first-hit
//! decision table (`verdict`: the precedence of the rules, the sorry-coupon cap and the
//! tiers), then the output node. No function node, so no JavaScript runs.
//!
//! The graph is parsed and compiled once, in [`Zen::new`] (expressions to bytecode, the
//! table's index). zen's `evaluate` is async although nothing in this graph waits, so a
//! current-thread tokio runtime is kept and blocked on. Each [`Zen::decide`] converts the
//! JSON document to zen's `Variable` (the peer of lowering arguments into Wasm, so it is
//! inside the timed call), evaluates, and reads the result back as a [`Verdict`].

use std::sync::Arc;

use anyhow::Context as _;
use serde_json::Value;
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, DecisionEngine, Variable};

use crate::verdict::Verdict;

/// The JDM graph, as shipped beside the Rego version.
pub const CORE_JDM: &str = include_str!("../rules/core.jdm.json");

/// The core rules on zen-engine: one compiled decision and a runtime to drive it.
pub struct Zen {
    decision: Decision,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Zen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zen").finish_non_exhaustive()
    }
}

impl Zen {
    /// Parses and compiles the graph once.
    pub fn new() -> anyhow::Result<Self> {
        let content: DecisionContent =
            serde_json::from_str(CORE_JDM).context("rules/core.jdm.json is not a JDM graph")?;
        let mut decision = DecisionEngine::default().create_decision(Arc::new(content))?;
        decision.compile();
        decision
            .validate()
            .map_err(|error| anyhow::anyhow!("rules/core.jdm.json: {error}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread().build()?;
        Ok(Self { decision, runtime })
    }

    /// Decides one `{"claim", "history", "settings"}` document (`rules/README.md`).
    pub fn decide(&mut self, input: &Value) -> anyhow::Result<Verdict> {
        let context = Variable::from(input);
        let response = self
            .runtime
            .block_on(self.decision.evaluate(context))
            .map_err(|error| anyhow::anyhow!("zen-engine: {error}"))?;
        Ok(serde_json::from_value(Value::from(response.result))?)
    }
}
