//! Scale figures: cold start with many shops and distinct modules, resident memory per
//! loaded module, and how soon a hot swap is visible.
//!
//! - Cold start: a data dir with `--shops` shops over `--modules` distinct modules (the
//!   florist, made distinct by a custom section) is prepared, closed, and opened again
//!   as a restarted host would; timed from opening to every shop's first decision
//!   answered (modules from the compiled cache, nothing recompiled).
//! - Memory: resident set before and after loading the modules, per module.
//! - Hot swap: the time from `put_policy`'s answer to the first decision made by the new
//!   version, over many swaps between two modules.
//!
//! Usage: `cargo run --release -p arbiter-bench --bin scale -- [--quick] [--json]`.

use std::time::{Duration, Instant};

use arbiter::engine::Limits;
use arbiter::ledger::Rollout;
use arbiter::service::Service;
use arbiter_bench::stats::{percentile, resident_bytes};
use arbiter_tests::http::sample_claim;
use arbiter_tests::modules::with_custom_section;
use clap::Parser;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    /// 100 shops over 10 modules, and 20 swaps.
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (shops, modules, swaps) = if args.quick {
        (100, 10, 20)
    } else {
        (1_000, 100, 100)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(measure(shops, modules, swaps, args.json))?;
    if args.json {
        println!("{report}");
    }
    Ok(())
}

async fn measure(shops: usize, modules: usize, swaps: usize, quiet: bool) -> anyhow::Result<Value> {
    let say = |line: String| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let data = tempfile::tempdir()?;
    let florist = std::fs::read(arbiter_artifacts::FLORIST_EXAMPLE_PATH)?;

    // Prepare: upload (and compile) every module, give every shop one of them.
    let prepared = Instant::now();
    let service = Service::open(data.path(), Limits::default()).await?;
    let mut digests = Vec::with_capacity(modules);
    for n in 0..modules {
        let bytes = with_custom_section(&florist, "arbiter-bench", n.to_string().as_bytes());
        let (record, _) = service.upload_module(bytes, None, "*", "bench").await?;
        digests.push(record.digest);
        if (n + 1) % 10 == 0 {
            say(format!("  uploaded {} of {modules} modules", n + 1));
        }
    }
    for shop in 0..shops {
        service
            .put_policy(
                &format!("shop-{shop}"),
                digests[shop % modules].as_str(),
                &json!({"promo_max": 100_000}),
                Rollout::Active,
                "bench",
            )
            .await?;
    }
    service.ledger().close().await;
    drop(service);
    say(format!(
        "  prepared {shops} shops over {modules} modules in {:.1} s",
        prepared.elapsed().as_secs_f64()
    ));

    // Cold start: open as a restarted host, then every shop's first decision.
    let rss_before = resident_bytes();
    let started = Instant::now();
    let service = Service::open(data.path(), Limits::default()).await?;
    let opened = started.elapsed();
    for shop in 0..shops {
        let claim = sample_claim(
            &format!("cold-{shop}"),
            &format!("shop-{shop}"),
            &format!("u-{shop}"),
        );
        let reply = service
            .decide(claim.to_string().as_bytes(), None, None)
            .await?;
        let answer: Value = serde_json::from_str(&reply.body)?;
        anyhow::ensure!(
            answer["policy"]["module"] == json!(digests[shop % modules]),
            "shop-{shop} decided by {}",
            answer["policy"]["module"]
        );
    }
    let cold_start = started.elapsed();
    let rss_after = resident_bytes();
    let per_module = rss_after.saturating_sub(rss_before) / modules as u64;
    say(format!(
        "cold start: {shops} shops over {modules} modules answered {:.0} ms after opening (opening {:.0} ms); goal <= 2000 ms: {}",
        ms(cold_start),
        ms(opened),
        if cold_start <= Duration::from_secs(2) {
            "met"
        } else {
            "missed"
        }
    ));
    say(format!(
        "memory: {:.1} MiB resident more with the {modules} modules loaded (and the ledger warmed): {:.0} KiB per module",
        rss_after.saturating_sub(rss_before) as f64 / (1 << 20) as f64,
        per_module as f64 / 1024.0
    ));

    // Hot swap: alternate a shop between two modules; after each answer, decide at once.
    let mut visible = Vec::with_capacity(swaps);
    for swap in 0..swaps {
        let module = &digests[swap % 2];
        service
            .put_policy(
                "swap-shop",
                module.as_str(),
                &json!({"promo_max": 100_000}),
                Rollout::Active,
                "bench",
            )
            .await?;
        let answered = Instant::now();
        let claim = sample_claim(
            &format!("swap-{swap}"),
            "swap-shop",
            &format!("swap-u{swap}"),
        );
        let reply = service
            .decide(claim.to_string().as_bytes(), None, None)
            .await?;
        let took = answered.elapsed();
        let answer: Value = serde_json::from_str(&reply.body)?;
        anyhow::ensure!(
            answer["policy"]["module"] == json!(module),
            "swap {swap}: the first decision after the swap was made by {}",
            answer["policy"]["module"]
        );
        visible.push(took);
    }
    visible.sort_unstable();
    let (p50, max) = (
        percentile(&visible, 50.0),
        visible.last().copied().unwrap_or_default(),
    );
    say(format!(
        "hot swap: the very next decision used the new version in all {swaps} swaps; visible (answer of the swap to answer of that decision) p50 {:.2} ms, max {:.2} ms; goal <= 10 ms: {}",
        ms(p50),
        ms(max),
        if max <= Duration::from_millis(10) {
            "met"
        } else {
            "missed"
        }
    ));
    service.ledger().close().await;
    Ok(json!({
        "cold_start_ms": ms(cold_start),
        "open_ms": ms(opened),
        "shops": shops,
        "modules": modules,
        "resident_bytes_per_module": per_module,
        "hot_swap_visible_ms": ms(p50),
        "hot_swap_visible_max_ms": ms(max),
    }))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}
