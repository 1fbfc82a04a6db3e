//! Every engine of the benchmark gives the same verdict on every claim of a small corpus
//! (the benchmark itself checks its full corpus before timing).

use arbiter_bench::corpus::{self, SEED};
use arbiter_bench::engines::{Arbiter, Native};

#[test]
fn native_and_arbiter_fresh_and_warm_agree_on_every_claim() -> anyhow::Result<()> {
    let corpus = corpus::generate(SEED, 1_000);
    let native = Native::new(&corpus)?;
    let arbiter = Arbiter::new(&std::fs::read(arbiter_artifacts::BENCH_CORE_POLICY_PATH)?)?;
    let mut warm = arbiter.warm()?;
    let mut seen = std::collections::BTreeSet::new();
    for (index, case) in corpus.iter().enumerate() {
        let expected = Native::verdict(
            &native
                .decide(index)
                .map_err(|error| anyhow::anyhow!("{error:?}"))?,
        )?;
        let fresh = Arbiter::verdict(&arbiter.decide_fresh(case)?)?;
        let kept = Arbiter::verdict(&warm.decide(case)?)?;
        assert_eq!(fresh, expected, "case {index}: {}", case.input);
        assert_eq!(kept, expected, "case {index}");
        seen.extend(expected.rules.iter().cloned());
    }
    // The corpus reaches every rule of the core.
    for rule in [
        "F4", "F5", "F6", "F7", "R9", "R9.cap", "FC", "T1", "T2", "T3",
    ] {
        assert!(seen.contains(rule), "no claim fired {rule}: {seen:?}");
    }
    Ok(())
}
