//! The core rules (`bench/rules/README.md`) through every engine, side by side: native
//! Rust (the floor), Arbiter with a fresh sandbox per decision and with a warm instance
//! (a reference only), Rego on regorus and a GoRules graph on zen-engine. Every engine
//! must agree with the native build on every claim of the corpus before it is timed.
//!
//! Usage: `cargo run --release -p arbiter-bench --bin engines -- [--quick] [--json]`.

use std::time::{Duration, Instant};

use arbiter_bench::corpus::{self, Case, SEED};
use arbiter_bench::engines::{Arbiter, Native};
use arbiter_bench::rego::Rego;
use arbiter_bench::stats::{Summary, Timings};
use arbiter_bench::verdict::Verdict;
use arbiter_bench::zen::Zen;
use clap::Parser;
use serde_json::json;

#[derive(Debug, Parser)]
struct Args {
    /// 2,000 claims instead of 10,000.
    #[arg(long)]
    quick: bool,
    /// Print one JSON object (`{"engines": {...}}`) instead of the table.
    #[arg(long)]
    json: bool,
    /// Claims in the corpus (overrides --quick).
    #[arg(long)]
    claims: Option<usize>,
    /// Time only these engines (and native, the reference), e.g. to profile one:
    /// `--only arbiter_fresh`.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// Times `decide` over the corpus once (after a warm-up pass over its first tenth),
/// keeping each decision's latency. Verdicts are made outside the timed span where the
/// engine allows (`project`), so every engine is timed on deciding alone.
fn time<A>(
    corpus: &[Case],
    mut decide: impl FnMut(usize, &Case) -> anyhow::Result<A>,
) -> anyhow::Result<(Timings, Vec<A>)> {
    for (index, case) in corpus.iter().enumerate().take(corpus.len() / 10) {
        decide(index, case)?;
    }
    let mut latencies = Vec::with_capacity(corpus.len());
    let mut answers = Vec::with_capacity(corpus.len());
    let started = Instant::now();
    for (index, case) in corpus.iter().enumerate() {
        let at = Instant::now();
        let answer = decide(index, case)?;
        latencies.push(at.elapsed());
        answers.push(answer);
    }
    Ok((
        Timings {
            latencies,
            wall: started.elapsed(),
        },
        answers,
    ))
}

/// Times `decide` over the corpus ([`time`]), then makes each answer a verdict
/// (`verdict`, outside the timed span) and checks them against native's ([`agree`]).
fn time_agreeing<A>(
    name: &str,
    corpus: &[Case],
    reference: &[Verdict],
    decide: impl FnMut(usize, &Case) -> anyhow::Result<A>,
    verdict: impl Fn(&A) -> anyhow::Result<Verdict>,
) -> anyhow::Result<Summary> {
    let (timings, answers) = time(corpus, decide)?;
    let verdicts: Vec<Verdict> = answers.iter().map(verdict).collect::<anyhow::Result<_>>()?;
    agree(name, &verdicts, reference, corpus)?;
    Ok(timings.summary())
}

/// Checks `verdicts` against the native ones, naming the first disagreement.
fn agree(
    name: &str,
    verdicts: &[Verdict],
    native: &[Verdict],
    corpus: &[Case],
) -> anyhow::Result<()> {
    for (index, (verdict, expected)) in verdicts.iter().zip(native).enumerate() {
        anyhow::ensure!(
            verdict == expected,
            "{name} disagrees with native on claim {index}: {verdict:?} instead of {expected:?}\ninput: {}",
            corpus[index].input
        );
    }
    anyhow::ensure!(
        verdicts.len() == native.len(),
        "{name} answered {} of {} claims",
        verdicts.len(),
        native.len()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let claims = args
        .claims
        .unwrap_or(if args.quick { 2_000 } else { 10_000 });
    let corpus = corpus::generate(SEED, claims);
    let mut rows: Vec<(&str, &str, Summary)> = Vec::new();

    let native = Native::new(&corpus)?;
    let (timings, decisions) = time(&corpus, |index, _| {
        native
            .decide(index)
            .map_err(|error| anyhow::anyhow!("native declined: {error:?}"))
    })?;
    let reference: Vec<Verdict> = decisions
        .iter()
        .map(Native::verdict)
        .collect::<anyhow::Result<_>>()?;
    rows.push(("native", "native Rust (the floor)", timings.summary()));

    let wanted = |engine: &str| args.only.is_empty() || args.only.iter().any(|name| name == engine);

    let arbiter = Arbiter::new(&std::fs::read(arbiter_artifacts::BENCH_CORE_POLICY_PATH)?)?;
    if wanted("arbiter_fresh") {
        let summary = time_agreeing(
            "arbiter_fresh",
            &corpus,
            &reference,
            |_, case| arbiter.decide_fresh(case),
            Arbiter::verdict,
        )?;
        rows.push((
            "arbiter_fresh",
            "Arbiter, fresh sandbox per decision",
            summary,
        ));
    }

    if wanted("arbiter_warm") {
        let mut warm = arbiter.warm()?;
        let summary = time_agreeing(
            "arbiter_warm",
            &corpus,
            &reference,
            |_, case| warm.decide(case),
            Arbiter::verdict,
        )?;
        rows.push((
            "arbiter_warm",
            "Arbiter, warm instance (reference)",
            summary,
        ));
    }

    if wanted("regorus") {
        let mut rego = Rego::new()?;
        let summary = time_agreeing(
            "regorus",
            &corpus,
            &reference,
            |_, case| rego.decide(&case.input),
            |verdict| Ok(verdict.clone()),
        )?;
        rows.push(("regorus", "Rego on regorus", summary));
    }

    if wanted("zen") {
        let mut zen = Zen::new()?;
        let summary = time_agreeing(
            "zen",
            &corpus,
            &reference,
            |_, case| zen.decide(&case.input),
            |verdict| Ok(verdict.clone()),
        )?;
        rows.push(("zen", "GoRules JDM on zen-engine", summary));
    }

    // For context, not compared: the full standard rulebook R1-R11 in a fresh sandbox.
    let standard_summary = if wanted("standard_fresh") {
        let standard = Arbiter::with_settings(arbiter_artifacts::STANDARD_POLICY, "{}")?;
        let (standard_timings, _) = time(&corpus, |_, case| standard.decide_fresh(case))?;
        Some(standard_timings.summary())
    } else {
        None
    };

    if args.json {
        let engines: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(key, _, summary)| Ok(((*key).to_owned(), serde_json::to_value(summary)?)))
            .collect::<anyhow::Result<_>>()?;
        println!(
            "{}",
            json!({"engines": engines, "claims": claims, "standard_fresh": standard_summary})
        );
        return Ok(());
    }
    print_table(&rows, claims, standard_summary.as_ref());
    Ok(())
}

fn print_table(rows: &[(&str, &str, Summary)], claims: usize, standard: Option<&Summary>) {
    let p50 = |key: &str| {
        rows.iter()
            .find(|(name, _, _)| *name == key)
            .map_or(f64::NAN, |(_, _, summary)| summary.p50_ns as f64)
    };
    let (native, fresh) = (p50("native"), p50("arbiter_fresh"));
    println!(
        "core rules over {claims} claims (every kind; all engines agree with native on every claim)"
    );
    println!(
        "{:<38} {:>10} {:>10} {:>13} {:>11} {:>11}",
        "engine", "p50 ns", "p99 ns", "decisions/s", "p50 x nat.", "p50 x arb."
    );
    for (_, label, summary) in rows {
        println!(
            "{:<38} {:>10} {:>10} {:>13.0} {:>11.2} {:>11.2}",
            label,
            summary.p50_ns,
            summary.p99_ns,
            summary.per_s,
            summary.p50_ns as f64 / native,
            summary.p50_ns as f64 / fresh
        );
    }
    if let Some(standard) = standard {
        println!(
            "{:<38} {:>10} {:>10} {:>13.0}   (context: the full rulebook R1-R11, not compared)",
            "Arbiter standard policy, fresh", standard.p50_ns, standard.p99_ns, standard.per_s
        );
    }
    let ns = |value: f64| Duration::from_nanos(value as u64);
    println!(
        "goals: fresh sandbox p50 <= 5 us: {:?} ({}); warm <= 1 us: {:?} ({}); fresh at least 2x faster than regorus ({:.2}x) and zen ({:.2}x): {}",
        ns(fresh),
        met(fresh <= 5_000.0),
        ns(p50("arbiter_warm")),
        met(p50("arbiter_warm") <= 1_000.0),
        p50("regorus") / fresh,
        p50("zen") / fresh,
        met(p50("regorus") / fresh >= 2.0 && p50("zen") / fresh >= 2.0),
    );
}

fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "missed" }
}
