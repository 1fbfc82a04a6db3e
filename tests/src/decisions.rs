//! Reading decisions in the contract's JSON shape.

use serde_json::Value;

/// The rule ids of a decision's reasons, in order.
pub fn rules(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|reason| reason["rule"].as_str().map(str::to_owned))
        .collect()
}
