//! The core rules in Rego (`bench/rules/core.rego`) on regorus, Microsoft's Rust
//! implementation of OPA's policy language, run on its register VM (the RVM).
//!
//! [`Rego::new`] does everything that is done once: it parses the policy, compiles it
//! for the `verdict` rule and then into RVM bytecode, and loads that into a VM kept for
//! every decision. The RVM is regorus's fastest way to evaluate a rule (on this corpus
//! it took well under half the time of `Engine::eval_rule`, its tree-walking
//! interpreter, and gave the same verdict on every claim).
//!
//! Each [`Rego::decide`] then does what a caller holding a JSON claim must do per
//! decision, and all of it is what the benchmark times: convert the JSON document into
//! regorus's value, set it as `input`, run the program, and read the result back as a
//! [`Verdict`]. The conversion stays inside the timed call on purpose: Arbiter's timed
//! path likewise includes lowering the claim into the Wasm sandbox. It goes straight
//! from `serde_json::Value` (regorus's own `Deserialize`), with no JSON text between.

use anyhow::{Context as _, anyhow, bail};
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::vm::RegoVM;
use serde::Deserialize as _;

use crate::verdict::Verdict;

/// The policy's text, compiled into the benchmark.
pub const POLICY: &str = include_str!("../rules/core.rego");

/// The rule every decision evaluates.
pub const RULE: &str = "data.arbiter.core.verdict";

/// A regorus VM with the core rules compiled and loaded.
#[derive(Debug)]
pub struct Rego {
    vm: RegoVM,
}

impl Rego {
    /// Parses `core.rego` and compiles it to RVM bytecode, once.
    pub fn new() -> anyhow::Result<Self> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("core.rego".into(), POLICY.into())
            .context("parsing bench/rules/core.rego")?;
        let policy = engine.compile_with_entrypoint(&RULE.into())?;
        let program = Compiler::compile_from_policy(&policy, &[RULE])
            .map_err(|error| anyhow!("compiling {RULE} to RVM bytecode: {error}"))?;
        let mut vm = RegoVM::new_with_policy(policy);
        vm.load_program(program);
        Ok(Self { vm })
    }

    /// Decides one claim: `input` is `{"claim", "history", "settings"}` (`Case::input`).
    pub fn decide(&mut self, input: &serde_json::Value) -> anyhow::Result<Verdict> {
        self.vm.set_input(regorus::Value::deserialize(input)?);
        let verdict = self.vm.execute()?;
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
            // An exact integer: Rego's arithmetic on integers stays integral in regorus.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_verdict_object_reads_back() {
        let value = regorus::Value::deserialize(&json!({
            "outcome": "compensate", "action": "promo_code", "amount": 35000, "rules": ["T1"]
        }))
        .unwrap();
        assert_eq!(
            to_verdict(&value).unwrap(),
            Verdict {
                outcome: "compensate".into(),
                action: "promo_code".into(),
                amount: 35000,
                rules: vec!["T1".into()],
            }
        );
        assert!(to_verdict(&regorus::Value::Undefined).is_err());
    }
}
