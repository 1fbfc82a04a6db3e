//! What the engines' answers are compared as (`bench/rules/README.md`): outcome, the
//! one action and its amount, and the rules that fired.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub outcome: String,
    pub action: String,
    pub amount: i64,
    pub rules: Vec<String>,
}

impl Verdict {
    /// The verdict of a WIT `decision` as JSON (the host's or the SDK's type, which
    /// serialise alike): variant names as Rust writes them.
    pub fn from_decision(decision: &Value) -> anyhow::Result<Self> {
        let outcome = snake(decision["outcome"].as_str().unwrap_or_default());
        let action = decision["actions"]
            .as_array()
            .and_then(|actions| actions.first())
            .and_then(Value::as_object)
            .and_then(|action| action.iter().next())
            .ok_or_else(|| anyhow::anyhow!("a decision with no action: {decision}"))?;
        let amount = action.1["amount"].as_i64().unwrap_or(0);
        let rules = decision["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|reason| reason["rule"].as_str().map(str::to_owned))
            .collect();
        Ok(Self {
            outcome,
            action: snake(action.0),
            amount,
            rules,
        })
    }
}

/// `PromoCode` -> `promo_code`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_decision_becomes_its_verdict() {
        let decision = json!({
            "outcome": "Compensate",
            "actions": [{"PromoCode": {"amount": 35000, "currency": "RUB"}}],
            "payer": "Seller", "eta_days": null,
            "reasons": [{"rule": "T1", "text": "..."}]
        });
        assert_eq!(
            Verdict::from_decision(&decision).unwrap(),
            Verdict {
                outcome: "compensate".into(),
                action: "promo_code".into(),
                amount: 35000,
                rules: vec!["T1".into()],
            }
        );
    }
}
