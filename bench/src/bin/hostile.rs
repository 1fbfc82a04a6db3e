//! Hostile neighbours: a healthy shop's latency with and without ten shops whose
//! modules spin forever, and how far past its deadline a spinning call is stopped.
//!
//! Everything runs in one process, through the whole service (parse, ledger reads,
//! fraud screen, policy, envelope, ledger write with fsync), at a fixed arrival rate
//! (open loop, as a marketplace sends claims). Three runs, side by side:
//! - baseline: the healthy shop alone;
//! - control: the same load plus ten well-behaved shops at the spinning shops' rate, to
//!   tell the cost of their traffic from the cost of their hostility;
//! - spinning: the same load plus ten spinning shops, suspension on (the default);
//! - spinning, no suspension: every spinning claim costs a whole deadline of CPU.
//!
//! Usage: `cargo run --release -p arbiter-bench --bin hostile -- [--quick]`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arbiter::contract::parse_request;
use arbiter::convert;
use arbiter::engine::{CompensationModule, Engine, Limits};
use arbiter::history::CustomerHistory;
use arbiter::ledger::Rollout;
use arbiter::service::Service;
use clap::Parser;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::time::MissedTickBehavior;

#[derive(Debug, Parser)]
struct Args {
    /// A short run (about 15 s in all) instead of the full one.
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Seconds of load in each run [default: 10, quick: 3].
    #[arg(long)]
    seconds: Option<u64>,
    /// The healthy shop's claims per second.
    #[arg(long, default_value_t = 200)]
    healthy_rate: u32,
    /// Each spinning shop's claims per second.
    #[arg(long, default_value_t = 10)]
    spinning_rate: u32,
    /// How many spinning shops.
    #[arg(long, default_value_t = 10)]
    spinning_shops: u32,
}

/// What one run measured.
struct Run {
    name: &'static str,
    healthy: Latencies,
    /// The healthy shop's claims sent after the first second, once the spinning shops'
    /// first timeouts (three each, before suspension) are over.
    steady: Latencies,
    spinning_answers: usize,
    spinning_failures: Vec<(String, usize)>,
}

/// When each claim was sent (since the run started) and how long its answer took.
type Samples = Vec<(Duration, Duration)>;

#[derive(Default)]
struct Latencies(Vec<Duration>);

