//! The core rules in Rego (`bench/rules/core.rego`) on regorus, Microsoft's Rust
//! interpreter of OPA's policy language.
//!
//! The policy is parsed and prepared once, in [`Rego::new`]. Each [`Rego::decide`] then
//! does what a caller holding a JSON claim must do per decision, and all of it is what
//! the benchmark times: convert the JSON document into regorus's value, set it as
//! `input`, evaluate `data.arbiter.core.verdict`, and read the result back as a
//! [`Verdict`]. The conversion stays inside the timed call on purpose: Arbiter's timed
//! path likewise includes lowering the claim into the Wasm sandbox.

use anyhow::{Context as _, anyhow, bail};
use serde::Deserialize as _;

use crate::verdict::Verdict;

/// The policy's text, compiled into the benchmark.
pub const POLICY: &str = include_str!("../rules/core.rego");

/// The rule every decision evaluates.
const RULE: &str = "data.arbiter.core.verdict";

/// A regorus engine with the core rules loaded and prepared.
#[derive(Debug)]
pub struct Rego {
    engine: regorus::Engine,
}

impl Rego {
    /// Parses `core.rego` and prepares the engine (the first evaluation analyses the
    /// modules; one is run here so that no timed call pays for it).
    pub fn new() -> anyhow::Result<Self> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("core.rego".into(), POLICY.into())
            .context("parsing bench/rules/core.rego")?;
        let mut rego = Self { engine };
        rego.engine.set_input(regorus::Value::new_object());
        // `verdict` of an empty input is undefined, not an error: this only prepares.
        rego.engine.eval_rule(RULE.into())?;
        Ok(rego)
    }

    /// Decides one claim: `input` is `{"claim", "history", "settings"}` (`Case::input`).
    pub fn decide(&mut self, input: &serde_json::Value) -> anyhow::Result<Verdict> {
        let input = regorus::Value::deserialize(input)?;
        self.engine.set_input(input);
        let verdict = self.engine.eval_rule(RULE.into())?;
        to_verdict(&verdict)
    }
}

/// Reads the rule's object `{"outcome", "action", "amount", "rules"}` as a [`Verdict`].
fn to_verdict(value: &regorus::Value) -> anyhow::Result<Verdict> {
    let object = value
        .as_object()
        .map_err(|_| anyhow!("the verdict is not an object: {value}"))?;
    let (mut outcome, mut action, mut amount, mut rules) = (None, None, None, None);
    for (key, field) in object.iter() {
        match key.as_string()?.as_ref() {
            "outcome" => outcome = Some(field.as_string()?.to_string()),
            "action" => action = Some(field.as_string()?.to_string()),
            "amount" => amount = Some(field.as_i64()?),
            "rules" => {
                rules = Some(
                    field
                        .as_array()?
                        .iter()
                        .map(|rule| Ok(rule.as_string()?.to_string()))
                        .collect::<anyhow::Result<Vec<_>>>()?,
                );
            }
            other => bail!("an unexpected field {other:?} in the verdict {value}"),
        }
    }
    match (outcome, action, amount, rules) {
        (Some(outcome), Some(action), Some(amount), Some(rules)) => Ok(Verdict {
            outcome,
            action,
            amount,
            rules,
        }),
        _ => bail!("an incomplete verdict: {value}"),
    }
}
