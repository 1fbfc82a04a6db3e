//! Console page loads on a ledger of 100,000 decisions: how long each page of the
//! console takes in a real browser (Debian's headless `chromium` over WebDriver), from
//! navigating to it to its data shown, on a shop holding every decision of the ledger.
//!
//! - Fill: `--decisions` claims (100,000) decided in process through `Service::decide`
//!   (the real pipeline: fraud screen, policy, envelope, ledger with its aggregates),
//!   all in one shop, over the last 30 days, spread over 10 kinds' worth of claims, 500
//!   SKUs in 10 categories and 20,000 customers (so many repeat).
//! - Timing: each page loaded `--rounds` times (a full document load each time, then
//!   the page's API calls), measured in the page from its navigation's start to its data
//!   shown (seen by a wait polling every 10 ms), the median and the slowest printed;
//!   then the settings page's *Preview*, a backtest of the last 30 days, once.
//!
//! Usage: `cargo run --release -p arbiter-bench --bin console_pages -- [--decisions N]
//! [--rounds N] [--json]`. Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arbiter::clock::now_ms;
use arbiter::contract::Timestamp;
use arbiter::server::FrontDoor;
use arbiter_tests::browser::{Console, Session, available};
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, photo_hash, sample_claim, with};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    /// How many decisions the ledger holds.
    #[arg(long, default_value_t = 100_000)]
    decisions: u64,
    /// How many times each page is loaded.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

const SHOP: &str = "console-shop";
const DAY_MS: i64 = 86_400_000;
const CATEGORIES: [&str; 10] = [
    "home", "beauty", "kids", "garden", "kitchen", "books", "sport", "pets", "tools", "toys",
];

fn at(unix_millis: i64) -> anyhow::Result<Value> {
    Timestamp::from_unix_millis(unix_millis)
        .map(|at| json!(at.to_string()))
        .ok_or_else(|| anyhow::anyhow!("a time out of range"))
}

/// Claim `n`: opened on one of the last 30 days, of one of three kinds, one of 500 SKUs,
/// by one of 20,000 customers.
fn claim(n: u64, today_ms: i64) -> anyhow::Result<Value> {
    let days_ago = i64::try_from(n % 30)?;
    let opened = today_ms - days_ago * DAY_MS - 3_600_000;
    let sku = n % 500;
    let claim = sample_claim(&format!("cp-{n}"), SHOP, &format!("u-cp-{}", n % 20_000));
    let claim = with(claim, "opened_at", at(opened)?);
    let claim = with(claim, "now", at(opened + 600_000)?);
    let claim = with(claim, "order.placed_at", at(opened - 4 * DAY_MS)?);
    let claim = with(claim, "order.delivered_at", at(opened - DAY_MS)?);
    let claim = with(
        claim,
        "evidence.photos.0.sha256",
        json!(photo_hash(&format!("cp-{n}"))),
    );
    let claim = with(
        claim,
        "kind",
        json!(["damaged", "short_shipment", "other"][usize::try_from(n % 3)?]),
    );
    Ok(with(
        claim,
        "items",
        json!([{
            "sku": format!("sku-{sku}"),
            "title": format!("Product {sku}"),
            "unit_price": 10_000 + i64::try_from(sku % 50)? * 1_000,
            "quantity_ordered": 2,
            "quantity_affected": 1,
            "category": CATEGORIES[usize::try_from(sku % 10)?],
        }]),
    ))
}