impl Latencies {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        let Some(last) = sorted.len().checked_sub(1) else {
            return Duration::ZERO;
        };
        // Nearest rank.
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.saturating_sub(1).min(last)]
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seconds = args.seconds.unwrap_or(if args.quick { 3 } else { 10 });
    let load = Duration::from_secs(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    // The heading goes to stderr with --json, so stdout is the one JSON object.
    let heading = format!(
        "hostile neighbours: healthy shop at {}/s; {} spinning shops at {}/s each; {} s per run; {} cores",
        args.healthy_rate,
        args.spinning_shops,
        args.spinning_rate,
        seconds,
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    if args.json {
        eprintln!("{heading}");
    } else {
        println!("{heading}");
    }
    let mut runs = Vec::new();
    let shops = args.spinning_shops;
    for (name, neighbours, spinning, suspend) in [
        ("baseline: healthy shop alone", 0, false, true),
        ("control: with well-behaved shops", shops, false, true),
        (
            "with spinning shops (suspension on, default)",
            shops,
            true,
            true,
        ),
        ("with spinning shops, suspension off", shops, true, false),
    ] {
        let run = runtime.block_on(run(name, &args, neighbours, spinning, suspend, load))?;
        runs.push(run);
    }
    let overrun = deadline_overrun(if args.quick { 50 } else { 200 })?;
    if args.json {
        let micros = |latencies: &Latencies, p: f64| latencies.percentile(p).as_micros();
        let runs: Vec<serde_json::Value> = runs
            .iter()
            .map(|run| {
                json!({
                    "run": run.name,
                    "p50_us": micros(&run.healthy, 50.0),
                    "p99_us": micros(&run.healthy, 99.0),
                    "steady_p50_us": micros(&run.steady, 50.0),
                    "steady_p99_us": micros(&run.steady, 99.0),
                    "neighbours": run.spinning_failures,
                })
            })
            .collect();
        println!("{}", json!({"runs": runs, "deadline_overrun": overrun}));
    } else {
        print_runs(&runs);
        println!();
        println!("{}", overrun["text"].as_str().unwrap_or_default());
    }
    Ok(())
}

async fn run(
    name: &'static str,
    args: &Args,
    neighbours: u32,
    spinning: bool,
    suspend: bool,
    load: Duration,
) -> anyhow::Result<Run> {
    let data = tempfile::tempdir()?;
    let mut limits = Limits::default();
    if !suspend {
        limits.suspension.after_failures = 0;
    }
    let service = Service::open(data.path(), limits).await?;
    let (spinner, _) = service
        .upload_module(
            std::fs::read(arbiter_artifacts::SPIN_FOREVER_FIXTURE_PATH)?,
            None,
            "*",
            "bench",
        )
        .await?;
    // Well-behaved neighbours run the platform's default policy: no policy of their own.
    for shop in (0..neighbours).filter(|_| spinning) {
        service
            .put_policy(
                &format!("spin-{shop}"),
                spinner.digest.as_str(),
                &json!({}),
                Rollout::Active,
                "bench",
            )
            .await?;
    }

    let healthy = Arc::new(Mutex::new(Samples::new()));
    let spinning = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut drivers = Vec::new();
    drivers.push(tokio::spawn(drive(
        service.clone(),
        "healthy".to_owned(),
        args.healthy_rate,
        load,
        Some(healthy.clone()),
        None,
    )));
    for shop in 0..neighbours {
        drivers.push(tokio::spawn(drive(
            service.clone(),
            format!("spin-{shop}"),
            args.spinning_rate,
            load,
            None,
            Some(spinning.clone()),
        )));
    }
    for driver in drivers {
        driver.await??;
    }
    service.ledger().close().await;

    let samples = std::mem::take(&mut *healthy.lock().await);
    let healthy = Latencies(samples.iter().map(|(_, took)| *took).collect());
    let steady = Latencies(
        samples
            .iter()
            .filter(|(sent, _)| *sent >= WARM_UP)
            .map(|(_, took)| *took)
            .collect(),
    );
    let spinning = std::mem::take(&mut *spinning.lock().await);
    let mut failures: Vec<(String, usize)> = Vec::new();
    for code in &spinning {
        match failures.iter_mut().find(|(known, _)| known == code) {
            Some((_, count)) => *count += 1,
            None => failures.push((code.clone(), 1)),
        }
    }
    Ok(Run {
        name,
        healthy,
        steady,
        spinning_answers: spinning.len(),
        spinning_failures: failures,
    })
}

/// Sends `shop`'s claims at `rate` per second for `load`, each on its own task (open
/// loop); keeps the latency of each, or the failure code each answer names.
async fn drive(
    service: Service,
    shop: String,
    rate: u32,
    load: Duration,
    latencies: Option<Arc<Mutex<Samples>>>,
    failures: Option<Arc<Mutex<Vec<String>>>>,
) -> anyhow::Result<()> {
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut calls = Vec::new();
    let mut n = 0_u64;
    while started.elapsed() < load {
        ticker.tick().await;
        n += 1;
        let body = claim(&format!("{shop}-c{n}"), &shop, &format!("{shop}-u{n}"));
        let service = service.clone();
        let latencies = latencies.clone();
        let failures = failures.clone();
        calls.push(tokio::spawn(async move {
            let sent = Instant::now();
            let reply = service.decide(body.as_bytes(), None, None).await?;
            let took = sent.elapsed();
            if let Some(latencies) = latencies {
                latencies
                    .lock()
                    .await
                    .push((sent.duration_since(started), took));
            }
            if let Some(failures) = failures {
                let answer: Value = serde_json::from_str(&reply.body)?;
                let code = answer["failure"].as_str().unwrap_or("none").to_owned();
                failures.lock().await.push(code);
            }
            anyhow::Ok(())
        }));
    }
    for call in calls {
        call.await??;
    }
    Ok(())
}

/// How long the spinning shops take to be suspended, left out of the steady figures.
const WARM_UP: Duration = Duration::from_secs(1);

fn print_runs(runs: &[Run]) {
    let Some(baseline) = runs.first() else {
        return;
    };
    let (base_p50, base_p99) = (
        baseline.healthy.percentile(50.0),
        baseline.healthy.percentile(99.0),
    );
    println!();
    println!(
        "{:<46} {:>9} {:>10} {:>10} {:>9} {:>9}  neighbours' answers",
        "run", "decisions", "p50 us", "p99 us", "p50 x", "p99 x"
    );
    let rows = runs.iter().flat_map(|run| {
        [
            (run.name.to_owned(), &run.healthy, Some(run)),
            (
                format!("  after the first {} s", WARM_UP.as_secs()),
                &run.steady,
                None,
            ),
        ]
    });
    for (name, latencies, run) in rows {
        let (p50, p99) = (latencies.percentile(50.0), latencies.percentile(99.0));
        let spinning = match run {
            Some(run) if run.spinning_answers > 0 => run
                .spinning_failures
                .iter()
                .map(|(code, count)| format!("{code} {count}"))
                .collect::<Vec<_>>()
                .join(", "),
            _ => "-".to_owned(),
        };
        println!(
            "{:<46} {:>9} {:>10} {:>10} {:>9.2} {:>9.2}  {}",
            name,
            latencies.0.len(),
            p50.as_micros(),
            p99.as_micros(),
            ratio(p50, base_p50),
            ratio(p99, base_p99),
            spinning
        );
    }
    if let (Some(control), Some(with)) = (runs.get(1), runs.get(2)) {
        let worse = |now: &Latencies, before: &Latencies, p: f64| {
            (ratio(now.percentile(p), before.percentile(p)) - 1.0) * 100.0
        };
        println!(
            "goal: the healthy shop less than 10% worse beside spinning shops. Measured against the shop alone: \
             p50 {:+.1}%, p99 {:+.1}% (whole run), p50 {:+.1}%, p99 {:+.1}% (after the first {} s); \
             against well-behaved neighbours at the same rate: p50 {:+.1}%, p99 {:+.1}% (after the first {} s)",
            worse(&with.healthy, &baseline.healthy, 50.0),
            worse(&with.healthy, &baseline.healthy, 99.0),
            worse(&with.steady, &baseline.steady, 50.0),
            worse(&with.steady, &baseline.steady, 99.0),
            WARM_UP.as_secs(),
            worse(&with.steady, &control.steady, 50.0),
            worse(&with.steady, &control.steady, 99.0),
            WARM_UP.as_secs(),
        );
    }
}

fn ratio(value: Duration, base: Duration) -> f64 {
    value.as_secs_f64() / base.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// How far past its deadline a call that never returns is stopped: `calls` calls of
/// the spin-forever fixture in a row, on an otherwise idle engine.
fn deadline_overrun(calls: usize) -> anyhow::Result<serde_json::Value> {
    let limits = Limits::default();
    let (deadline, tick) = (limits.deadline, limits.epoch_tick);
    let engine = Engine::new(limits)?;
    let spinner = CompensationModule::load(
        &engine,
        &std::fs::read(arbiter_artifacts::SPIN_FOREVER_FIXTURE_PATH)?,
    )?;
    let request = parse_request(claim("c-1", "spin", "u-1").as_bytes())?;
    let claim = convert::claim(&request);
    let history = convert::history(&CustomerHistory::default(), &request);

    let mut overruns = Latencies::default();
    let mut early = 0;
    for _ in 0..calls {
        let started = Instant::now();
        let failure = spinner.decide(&claim, &history, "{}");
        let took = started.elapsed();
        anyhow::ensure!(failure.is_err(), "the spinning module returned");
        match took.checked_sub(deadline) {
            Some(over) => overruns.0.push(over),
            None => {
                early += 1;
                overruns.0.push(Duration::ZERO);
            }
        }
    }
    let max = overruns.0.iter().max().copied().unwrap_or_default();
    let within_tick = overruns.0.iter().filter(|over| **over <= tick).count();
    let text = format!(
        "deadline overrun ({calls} spinning calls, deadline {} ms, epoch tick {} ms): p50 {} us, p99 {} us, max {} us; {} within deadline + one tick; {early} stopped before the full deadline (the first tick is partial)",
        deadline.as_millis(),
        tick.as_millis(),
        overruns.percentile(50.0).as_micros(),
        overruns.percentile(99.0).as_micros(),
        max.as_micros(),
        within_tick,
    );
    Ok(json!({
        "calls": calls,
        "deadline_ms": deadline.as_millis(),
        "tick_ms": tick.as_millis(),
        "p50_us": overruns.percentile(50.0).as_micros(),
        "p99_us": overruns.percentile(99.0).as_micros(),
        "max_us": max.as_micros(),
        "within_one_tick": within_tick,
        "text": text,
    }))
}

/// A claim the standard policy answers with a promo code (a first, confirmed damage):
/// the tests' sample claim, without its photo (one history query fewer per decision).
fn claim(claim_id: &str, shop_id: &str, customer_id: &str) -> String {
    let mut claim = arbiter_tests::http::sample_claim(claim_id, shop_id, customer_id);
    claim["evidence"]["photos"] = json!([]);
    claim.to_string()
}
