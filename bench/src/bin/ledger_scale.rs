//! Ledger scale: what a decision costs on a ledger of a million decisions beside the same
//! on an empty ledger, in one run.
//!
//! - Preload: `--decisions` rows (1,000,000) written straight into the ledger's SQLite
//!   file with SQL, with the columns the ledger writes (`decisions`, `claims`,
//!   `photo_uses`, and the running totals rebuilt from the claims as migration 0010
//!   does): one shop with 100,000 claims decided earlier the same day, one photo hash in
//!   10,000 claims, one customer with 200 claims of the last 30 days, the rest spread
//!   over 10,000 shops and 250,000 customers over a year. The JSON texts are short
//!   stand-ins: a decision reads `decisions` only by its idempotency key.
//! - Timing: `Service::decide` in process, one at a time, alternating between the two
//!   ledgers; every timed claim is in the heavy shop, by the heavy customer, with the
//!   shared photo. Both ledgers first decide the same 200 warm-up claims (so the
//!   customer's earlier claims are at their cap of 200 on both, and the empty ledger
//!   holds those 200 decisions when timing starts). The history read is also timed
//!   alone: a decision's p50 is mostly its commit's fsync, which varies with the disk.
//!
//! Usage: `cargo run --release -p arbiter-bench --bin ledger_scale -- [--quick] [--json]`.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use arbiter::contract::parse_request;
use arbiter::engine::Limits;
use arbiter::history::CustomerHistory;
use arbiter::service::Service;
use arbiter_bench::stats::percentile;
use arbiter_tests::http::{photo_hash, sample_claim, with};
use clap::Parser;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

#[derive(Debug, Parser)]
struct Args {
    /// 300 timed decisions on each ledger instead of 1,000 (the ledger is as large).
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// How many decisions to preload.
    #[arg(long, default_value_t = 1_000_000)]
    decisions: i64,
}

/// The claims the timed decisions pile onto.
const HEAVY_SHOP: &str = "heavy-shop";
const HEAVY_CUSTOMER: &str = "heavy-customer";
/// The preload's shares of the ledger: the heavy shop's claims of the day, the shared
/// photo's claims, the heavy customer's claims.
const SHOP_CLAIMS: i64 = 100_000;
const PHOTO_CLAIMS: i64 = 10_000;
const CUSTOMER_CLAIMS: i64 = 200;
/// 2026-11-20T00:00:00Z: the day of `sample_claim`'s `now` (10:00).
const DAY0_MS: i64 = 1_795_132_800_000;
const DAY_MS: i64 = 86_400_000;
/// Rows per preload transaction.
const CHUNK: i64 = 50_000;
/// Decisions made on both ledgers before the timing (the cap on earlier claims).
const WARMUP: usize = 200;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.decisions >= SHOP_CLAIMS + PHOTO_CLAIMS + CUSTOMER_CLAIMS,
        "--decisions must be at least {}",
        SHOP_CLAIMS + PHOTO_CLAIMS + CUSTOMER_CLAIMS
    );
    let timed = if args.quick { 300 } else { 1_000 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(measure(args.decisions, timed, args.json))?;
    if args.json {
        println!("{report}");
    }
    Ok(())
}

