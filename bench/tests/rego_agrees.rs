//! The Rego version of the core rules (`bench/rules/core.rego` on regorus) gives the
//! native build's verdict on every claim of a small corpus.

use arbiter_bench::corpus::{self, SEED};
use arbiter_bench::engines::Native;
use arbiter_bench::rego::Rego;

#[test]
fn rego_agrees_with_native_on_every_claim() -> anyhow::Result<()> {
    let corpus = corpus::generate(SEED, 1_000);
    let native = Native::new(&corpus)?;
    let mut rego = Rego::new()?;
    let mut seen = std::collections::BTreeSet::new();
    for (index, case) in corpus.iter().enumerate() {
        let expected = Native::verdict(
            &native
                .decide(index)
                .map_err(|error| anyhow::anyhow!("{error:?}"))?,
        )?;
        let verdict = rego.decide(&case.input)?;
        assert_eq!(verdict, expected, "case {index}: {}", case.input);
        seen.extend(verdict.rules);
    }
    // Every rule of the core was exercised, so the agreement covers all of it.
    for rule in [
        "F4", "F5", "F6", "F7", "R9", "R9.cap", "FC", "T1", "T2", "T3",
    ] {
        assert!(seen.contains(rule), "no claim fired {rule}: {seen:?}");
    }
    Ok(())
}
