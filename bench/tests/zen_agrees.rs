//! The GoRules graph (`rules/core.jdm.json` on zen-engine) gives the native build's
//! verdict on every claim of a small corpus, and on histories the corpus never makes.

use arbiter_bench::corpus::{self, SEED};
use arbiter_bench::engines::Native;
use arbiter_bench::zen::Zen;

#[test]
fn zen_agrees_with_native_on_every_claim() -> anyhow::Result<()> {
    let corpus = corpus::generate(SEED, 1_000);
    let native = Native::new(&corpus)?;
    let mut zen = Zen::new()?;
    let mut seen = std::collections::BTreeSet::new();
    for (index, case) in corpus.iter().enumerate() {
        let expected = Native::verdict(
            &native
                .decide(index)
                .map_err(|error| anyhow::anyhow!("{error:?}"))?,
        )?;
        let verdict = zen.decide(&case.input)?;
        assert_eq!(verdict, expected, "case {index}: {}", case.input);
        seen.extend(expected.rules.iter().cloned());
    }
    for rule in [
        "F4", "F5", "F6", "F7", "R9", "R9.cap", "FC", "T1", "T2", "T3",
    ] {
        assert!(seen.contains(rule), "no claim fired {rule}: {seen:?}");
    }
    Ok(())
}

/// Repeated claim ids count once for F5 (three times `a` and `b`: 2 + 1 < 4, where
/// counting every entry would fire F5), and a claim dated after `now` never counts.
#[test]
fn zen_counts_distinct_ids_and_skips_future_claims() -> anyhow::Result<()> {
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
    let native = Native::new(&corpus)?;
    let mut zen = Zen::new()?;
    for (index, case) in corpus.iter().enumerate() {
        let expected = Native::verdict(
            &native
                .decide(index)
                .map_err(|error| anyhow::anyhow!("{error:?}"))?,
        )?;
        assert!(!expected.rules.contains(&"F5".to_owned()), "case {index}");
        assert_eq!(
            zen.decide(&case.input)?,
            expected,
            "case {index}: {}",
            case.input
        );
    }
    Ok(())
}