/// Decides `count` claims with 32 in flight; how many were refused.
async fn fill(app: &TestApp, count: u64) -> anyhow::Result<u64> {
    let today_ms = now_ms();
    let next = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let service = app.service().clone();
        let next = Arc::clone(&next);
        let refused = Arc::clone(&refused);
        workers.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    return anyhow::Ok(());
                }
                let body = serde_json::to_vec(&claim(n, today_ms)?)?;
                if service.decide(&body, None, None).await.is_err() {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                if n > 0 && n.is_multiple_of(10_000) {
                    eprintln!(
                        "  {n} decided ({:.0}/s)",
                        n as f64 / started.elapsed().as_secs_f64()
                    );
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(refused.load(Ordering::Relaxed))
}

/// One page's load times.
struct Timing {
    page: &'static str,
    times: Vec<Duration>,
}

impl Timing {
    fn median(&self) -> Duration {
        let mut sorted = self.times.clone();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }

    fn slowest(&self) -> Duration {
        self.times.iter().copied().max().unwrap_or_default()
    }
}

/// Loads `hash` afresh `rounds` times, each until page `page` has its data.
async fn time_page(
    console: &Console,
    page: &'static str,
    hash: &str,
    rounds: usize,
) -> anyhow::Result<Timing> {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        console.client.goto("about:blank").await?;
        console.open(hash).await?;
        console.page(page).await?;
        // Milliseconds since this document's navigation began, read by the page itself
        // as soon as the wait (polling every 10 ms) saw the data shown.
        let since_navigation = console
            .client
            .execute("return performance.now();", vec![])
            .await?;
        times.push(Duration::from_secs_f64(
            since_navigation.as_f64().unwrap_or_default() / 1000.0,
        ));
    }
    console.screenshot(&format!("load-{page}")).await?;
    Ok(Timing { page, times })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        available(),
        "needs /usr/bin/chromium and /usr/bin/chromedriver"
    );
    let app = TestApp::new().await?;
    eprintln!("deciding {} claims...", args.decisions);
    let started = Instant::now();
    let refused = fill(&app, args.decisions).await?;
    let filled_in = started.elapsed();
    anyhow::ensure!(refused == 0, "{refused} claims were refused");
    let seller = app.seller_token(SHOP).await?;
    let served = app.serve(FrontDoor::default()).await?;
    let session = Session::start(served.address()).await?;
    let console = &session.console;

    console.sign_in(&seller, "overview").await?;
    console.open(&format!("/shops/{SHOP}/decisions")).await?;
    console.page("decisions").await?;
    let first = console
        .client
        .execute(
            "const link = document.querySelector('#decisions-table a.decision-link');
             return link ? link.getAttribute('href') : '';",
            vec![],
        )
        .await?;
    let decision = first
        .as_str()
        .unwrap_or_default()
        .trim_start_matches('#')
        .to_owned();

    let mut timings = Vec::new();
    for (page, hash) in [
        ("overview", format!("/shops/{SHOP}/overview")),
        ("settings", format!("/shops/{SHOP}/settings")),
        ("decisions", format!("/shops/{SHOP}/decisions")),
        ("decision", decision),
        ("backtests", format!("/shops/{SHOP}/backtests")),
        ("insights", format!("/shops/{SHOP}/insights")),
    ] {
        timings.push(time_page(console, page, &hash, args.rounds).await?);
    }

    // Preview: the edited settings backtested on the last 30 days (every decision).
    console.open(&format!("/shops/{SHOP}/settings")).await?;
    console.page("settings").await?;
    console.fill("#setting-promo_max", "20000").await?;
    let started = Instant::now();
    console.click("#preview").await?;
    console.some("#preview-changes tr.change").await?;
    let preview = started.elapsed();
    console.screenshot("load-settings-preview").await?;

    // The operator's platform pages.
    console.click("#sign-out").await?;
    console.sign_in(OPERATOR_TOKEN, "platform-insights").await?;
    for (page, hash) in [
        ("platform-insights", "/platform/insights"),
        ("platform-modules", "/platform/modules"),
        ("platform-audit", "/platform/audit"),
        ("platform-fraud-list", "/platform/fraud-list"),
        ("platform-guardrails", "/platform/guardrails"),
    ] {
        timings.push(time_page(console, page, hash, args.rounds).await?);
    }
    session.close().await?;

    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    if args.json {
        let pages: serde_json::Map<String, Value> = timings
            .iter()
            .map(|timing| {
                (
                    timing.page.to_owned(),
                    json!({"median_ms": ms(timing.median()), "slowest_ms": ms(timing.slowest())}),
                )
            })
            .collect();
        println!(
            "{}",
            json!({
                "decisions": args.decisions,
                "fill_seconds": filled_in.as_secs_f64(),
                "pages": pages,
                "preview_ms": ms(preview),
            })
        );
    } else {
        println!(
            "ledger: {} decisions in one shop, decided in {:.0} s",
            args.decisions,
            filled_in.as_secs_f64()
        );
        println!("{:<22} {:>10} {:>10}", "page", "median ms", "slowest ms");
        for timing in &timings {
            println!(
                "{:<22} {:>10.0} {:>10.0}",
                timing.page,
                ms(timing.median()),
                ms(timing.slowest())
            );
        }
        println!("settings preview (30-day backtest): {:.0} ms", ms(preview));
    }
    Ok(())
}