async fn measure(decisions: i64, timed: usize, quiet: bool) -> anyhow::Result<Value> {
    let say = |line: String| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let (large_dir, empty_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);

    // The schema as the service makes it, then the rows straight into the file.
    Service::open(large_dir.path(), Limits::default())
        .await?
        .close()
        .await;
    let shared_photo = photo_hash("shared");
    let started = Instant::now();
    preload(
        &large_dir.path().join("arbiter.db"),
        decisions,
        &shared_photo,
    )
    .await?;
    let preload_time = started.elapsed();
    say(format!(
        "preloaded {decisions} decisions in {:.1} s",
        preload_time.as_secs_f64()
    ));

    let large = Service::open(large_dir.path(), Limits::default()).await?;
    let empty = Service::open(empty_dir.path(), Limits::default()).await?;
    let claim = |n: usize| {
        with(
            sample_claim(&format!("timed-{n}"), HEAVY_SHOP, HEAVY_CUSTOMER),
            "evidence.photos.0.sha256",
            json!(shared_photo),
        )
        .to_string()
    };
    for n in 0..WARMUP {
        let body = claim(n);
        large.decide(body.as_bytes(), None, None).await?;
        empty.decide(body.as_bytes(), None, None).await?;
    }

    let (mut on_large, mut on_empty) = (Timed::new(timed), Timed::new(timed));
    let mut last_large = String::new();
    for n in WARMUP..WARMUP + timed {
        let body = claim(n);
        let request = parse_request(body.as_bytes())?;
        // Alternate which ledger goes first, so neither always follows the other.
        let mut order = [
            (true, &large, &mut on_large),
            (false, &empty, &mut on_empty),
        ];
        if n % 2 == 1 {
            order.reverse();
        }
        for (is_large, service, times) in order {
            // The history read alone (no fsync in it), then the whole decision.
            let started = Instant::now();
            service.ledger().history(&request).await?;
            times.history.push(started.elapsed());
            let started = Instant::now();
            let reply = service.decide(body.as_bytes(), None, None).await?;
            times.decide.push(started.elapsed());
            if is_large {
                last_large = reply.body;
            }
        }
    }
    check_history(&large, &last_large, decisions).await?;
    large.close().await;
    empty.close().await;

    let (large, empty) = (on_large.summary(), on_empty.summary());
    let ratio = large.p50_us / empty.p50_us.max(f64::MIN_POSITIVE);
    say(format!(
        "decide p50: {:.0} us on the empty ledger, {:.0} us on {decisions} decisions: {ratio:.2}x (goal <= 1.25x: {}); p99 {:.0} us and {:.0} us",
        empty.p50_us,
        large.p50_us,
        if ratio <= 1.25 { "met" } else { "missed" },
        empty.p99_us,
        large.p99_us,
    ));
    say(format!(
        "history read alone, p50: {:.0} us on the empty ledger, {:.0} us on {decisions} decisions: {:.2}x",
        empty.history_p50_us,
        large.history_p50_us,
        large.history_p50_us / empty.history_p50_us.max(f64::MIN_POSITIVE),
    ));
    say(format!(
        "({timed} decisions timed on each, in process, one at a time; heavy shop {SHOP_CLAIMS} claims today, shared photo in {PHOTO_CLAIMS} claims, heavy customer {CUSTOMER_CLAIMS} claims; synchronous=FULL)"
    ));
    Ok(json!({
        "ledger_1m": {
            "decisions": decisions,
            "preload_s": preload_time.as_secs_f64(),
            "p50_us": large.p50_us,
            "p99_us": large.p99_us,
            "history_p50_us": large.history_p50_us,
            "p50_ratio_to_empty": ratio,
        },
        "ledger_empty": {
            "p50_us": empty.p50_us,
            "p99_us": empty.p99_us,
            "history_p50_us": empty.history_p50_us,
        },
        "timed": timed,
    }))
}

/// One ledger's timings: whole decisions, and the history read alone.
#[derive(Debug)]
struct Timed {
    decide: Vec<Duration>,
    history: Vec<Duration>,
}

/// What is printed of one ledger's timings, in microseconds.
#[derive(Debug, Clone, Copy)]
struct Summary {
    p50_us: f64,
    p99_us: f64,
    history_p50_us: f64,
}

impl Timed {
    fn new(capacity: usize) -> Self {
        Self {
            decide: Vec::with_capacity(capacity),
            history: Vec::with_capacity(capacity),
        }
    }

    fn summary(mut self) -> Summary {
        self.decide.sort_unstable();
        self.history.sort_unstable();
        Summary {
            p50_us: us(percentile(&self.decide, 50.0)),
            p99_us: us(percentile(&self.decide, 99.0)),
            history_p50_us: us(percentile(&self.history, 50.0)),
        }
    }
}

