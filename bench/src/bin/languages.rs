//! What a policy costs in each language: the florist in Rust, JavaScript on SpiderMonkey
//! (componentize-js), JavaScript on QuickJS (jco) and Python (componentize-py), side by
//! side on one service:
//!
//! - compile: the upload's check and compile, the component's size, and the compiled
//!   image a loaded module holds;
//! - memory: resident memory added per loaded module, measured on a restarted service
//!   loading `--copies` distinct copies of each from the compiled cache;
//! - decision: p50 and p99 of a whole decision (fraud screen, a fresh sandbox for the
//!   policy, envelope, ledger commit), one at a time, under the default limits;
//! - many modules: `--shops` shops over `--modules` distinct QuickJS florists (compiled
//!   once each, the cheapest JavaScript to compile), under the default loaded-module
//!   budget and under one that holds a quarter of them: resident memory, evictions and
//!   the decisions' p50 and p99.
//!
//! Usage: `languages --rust F --js F --quickjs F --python F [--quick] [--json]`
//! (`bench/run` builds the components with `arbiter module build` and jco).

use std::path::{Path, PathBuf};
use std::time::Instant;

use arbiter::engine::Limits;
use arbiter::ledger::Rollout;
use arbiter::registry::UploadLimits;
use arbiter::service::Service;
use arbiter_bench::stats::{percentile, resident_bytes};
use arbiter_tests::http::sample_claim;
use arbiter_tests::modules::with_custom_section;
use clap::Parser;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    /// The Rust florist component [default: the one this workspace built].
    #[arg(long)]
    rust: Option<PathBuf>,
    /// The JavaScript florist, componentize-js (SpiderMonkey).
    #[arg(long)]
    js: Option<PathBuf>,
    /// The JavaScript florist, jco's QuickJS backend.
    #[arg(long)]
    quickjs: Option<PathBuf>,
    /// The Python florist, componentize-py.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Distinct copies of each loaded for the memory figure.
    #[arg(long, default_value_t = 2)]
    copies: u8,
    /// Shops, and distinct QuickJS modules among them, for the many-modules figure.
    #[arg(long, default_value_t = 1_000)]
    shops: usize,
    #[arg(long, default_value_t = 100)]
    modules: usize,
    /// One copy, 200 decisions, 100 shops over 10 modules.
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.copies = 1;
        args.shops = 100;
        args.modules = 10;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(measure(&args))?;
    if args.json {
        println!("{report}");
    }
    Ok(())
}

async fn measure(args: &Args) -> anyhow::Result<Value> {
    let say = |line: String| {
        if !args.json {
            println!("{line}");
        }
    };
    let decisions = if args.quick { 200 } else { 1_000 };
    let mut rows = Vec::new();
    let rust = Some(
        args.rust
            .clone()
            .unwrap_or_else(|| PathBuf::from(arbiter_artifacts::FLORIST_EXAMPLE_PATH)),
    );
    let languages = [
        ("Rust", &rust),
        ("JS, SpiderMonkey", &args.js),
        ("JS, QuickJS", &args.quickjs),
        ("Python", &args.python),
    ];
    say(format!(
        "{:<17} {:>9} {:>10} {:>10} {:>12} {:>9} {:>9} {:>9}",
        "language",
        "size MB",
        "compile s",
        "image MiB",
        "RSS/module",
        "p50 us",
        "p99 us",
        "fallback"
    ));
    for (language, path) in languages {
        let Some(path) = path else {
            eprintln!("{language}: no component given, skipped");
            continue;
        };
        let row = one_language(language, path, args.copies, decisions).await?;
        say(format!(
            "{:<17} {:>9.1} {:>10.1} {:>10.1} {:>8.1} MiB {:>9} {:>9} {:>9}",
            language,
            row["size_bytes"].as_f64().unwrap_or_default() / 1e6,
            row["compile_s"].as_f64().unwrap_or_default(),
            row["image_bytes"].as_f64().unwrap_or_default() / MIB,
            row["resident_bytes_per_module"]
                .as_f64()
                .unwrap_or_default()
                / MIB,
            row["p50_us"].as_u64().unwrap_or_default(),
            row["p99_us"].as_u64().unwrap_or_default(),
            row["fallbacks"].as_u64().unwrap_or_default(),
        ));
        rows.push(row);
    }
    let mut many = Vec::new();
    if let Some(path) = &args.quickjs {
        // Under the default budget (every module fits), then under a quarter of their
        // images (in the round-robin, most decisions then reload their module).
        let (data, image) = many_modules(path, args.shops, args.modules).await?;
        for quarter in [false, true] {
            let run =
                many_modules_run(data.path(), args.shops, args.modules, image, quarter).await?;
            say(format!(
                "{} shops over {} distinct QuickJS modules ({:.0} MiB of images in all), loaded-module budget {:.0} MiB: \
                 {:.0} MiB resident more after every shop decided twice; {} modules loaded at the end, {} evictions; \
                 decision p50 {} us, p99 {} us",
                args.shops,
                args.modules,
                run["images_bytes"].as_f64().unwrap_or_default() / MIB,
                run["budget_bytes"].as_f64().unwrap_or_default() / MIB,
                run["resident_bytes"].as_f64().unwrap_or_default() / MIB,
                run["loaded_modules"],
                run["evictions"],
                run["p50_us"],
                run["p99_us"],
            ));
            many.push(run);
        }
    }
    say(
        "(decisions through the service, one at a time: fraud screen, the policy in a fresh sandbox, envelope, ledger commit; \
         the default limits: 10 ms per call, 64 MiB of memory)"
            .to_owned(),
    );
    Ok(json!({"languages": rows, "many_modules": many}))
}

