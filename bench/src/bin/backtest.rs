//! Backtest throughput: how many recorded decisions a backtest re-decides per second,
//! and what live decisions wait meanwhile beside what they wait with none running.
//!
//! A shop's ledger is filled with `--decisions` claims decided in process (the sample
//! claim at spread prices, each its own customer), then a backtest with a lower
//! `refund_max` re-decides all of them on an otherwise idle service (`backtest_per_s`);
//! then the same backtest again while live decisions of another shop are made one at a
//! time, as fast as they come (`backtest_per_s_with_live`, and the live decisions'
//! p99); then the same live decisions alone.
//!
//! Usage: `cargo run --release -p arbiter-bench --bin backtest -- [--quick] [--json]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arbiter::engine::Limits;
use arbiter::ledger::BacktestStatus;
use arbiter::service::{BacktestSpec, Service};
use arbiter_bench::stats::percentile;
use arbiter_tests::http::{sample_claim, with};
use clap::Parser;
use serde_json::json;

#[derive(Debug, Parser)]
struct Args {
    /// 2,000 decisions instead of 20,000.
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

const SHOP: &str = "backtested-shop";
const LIVE_SHOP: &str = "live-shop";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let decisions = if args.quick { 2_000 } else { 20_000 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(measure(decisions))?;
    if args.json {
        println!("{report}");
    } else {
        println!(
            "backtest: {} decisions re-decided in {:.2} s: {:.0}/s (goal >= 20,000/s: {}); beside a live caller {:.0}/s, the live decisions' p99 {} us, alone {} us",
            report["decisions"],
            report["seconds"].as_f64().unwrap_or_default(),
            report["backtest_per_s"].as_f64().unwrap_or_default(),
            if report["backtest_per_s"].as_f64().unwrap_or_default() >= 20_000.0 {
                "met"
            } else {
                "missed"
            },
            report["backtest_per_s_with_live"]
                .as_f64()
                .unwrap_or_default(),
            report["live_p99_us_during"],
            report["live_p99_us_alone"],
        );
    }
    Ok(())
}

fn claim(shop: &str, n: usize) -> Vec<u8> {
    let claim = sample_claim(&format!("{shop}-{n}"), shop, &format!("u-{shop}-{n}"));
    let price = 20_000 + (n % 20) as i64 * 10_000;
    let claim = with(claim, "items.0.unit_price", json!(price));
    with(claim, "desired_outcome", json!("refund"))
        .to_string()
        .into_bytes()
}

/// Live decisions of [`LIVE_SHOP`] one at a time until `until` says stop; their times.
async fn live(
    service: &Service,
    first: usize,
    until: impl Fn(usize) -> bool,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::new();
    let mut n = first;
    while !until(times.len()) {
        let started = Instant::now();
        service.decide(&claim(LIVE_SHOP, n), None, None).await?;
        times.push(started.elapsed());
        n += 1;
    }
    Ok(times)
}

fn p99_us(times: &mut [Duration]) -> u128 {
    times.sort();
    percentile(times, 99.0).as_micros()
}

/// Starts the bench's backtest of [`SHOP`]: a lower `refund_max`.
async fn start(service: &Service) -> anyhow::Result<(String, Instant)> {
    let started = Instant::now();
    let backtest = service
        .start_backtest(
            SHOP,
            BacktestSpec {
                settings: Some(json!({"refund_max": 150_000})),
                ..BacktestSpec::default()
            },
            "bench",
        )
        .await?;
    Ok((backtest.backtest_id, started))
}

/// Waits for backtest `id` to end, then sets `done`: how many it re-decided and when it
/// ended.
async fn finished(
    service: Service,
    id: String,
    done: Arc<AtomicBool>,
) -> anyhow::Result<(u64, Instant)> {
    loop {
        let record = service.backtest(&id, None).await?;
        if record.status != BacktestStatus::Running {
            done.store(true, Ordering::Release);
            anyhow::ensure!(
                record.status == BacktestStatus::Done,
                "backtest ended {record:?}"
            );
            return Ok((record.done, Instant::now()));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn measure(decisions: usize) -> anyhow::Result<serde_json::Value> {
    let data = tempfile::tempdir()?;
    let service = Service::open(data.path(), Limits::default()).await?;
    for n in 0..decisions {
        service.decide(&claim(SHOP, n), None, None).await?;
    }

    // Alone.
    let (id, started) = start(&service).await?;
    let (done_alone, ended) = finished(service.clone(), id, Arc::default()).await?;
    let seconds_alone = ended.duration_since(started).as_secs_f64();

    // Beside a live caller.
    let (id, started) = start(&service).await?;
    let done = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(finished(service.clone(), id, Arc::clone(&done)));
    let mut during = live(&service, 0, |_| done.load(Ordering::Acquire)).await?;
    let (done_beside, ended) = watcher.await??;
    let seconds_beside = ended.duration_since(started).as_secs_f64();

    let count = during.len().max(200);
    let mut alone = live(&service, 1_000_000, |timed| timed >= count).await?;
    service.close().await;
    Ok(json!({
        "decisions": done_alone,
        "seconds": seconds_alone,
        "backtest_per_s": done_alone as f64 / seconds_alone,
        "backtest_per_s_with_live": done_beside as f64 / seconds_beside,
        "live_p99_us_during": p99_us(&mut during),
        "live_p99_us_alone": p99_us(&mut alone),
        "live_decisions_during": during.len(),
    }))
}
