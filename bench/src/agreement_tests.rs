//! Every engine of the benchmark gives the same verdict on every claim of a small corpus
//! (the benchmark itself checks its full corpus before timing), and the corpus reaches
//! every rule of the core, so the agreement covers all of it.
//!
//! These are the library's unit tests rather than `tests/` files: an integration test
//! makes `cargo test` link every benchmark binary too, each with wasmtime and zen-engine.

use std::collections::BTreeSet;

use crate::corpus::{self, Case, SEED};
use crate::engines::{Arbiter, Native};
use crate::rego::Rego;
use crate::verdict::Verdict;
use crate::zen::Zen;

/// The rules the corpus must fire at least once.
const CORE_RULES: [&str; 10] = [
    "F4", "F5", "F6", "F7", "R9", "R9.cap", "FC", "T1", "T2", "T3",
];

/// The native build's verdict on every case of `corpus`.
fn native_verdicts(corpus: &[Case]) -> anyhow::Result<Vec<Verdict>> {
    let native = Native::new(corpus)?;
    (0..corpus.len())
        .map(|index| {
            let decision = native
                .decide(index)
                .map_err(|error| anyhow::anyhow!("{error:?}"))?;
            Native::verdict(&decision)
        })
        .collect()
}

fn assert_every_core_rule_fired(verdicts: &[Verdict]) {
    let seen: BTreeSet<&str> = verdicts
        .iter()
        .flat_map(|verdict| verdict.rules.iter().map(String::as_str))
        .collect();
    for rule in CORE_RULES {
        assert!(seen.contains(rule), "no claim fired {rule}: {seen:?}");
    }
}

#[test]
fn native_and_arbiter_fresh_and_warm_agree_on_every_claim() -> anyhow::Result<()> {
    let corpus = corpus::generate(SEED, 1_000);
    let expected = native_verdicts(&corpus)?;
    let arbiter = Arbiter::new(&std::fs::read(arbiter_artifacts::BENCH_CORE_POLICY_PATH)?)?;
    let mut warm = arbiter.warm()?;
    for (index, (case, expected)) in corpus.iter().zip(&expected).enumerate() {
        let fresh = Arbiter::verdict(&arbiter.decide_fresh(case)?)?;
        let kept = Arbiter::verdict(&warm.decide(case)?)?;
        assert_eq!(&fresh, expected, "case {index}: {}", case.input);
        assert_eq!(&kept, expected, "case {index}");
    }
    assert_every_core_rule_fired(&expected);
    Ok(())
}

/// A peer (`decide`: the claim's JSON document to a verdict) agrees with native on
/// every claim of the small corpus, which fires every core rule.
fn assert_peer_agrees(
    mut decide: impl FnMut(&serde_json::Value) -> anyhow::Result<Verdict>,
) -> anyhow::Result<()> {
    let corpus = corpus::generate(SEED, 1_000);
    let expected = native_verdicts(&corpus)?;
    for (index, (case, expected)) in corpus.iter().zip(&expected).enumerate() {
        assert_eq!(
            &decide(&case.input)?,
            expected,
            "case {index}: {}",
            case.input
        );
    }
    assert_every_core_rule_fired(&expected);
    Ok(())
}

#[test]
fn rego_agrees_with_native_on_every_claim() -> anyhow::Result<()> {
    let mut rego = Rego::new()?;
    assert_peer_agrees(|input| rego.decide(input))
}

#[test]
fn zen_agrees_with_native_on_every_claim() -> anyhow::Result<()> {
    let mut zen = Zen::new()?;
    assert_peer_agrees(|input| zen.decide(input))
}

/// Repeated claim ids count once for F5 (three times `a` and `b`: 2 + 1 < 4, where
/// counting every entry would fire F5), and a claim dated after `now` never counts:
/// histories the corpus never makes, for both peers.
#[test]
fn peers_count_distinct_ids_and_skip_future_claims() -> anyhow::Result<()> {
    const DAY: i64 = 86_400_000;
    let mut corpus = corpus::generate(SEED, 200);
    for case in &mut corpus {
        let now = case.input["claim"]["now"].as_i64().unwrap_or_default();
        let past = |id: &str, age_days: i64, coupon: bool| {
            serde_json::json!({
                "claim_id": id, "kind": "Damaged", "opened_at": now - age_days * DAY,
                "outcome": "Compensate", "money_given": {"amount": 10_000, "currency": "RUB"},
                "sorry_coupon_given": coupon, "same_shop": true
            })
        };
        case.input["history"]["earlier_claims"] = serde_json::json!([
            past("a", 1, true),
            past("a", 5, false),
            past("a", 20, false),
            past("b", 30, true),
            past("future", -1, true),
        ]);
    }
    let expected = native_verdicts(&corpus)?;
    let mut zen = Zen::new()?;
    let mut rego = Rego::new()?;
    for (index, (case, expected)) in corpus.iter().zip(&expected).enumerate() {
        assert!(
            !expected.rules.iter().any(|rule| rule == "F5"),
            "case {index}"
        );
        assert_eq!(
            &zen.decide(&case.input)?,
            expected,
            "zen, case {index}: {}",
            case.input
        );
        assert_eq!(
            &rego.decide(&case.input)?,
            expected,
            "rego, case {index}: {}",
            case.input
        );
    }
    Ok(())
}