const MIB: f64 = (1 << 20) as f64;

/// Compile, memory and decision figures of the component at `path`.
async fn one_language(
    language: &str,
    path: &Path,
    copies: u8,
    decisions: usize,
) -> anyhow::Result<Value> {
    let bytes = std::fs::read(path)?;
    let data = tempfile::tempdir()?;
    let service = Service::open(data.path(), Limits::default()).await?;
    let started = Instant::now();
    let (record, _) = service
        .upload_module(bytes.clone(), None, "*", "bench")
        .await?;
    let compile = started.elapsed();
    let image = service
        .registry()
        .compensation(&record.digest)
        .await?
        .image_bytes();
    let mut digests = vec![record.digest.clone()];
    for copy in 1..copies {
        let distinct = with_custom_section(&bytes, "arbiter-bench", &[copy]);
        digests.push(
            service
                .upload_module(distinct, None, "*", "bench")
                .await?
                .0
                .digest,
        );
    }
    for (n, digest) in digests.iter().enumerate() {
        let shop = format!("{language}-{n}");
        service
            .put_policy(&shop, digest.as_str(), &json!({}), Rollout::Active, "bench")
            .await?;
    }
    service.ledger().close().await;
    drop(service);

    // A restarted service: the copies loaded from the compiled cache by a first decision.
    let service = Service::open(data.path(), Limits::default()).await?;
    let before = resident_bytes();
    for n in 0..digests.len() {
        decide(&service, &format!("warm-{n}"), &format!("{language}-{n}")).await?;
    }
    let per_module = resident_bytes().saturating_sub(before) / digests.len() as u64;

    let mut latencies = Vec::with_capacity(decisions);
    let mut fallbacks = 0;
    for n in 0..decisions {
        let started = Instant::now();
        let answer = decide(&service, &format!("d-{n}"), &format!("{language}-0")).await?;
        latencies.push(started.elapsed());
        if answer["fallback_applied"] == json!(true) {
            fallbacks += 1;
        }
    }
    latencies.sort_unstable();
    service.ledger().close().await;
    Ok(json!({
        "language": language,
        "size_bytes": bytes.len(),
        "compile_s": compile.as_secs_f64(),
        "image_bytes": image,
        "resident_bytes_per_module": per_module,
        "p50_us": percentile(&latencies, 50.0).as_micros(),
        "p99_us": percentile(&latencies, 99.0).as_micros(),
        "fallbacks": fallbacks,
    }))
}

/// A data dir with `shops` shops over `modules` distinct copies of the component at
/// `path`, compiled into its cache; and the bytes of one copy's image.
async fn many_modules(
    path: &Path,
    shops: usize,
    modules: usize,
) -> anyhow::Result<(tempfile::TempDir, usize)> {
    let bytes = std::fs::read(path)?;
    let data = tempfile::tempdir()?;
    let service = Service::open(data.path(), Limits::default()).await?;
    let mut digests = Vec::with_capacity(modules);
    let mut image = 0;
    for n in 0..modules {
        let distinct = with_custom_section(&bytes, "arbiter-bench", n.to_string().as_bytes());
        let (record, _) = service.upload_module(distinct, None, "*", "bench").await?;
        if n == 0 {
            image = service
                .registry()
                .compensation(&record.digest)
                .await?
                .image_bytes();
        }
        digests.push(record.digest);
        if (n + 1) % 10 == 0 {
            eprintln!("  compiled {} of {modules} QuickJS modules", n + 1);
        }
    }
    for shop in 0..shops {
        service
            .put_policy(
                &format!("shop-{shop}"),
                digests[shop % modules].as_str(),
                &json!({}),
                Rollout::Active,
                "bench",
            )
            .await?;
    }
    service.ledger().close().await;
    Ok((data, image))
}

/// The shops of [`many_modules`] on a restarted service, under the default budget or a
/// `quarter` of the modules' images; every shop decides twice, in turn.
async fn many_modules_run(
    data: &Path,
    shops: usize,
    modules: usize,
    image: usize,
    quarter: bool,
) -> anyhow::Result<Value> {
    let budget = if quarter {
        image * modules / 4
    } else {
        UploadLimits::default().loaded_bytes
    };
    let upload_limits = UploadLimits {
        loaded_bytes: budget,
        ..UploadLimits::default()
    };
    let before = resident_bytes();
    let service = Service::open_with(data, Limits::default(), upload_limits).await?;
    let mut latencies = Vec::with_capacity(shops * 2);
    for round in 0..2 {
        for shop in 0..shops {
            let started = Instant::now();
            decide(
                &service,
                &format!("many-{quarter}-{round}-{shop}"),
                &format!("shop-{shop}"),
            )
            .await?;
            latencies.push(started.elapsed());
        }
    }
    let grown = resident_bytes().saturating_sub(before);
    let loaded = service.registry().resident();
    latencies.sort_unstable();
    service.ledger().close().await;
    Ok(json!({
        "shops": shops,
        "modules": modules,
        "images_bytes": image * modules,
        "budget_bytes": budget,
        "resident_bytes": grown,
        "loaded_modules": loaded.modules,
        "evictions": loaded.evictions,
        "p50_us": percentile(&latencies, 50.0).as_micros(),
        "p99_us": percentile(&latencies, 99.0).as_micros(),
    }))
}

/// One decision of a fresh claim for `shop`.
async fn decide(service: &Service, claim_id: &str, shop: &str) -> anyhow::Result<Value> {
    let claim = sample_claim(claim_id, shop, &format!("u-{claim_id}"));
    let reply = service
        .decide(claim.to_string().as_bytes(), None, None)
        .await?;
    Ok(serde_json::from_str(&reply.body)?)
}