/// Writes `decisions` decisions, one claim each (`shared_photo` in 10,000 of them), into the ledger at `path` (schema in
/// place, no service open), in transactions of `CHUNK` rows with `synchronous=OFF`
/// (the preload only: the service opens the file as always afterwards).
async fn preload(path: &Path, decisions: i64, shared_photo: &str) -> anyhow::Result<()> {
    let mut connection = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .synchronous(SqliteSynchronous::Off)
        // Room for the indexes being built (256 MiB), so few of their pages are reread.
        .pragma("cache_size", "-262144")
        .connect()
        .await?;
    let mut first = 0;
    while first < decisions {
        let end = (first + CHUNK).min(decisions);
        let mut tx = connection.begin().await?;
        for (table, columns, select) in TABLES {
            let sql = format!("INSERT INTO {table} ({columns}) {ROWS} SELECT {select} FROM c");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(first)
                .bind(end)
                .bind(SHOP_CLAIMS)
                .bind(SHOP_CLAIMS + PHOTO_CLAIMS)
                .bind(SHOP_CLAIMS + PHOTO_CLAIMS + CUSTOMER_CLAIMS)
                .bind(DAY0_MS)
                .bind(DAY_MS)
                .bind(shared_photo)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        first = end;
    }
    let mut tx = connection.begin().await?;
    for sql in REBUILD_TOTALS {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut connection)
        .await?;
    sqlx::query("ANALYZE").execute(&mut connection).await?;
    connection.close().await?;
    Ok(())
}

/// The preload's rows, one statement per table: `INSERT INTO table (columns)` with
/// `columns` selected from `ROWS`.
const TABLES: [(&str, &str, &str); 3] = [
    (
        "decisions",
        "decision_id, idempotency_key, request_hash, claim_id, revision, shop_id, customer_id,
         outcome, risk, module_digest, settings_version, mode, failure, latency_us,
         decided_at_ms, request_json, response_json, history_json, signals_json,
         guardrails_json, settings_json, fraud_module_digest, fraud_settings_json,
         guest_output, failure_detail",
        "printf('d-pre-%07d', i), printf('key-pre-%07d', i), printf('%064x', i), claim_id, 1,
         shop_id, customer_id, outcome, 'none', 'sha256:preload', 0, 'active', NULL, 900,
         now_ms, printf('{\"claim_id\":\"%s\"}', claim_id),
         printf('{\"decision_id\":\"d-pre-%07d\"}', i), '{}', '[]', '{}', '{}',
         'sha256:preload-fraud', '{}', NULL, NULL",
    ),
    (
        "claims",
        "claim_id, customer_id, shop_id, kind, opened_at_ms, revision, outcome, money_given,
         currency, sorry_coupon_given, decided_now_ms",
        "claim_id, customer_id, shop_id, 'damaged', now_ms - 300000, 1, outcome, money_given,
         'RUB', 0, now_ms",
    ),
    (
        "photo_uses",
        "sha256, customer_id, claim_id",
        "photo, customer_id, claim_id",
    ),
];

/// The preload's claims numbered `?1..?2`, generated in SQLite. Claims below `?3` are
/// the heavy shop's (decided today before 10:00), below `?4` show the shared photo
/// (`?8`), below `?5` are the heavy customer's (over the last 30 days); `?6` is today's
/// start, `?7` a day. Half give 350.00 RUB.
const ROWS: &str = "
    WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2),
    c AS (
        SELECT i,
               printf('pre-%07d', i) AS claim_id,
               CASE WHEN i < ?3 THEN 'heavy-shop' ELSE printf('shop-%d', i % 10000) END
                   AS shop_id,
               CASE WHEN i >= ?4 AND i < ?5 THEN 'heavy-customer'
                    ELSE printf('u-%d', i % 250000) END AS customer_id,
               CASE WHEN i < ?3 THEN ?6 + (i % 36000) * 1000
                    WHEN i < ?5 THEN ?6 - (i % 30) * ?7 - 3600000
                    ELSE ?6 - (i % 365) * ?7 - (i % 86400) * 1000 END AS now_ms,
               CASE WHEN i % 2 = 0 THEN 35000 ELSE 0 END AS money_given,
               CASE WHEN i % 2 = 0 THEN 'compensate' ELSE 'reject' END AS outcome,
               CASE WHEN i >= ?3 AND i < ?4 THEN ?8 ELSE printf('%064x', i) END AS photo
        FROM n)";

/// The running totals from the claims, as migration 0010 computes them.
const REBUILD_TOTALS: [&str; 4] = [
    "DELETE FROM shop_day_totals",
    "DELETE FROM customer_day_totals",
    "INSERT INTO shop_day_totals (shop_id, utc_day, money_given)
     SELECT shop_id, (decided_now_ms - ((decided_now_ms % 86400000) + 86400000) % 86400000) / 86400000,
            SUM(money_given)
     FROM claims GROUP BY 1, 2 HAVING SUM(money_given) <> 0",
    "INSERT INTO customer_day_totals (customer_id, utc_day, money_given)
     SELECT customer_id, (decided_now_ms - ((decided_now_ms % 86400000) + 86400000) % 86400000) / 86400000,
            SUM(money_given)
     FROM claims GROUP BY 1, 2 HAVING SUM(money_given) <> 0",
];

/// Checks that the last timed decision on the large ledger saw the heavy history: the
/// customer's 200 earlier claims, the photo in others' claims, the shop's day.
async fn check_history(service: &Service, reply: &str, decisions: i64) -> anyhow::Result<()> {
    let answer: Value = serde_json::from_str(reply)?;
    let id = answer["decision_id"].as_str().unwrap_or_default();
    let Some(stored) = service.ledger().decision(id).await? else {
        anyhow::bail!("decision {id} is not in the ledger");
    };
    let history: CustomerHistory = serde_json::from_str(&stored.history_json)?;
    let shop_money = SHOP_CLAIMS / 2 * 35_000;
    anyhow::ensure!(
        history.earlier_claims.len() == 200
            && history
                .photos
                .iter()
                .all(|photo| photo.seen_in_others_claims)
            && history.spending.shop_today >= shop_money,
        "on {decisions} decisions, {id} saw {} earlier claims, photos {:?}, spending {:?}",
        history.earlier_claims.len(),
        history.photos,
        history.spending
    );
    Ok(())
}

fn us(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000_000.0
}
