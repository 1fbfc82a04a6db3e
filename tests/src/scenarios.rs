//! The worked scenarios in `shared/scenarios/`, and the check of a decision against a
//! step's `expect` (as the scenarios' README defines it).

use std::collections::BTreeMap;
use std::path::PathBuf;

#[cfg(test)]
use arbiter::contract::Action;
use arbiter::contract::DecisionResponse;
use serde::Deserialize;
use serde_json::Value;

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub note: String,
    pub steps: Vec<Step>,
    /// Settings to set per shop before the first step.
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
}

/// A request and what its decision must show.
#[derive(Debug, Clone, Deserialize)]
pub struct Step {
    pub request: Value,
    #[serde(default)]
    pub expect: Value,
}

/// The folder holding `shared/`: `ARBITER_SHARED_DIR`, or `shared/` beside the repository.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("ARBITER_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// Every scenario, in file-name order. Panics (this is a test helper) when the folder
/// is missing or a file does not parse.
#[allow(clippy::expect_used)]
pub fn load_all() -> Vec<Scenario> {
    let dir = shared_dir().join("scenarios");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no scenarios in {}", dir.display());
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("scenario readable");
            serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        })
        .collect()
}

/// Holds `decision` against `expect`: `outcome`, `payer`, `risk` and `eta_days` equal
/// when present; when `actions` is present, every listed action is there with its listed
/// fields and no money action is there that is not listed.
pub fn check(decision: &DecisionResponse, expect: &Value) -> Result<(), String> {
    let actual = serde_json::to_value(decision).map_err(|error| error.to_string())?;
    let Some(expect) = expect.as_object() else {
        return Ok(());
    };
    for key in ["outcome", "payer", "risk", "eta_days"] {
        if let Some(wanted) = expect.get(key)
            && actual.get(key) != Some(wanted)
        {
            return Err(format!(
                "{key}: expected {wanted}, got {}",
                actual.get(key).unwrap_or(&Value::Null)
            ));
        }
    }
    let Some(listed) = expect.get("actions").and_then(Value::as_array) else {
        return Ok(());
    };
    let actual_actions: Vec<Value> = decision
        .actions
        .iter()
        .filter_map(|action| serde_json::to_value(action).ok())
        .collect();
    for wanted in listed {
        let found = actual_actions
            .iter()
            .any(|action| fields_match(action, wanted));
        if !found {
            return Err(format!(
                "missing action {wanted}; actions were {}",
                Value::Array(actual_actions.clone())
            ));
        }
    }
    for (action, value) in decision.actions.iter().zip(&actual_actions) {
        if action.is_compensation() && !listed.iter().any(|wanted| fields_match(value, wanted)) {
            return Err(format!("unexpected money action {value}"));
        }
    }
    Ok(())
}

fn fields_match(actual: &Value, wanted: &Value) -> bool {
    match wanted.as_object() {
        Some(fields) => fields
            .iter()
            .all(|(key, value)| actual.get(key) == Some(value)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter::contract::{Outcome, PolicyMode, PolicyRef, Risk};
    use serde_json::json;

    fn decision(outcome: Outcome, actions: Vec<Action>) -> DecisionResponse {
        DecisionResponse {
            decision_id: "d".into(),
            claim_id: "c".into(),
            revision: 1,
            outcome,
            actions,
            payer: None,
            eta_days: None,
            risk: Risk::None,
            reasons: Vec::new(),
            policy: PolicyRef {
                module: "sha256:x".into(),
                settings_version: 0,
                mode: PolicyMode::Active,
            },
            fallback_applied: false,
            failure: None,
        }
    }

    fn promo(amount: i64) -> Action {
        Action::PromoCode {
            amount,
            currency: "RUB".into(),
        }
    }

    #[test]
    fn check_holds_outcome_actions_and_extra_money() {
        let decided = decision(Outcome::Compensate, vec![promo(35_000), Action::FollowUp]);
        let ok =
            json!({"outcome": "compensate", "actions": [{"type": "promo_code", "amount": 35000}]});
        assert_eq!(check(&decided, &ok), Ok(()));
        let wrong_outcome = json!({"outcome": "escalate"});
        assert!(check(&decided, &wrong_outcome).is_err());
        let wrong_amount = json!({"actions": [{"type": "promo_code", "amount": 1}]});
        assert!(check(&decided, &wrong_amount).is_err());
        let unlisted_money = json!({"actions": [{"type": "follow_up"}]});
        assert!(check(&decided, &unlisted_money).is_err());
        let wrong_risk = json!({"risk": "hard"});
        assert!(check(&decided, &wrong_risk).is_err());
        assert_eq!(check(&decided, &json!({})), Ok(()));
    }
}
