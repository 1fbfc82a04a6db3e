//! The history's reads against what they replaced: the running totals equal the sums
//! over `claims` (revisions that change money and move days, several shops and
//! customers), photo flags as the old aggregate gave them, the migration's backfill,
//! and every read's plan an index seek. Each runs on both stores (PostgreSQL in a
//! scratch schema of its own), except the query plans, which are SQLite's.

use serde_json::json;
use sqlx::Row;

use super::{EARLIER_CLAIMS, PHOTO_SEEN, SPENDING};
use crate::contract::{
    Action, DecisionRequest, DecisionResponse, Outcome, PolicyMode, PolicyRef, Risk, Timestamp,
};
use crate::engine::ModuleDigest;
use crate::guardrails::Guardrails;
use crate::history::{CustomerHistory, DAY_MS, Spending};
use crate::ledger::scratch::ScratchSchema;
use crate::ledger::{DecisionRecord, Dialect, Ledger, Recorded, Storage};

/// 2026-11-20T00:00:00Z, the day the probes look from.
const DAY0: i64 = 1_795_132_800_000;
const HOUR_MS: i64 = 3_600_000;

/// What keeps a test's store alive: its directory or its schema.
#[derive(Debug)]
#[expect(dead_code, reason = "held only to be dropped at the end of the test")]
enum Place {
    Directory(tempfile::TempDir),
    Schema(ScratchSchema),
}

/// An empty store of `dialect` and where it lives; `None` where no PostgreSQL answers
/// (outside CI, see [`ScratchSchema::create`]).
async fn place(dialect: Dialect) -> Option<(Place, Storage)> {
    match dialect {
        Dialect::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let storage = Storage::in_data_dir(dir.path());
            Some((Place::Directory(dir), storage))
        }
        Dialect::Postgres => {
            let schema = ScratchSchema::create().await.unwrap()?;
            let storage = schema.storage();
            Some((Place::Schema(schema), storage))
        }
    }
}

/// Runs each test on an empty ledger of each store.
macro_rules! on_both_stores {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::run(crate::ledger::Dialect::Sqlite, super::$test).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::run(crate::ledger::Dialect::Postgres, super::$test).await;
                }
            )*
        }
    };
}

on_both_stores!(
    running_totals_equal_the_sums_over_claims_through_revisions_and_days,
    whole_days_count_what_the_old_sums_left_out_at_the_edges,
    photo_flags_are_what_the_aggregate_over_every_use_gave,
);

async fn run<F: std::future::Future<Output = ()>>(dialect: Dialect, test: fn(Ledger) -> F) {
    let Some((_place, storage)) = place(dialect).await else {
        return;
    };
    let ledger = Ledger::open(&storage).await.unwrap();
    test(ledger.clone()).await;
    ledger.close().await;
}

/// One revision of a claim as the ledger is asked to record it.
#[derive(Debug, Clone, Copy)]
struct Decided<'a> {
    claim: &'a str,
    revision: u32,
    shop: &'a str,
    customer: &'a str,
    now_ms: i64,
    money: i64,
    photos: &'a [&'a str],
}

fn at(unix_millis: i64) -> String {
    Timestamp::from_unix_millis(unix_millis)
        .unwrap()
        .to_string()
}

fn request(decided: &Decided<'_>) -> DecisionRequest {
    let photos: Vec<_> = decided
        .photos
        .iter()
        .map(|sha256| json!({"sha256": sha256, "shows_labels": true}))
        .collect();
    serde_json::from_value(json!({
        "claim_id": decided.claim, "revision": decided.revision, "shop_id": decided.shop,
        "now": at(decided.now_ms), "opened_at": at(decided.now_ms - 60_000),
        "kind": "damaged", "desired_outcome": "promo_code",
        "order": {"order_id": format!("o-{}", decided.claim), "currency": "RUB", "total": 459000,
                  "placed_at": "2025-01-01T00:00:00Z", "delivered_at": null,
                  "fulfilment": "3p", "courier": "seller"},
        "items": [{"sku": "vase-1", "title": "Vase", "unit_price": 35000,
                   "quantity_ordered": 1, "quantity_affected": 1, "category": "home"}],
        "customer": {"customer_id": decided.customer, "account_created_at": "2024-02-01T00:00:00Z"},
        "evidence": {"photos": photos, "used_signs": []}
    }))
    .unwrap()
}

/// Records `decided` under its own idempotency key (`n` keeps keys apart).
async fn record(ledger: &Ledger, n: usize, decided: &Decided<'_>) {
    let request = request(decided);
    let actions = if decided.money > 0 {
        vec![Action::PromoCode {
            amount: decided.money,
            currency: "RUB".to_owned(),
        }]
    } else {
        Vec::new()
    };
    let response = DecisionResponse {
        decision_id: format!("d-{n}"),
        claim_id: decided.claim.to_owned(),
        revision: decided.revision,
        outcome: Outcome::Compensate,
        actions,
        payer: None,
        eta_days: None,
        risk: Risk::None,
        reasons: Vec::new(),
        policy: PolicyRef {
            module: "sha256:test".to_owned(),
            settings_version: 0,
            mode: PolicyMode::Active,
        },
        fallback_applied: false,
        failure: None,
    };
    let recorded = ledger
        .record(DecisionRecord {
            idempotency_key: &format!("k-{n}"),
            request_hash: "hash",
            request: &request,
            response: &response,
            response_json: "{}",
            history: &CustomerHistory::default(),
            guardrails: &Guardrails::default(),
            settings_json: "{}",
            fraud_module_digest: &ModuleDigest::of(b"fraud"),
            fraud_settings_json: "{}",
            signals: &[],
            assessment: None,
            guest_output: None,
            failure_detail: None,
            latency_us: 1,
            decided_at_ms: decided.now_ms,
            rollout: None,
            request_id: None,
        })
        .await
        .unwrap();
    assert_eq!(recorded, Recorded::New);
}

async fn spending(ledger: &Ledger, probe: &Decided<'_>) -> Spending {
    ledger.history(&request(probe)).await.unwrap().spending
}

/// The sums the running totals replaced, over `claims`, between the given instants
/// (inclusive); the old query's own bounds were `[day start, now]` and `[now - 30 days,
/// now]`.
async fn summed(
    ledger: &Ledger,
    probe: &Decided<'_>,
    shop_from: i64,
    customer_from: i64,
    to: i64,
) -> Spending {
    let row = sqlx::query(
        "SELECT
             (SELECT COALESCE(CAST(SUM(money_given) AS BIGINT), 0) FROM claims
              WHERE shop_id = $1 AND claim_id <> $3 AND decided_now_ms >= $4 AND decided_now_ms <= $6)
                 AS shop_today,
             (SELECT COALESCE(CAST(SUM(money_given) AS BIGINT), 0) FROM claims
              WHERE customer_id = $2 AND claim_id <> $3 AND decided_now_ms >= $5 AND decided_now_ms <= $6)
                 AS customer_30d",
    )
    .bind(probe.shop)
    .bind(probe.customer)
    .bind(probe.claim)
    .bind(shop_from)
    .bind(customer_from)
    .bind(to)
    .fetch_one(ledger.pool())
    .await
    .unwrap();
    Spending {
        shop_today: row.get("shop_today"),
        customer_30d: row.get("customer_30d"),
    }
}

/// The old sums with whole UTC days: the shop's day of `now`, the customer's 31 days.
async fn summed_by_whole_days(ledger: &Ledger, probe: &Decided<'_>) -> Spending {
    let today = probe.now_ms.div_euclid(DAY_MS);
    summed(
        ledger,
        probe,
        today * DAY_MS,
        (today - 30) * DAY_MS,
        (today + 1) * DAY_MS - 1,
    )
    .await
}

/// A small deterministic generator (numbers from Knuth's MMIX LCG).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        i64::try_from((self.0 >> 33) % below).unwrap()
    }
}

const SHOPS: [&str; 3] = ["shop-a", "shop-b", "shop-c"];
const CUSTOMERS: [&str; 5] = ["u-1", "u-2", "u-3", "u-4", "u-5"];

async fn running_totals_equal_the_sums_over_claims_through_revisions_and_days(ledger: Ledger) {
    let mut dice = Dice(11);
    let claims: Vec<String> = (0..60).map(|n| format!("c-{n}")).collect();
    let mut n = 0;
    for (i, claim) in claims.iter().enumerate() {
        let (shop, customer) = (SHOPS[i % 3], CUSTOMERS[(i * 7) % 5]);
        let mut now_ms = DAY0 - dice.roll(40) * DAY_MS + dice.roll(24) * HOUR_MS;
        let revisions = 1 + dice.roll(3);
        for revision in 1..=revisions {
            let decided = Decided {
                claim,
                revision: u32::try_from(revision).unwrap(),
                shop,
                customer,
                now_ms,
                money: dice.roll(5) * 10_000,
                photos: &[],
            };
            record(&ledger, n, &decided).await;
            n += 1;
            // A later revision, the same day or up to two days on.
            now_ms += dice.roll(3) * DAY_MS + dice.roll(3) * HOUR_MS;
        }
        if revisions > 1 && i % 4 == 0 {
            // Revision 1 arriving again, late, with other money on another day: older
            // than the stored revision, it changes nothing.
            let stale = Decided {
                claim,
                revision: 1,
                shop,
                customer,
                now_ms: DAY0,
                money: 77_700,
                photos: &[],
            };
            record(&ledger, n, &stale).await;
            n += 1;
        }
    }

    let mut probes = 0;
    for day in -12..=1 {
        let now_ms = DAY0 + day * DAY_MS + dice.roll(24) * HOUR_MS;
        for shop in SHOPS {
            for customer in CUSTOMERS {
                for claim in ["c-new", claims[dice.roll(60) as usize].as_str()] {
                    let probe = Decided {
                        claim,
                        revision: 9,
                        shop,
                        customer,
                        now_ms,
                        money: 0,
                        photos: &[],
                    };
                    let expected = summed_by_whole_days(&ledger, &probe).await;
                    assert_eq!(spending(&ledger, &probe).await, expected, "{probe:?}");
                    if expected.shop_today > 0 && expected.customer_30d > 0 {
                        probes += 1;
                    }
                }
            }
        }
    }
    assert!(probes > 20, "only {probes} probes saw money on both sides");

    // The totals hold exactly what the migration's backfill would compute from claims.
    for (table, key) in [
        ("shop_day_totals", "shop_id"),
        ("customer_day_totals", "customer_id"),
    ] {
        let totals: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {key}, utc_day, money_given FROM {table} WHERE money_given <> 0 ORDER BY 1, 2"
        )))
        .fetch_all(ledger.pool())
        .await
        .unwrap();
        let regrouped: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {key}, (decided_now_ms - ((decided_now_ms % 86400000) + 86400000) % 86400000) / 86400000,
                    CAST(SUM(money_given) AS BIGINT)
             FROM claims GROUP BY 1, 2 HAVING SUM(money_given) <> 0 ORDER BY 1, 2"
        )))
        .fetch_all(ledger.pool())
        .await
        .unwrap();
        assert!(totals.len() > 10, "{table}: {totals:?}");
        assert_eq!(totals, regrouped, "{table}");
    }
}

async fn whole_days_count_what_the_old_sums_left_out_at_the_edges(ledger: Ledger) {
    let now_ms = DAY0 + 10 * HOUR_MS;
    let claim = |claim, now_ms, money| Decided {
        claim,
        revision: 1,
        shop: "shop-a",
        customer: "u-1",
        now_ms,
        money,
        photos: &[],
    };
    // Later today (after `now`), early on the window's first day, and the day before.
    record(
        &ledger,
        0,
        &claim("later-today", now_ms + 5 * HOUR_MS, 1_000),
    )
    .await;
    record(
        &ledger,
        1,
        &claim("first-day", now_ms - 30 * DAY_MS - 9 * HOUR_MS, 20_000),
    )
    .await;
    record(
        &ledger,
        2,
        &claim("too-old", now_ms - 30 * DAY_MS - 11 * HOUR_MS, 300_000),
    )
    .await;
    // And this claim's own earlier revision, today: never counted.
    record(&ledger, 3, &claim("this", now_ms - HOUR_MS, 4_000_000)).await;

    let probe = Decided {
        revision: 2,
        ..claim("this", now_ms, 0)
    };
    let old = summed(&ledger, &probe, DAY0, now_ms - 30 * DAY_MS, now_ms).await;
    assert_eq!(
        old,
        Spending {
            shop_today: 0,
            customer_30d: 0
        }
    );
    assert_eq!(
        spending(&ledger, &probe).await,
        Spending {
            shop_today: 1_000,
            customer_30d: 21_000
        }
    );
}

#[tokio::test]
async fn migration_0010_backfills_the_totals_on_sqlite() {
    backfill_on(Dialect::Sqlite).await;
}

#[tokio::test]
async fn migration_0010_backfills_the_totals_on_postgres() {
    backfill_on(Dialect::Postgres).await;
}

/// Migrates an empty store up to 0009, records claims as they were kept then, and
/// checks what 0010 computes from them.
async fn backfill_on(dialect: Dialect) {
    let Some((_place, storage)) = place(dialect).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let earlier = dir.path().join("migrations");
    std::fs::create_dir(&earlier).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect.name());
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "0010" {
            std::fs::copy(&path, earlier.join(&name)).unwrap();
        }
    }
    let pool = storage.pool(1).await.unwrap();
    sqlx::migrate::Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    // Two claims on one day of one shop, one the next day, one before 1970 (a day of its
    // own, not day 0), one from before decisions kept their `now` (0), one with no money.
    for (claim, shop, customer, decided_now_ms, money) in [
        ("c-1", "shop-a", "u-1", DAY0 + HOUR_MS, 1_000),
        ("c-2", "shop-a", "u-2", DAY0 + 20 * HOUR_MS, 20_000),
        ("c-3", "shop-a", "u-1", DAY0 + DAY_MS, 300_000),
        ("c-4", "shop-b", "u-1", -HOUR_MS, 4_000),
        ("c-5", "shop-b", "u-1", 0, 50),
        ("c-6", "shop-b", "u-3", DAY0, 0),
    ] {
        sqlx::query(
            "INSERT INTO claims (claim_id, customer_id, shop_id, kind, opened_at_ms, revision,
                 outcome, money_given, currency, sorry_coupon_given, decided_now_ms)
             VALUES ($1, $2, $3, 'damaged', 0, 1, 'compensate', $4, 'RUB', 0, $5)",
        )
        .bind(claim)
        .bind(customer)
        .bind(shop)
        .bind(money)
        .bind(decided_now_ms)
        .execute(&pool)
        .await
        .unwrap();
    }
    dialect.migrator().run(&pool).await.unwrap();

    let day0 = DAY0 / DAY_MS;
    let shops: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT shop_id, utc_day, money_given FROM shop_day_totals ORDER BY 1, 2")
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected = [
        ("shop-a", day0, 21_000),
        ("shop-a", day0 + 1, 300_000),
        ("shop-b", -1, 4_000),
        ("shop-b", 0, 50),
    ];
    assert_eq!(shops, owned(&expected));
    let customers: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT customer_id, utc_day, money_given FROM customer_day_totals ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected = [
        ("u-1", -1, 4_000),
        ("u-1", 0, 50),
        ("u-1", day0, 1_000),
        ("u-1", day0 + 1, 300_000),
        ("u-2", day0, 20_000),
    ];
    assert_eq!(customers, owned(&expected));
    pool.close().await;
}

fn owned(rows: &[(&str, i64, i64)]) -> Vec<(String, i64, i64)> {
    rows.iter()
        .map(|(key, day, money)| ((*key).to_owned(), *day, *money))
        .collect()
}

/// What the old aggregate over all of a hash's uses answered.
async fn photo_flags_by_aggregate(ledger: &Ledger, probe: &Decided<'_>) -> (bool, bool) {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(CASE WHEN customer_id = $1 THEN 1 ELSE 0 END), 0) AS own,
                COALESCE(MAX(CASE WHEN customer_id <> $1 THEN 1 ELSE 0 END), 0) AS others
         FROM photo_uses WHERE sha256 = $2 AND claim_id <> $3",
    )
    .bind(probe.customer)
    .bind(probe.photos[0])
    .bind(probe.claim)
    .fetch_one(ledger.pool())
    .await
    .unwrap();
    (
        row.get::<i64, _>("own") != 0,
        row.get::<i64, _>("others") != 0,
    )
}

async fn photo_flags_are_what_the_aggregate_over_every_use_gave(ledger: Ledger) {
    let uses: [(&str, &str, &str); 8] = [
        // (claim, customer, hash)
        ("m-old", "m", "own-only"),
        ("a-1", "a", "before-only"),
        ("z-1", "z", "after-only"),
        ("m-old", "m", "both"),
        ("z-2", "z", "both"),
        // The probed claim's own earlier revision, and another customer's claim that
        // used the same hash under the probed claim's id (revisions keep their customer).
        ("m-this", "m", "this-claim-only"),
        ("a-2", "a", "many"),
        ("b-2", "b", "many"),
    ];
    for (n, (claim, customer, hash)) in uses.iter().enumerate() {
        let decided = Decided {
            claim,
            revision: 1,
            shop: "shop-a",
            customer,
            now_ms: DAY0,
            money: 0,
            photos: &[hash],
        };
        record(&ledger, n, &decided).await;
    }
    let cases = [
        ("own-only", (true, false)),
        ("before-only", (false, true)),
        ("after-only", (false, true)),
        ("both", (true, true)),
        ("this-claim-only", (false, false)),
        ("many", (false, true)),
        ("never-seen", (false, false)),
    ];
    for (hash, expected) in cases {
        let photos = [hash];
        let probe = Decided {
            claim: "m-this",
            revision: 2,
            shop: "shop-a",
            customer: "m",
            now_ms: DAY0 + HOUR_MS,
            money: 0,
            photos: &photos,
        };
        let history = ledger.history(&request(&probe)).await.unwrap();
        let seen = (
            history.photos[0].seen_in_own_claims,
            history.photos[0].seen_in_others_claims,
        );
        assert_eq!(seen, expected, "{hash}");
        assert_eq!(
            photo_flags_by_aggregate(&ledger, &probe).await,
            expected,
            "{hash}"
        );
    }
}

/// `EXPLAIN QUERY PLAN` of `sql` with `binds`, one line per step.
async fn plan(ledger: &Ledger, sql: &str, binds: &[&str]) -> Vec<String> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
    for bind in binds {
        query = query.bind(*bind);
    }
    query
        .fetch_all(ledger.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<String, _>("detail"))
        .collect()
}

#[tokio::test]
async fn every_read_is_an_index_seek() {
    let Some((_place, storage)) = place(Dialect::Sqlite).await else {
        return;
    };
    let ledger = Ledger::open(&storage).await.unwrap();
    let plans = [
        (
            "earlier claims",
            plan(&ledger, EARLIER_CLAIMS, &["u", "c", "0", "1", "200"]).await,
            "claims_by_customer",
        ),
        (
            "photos",
            plan(&ledger, PHOTO_SEEN, &["h", "u", "c"]).await,
            "sqlite_autoindex_photo_uses_1",
        ),
        (
            "spending",
            plan(&ledger, SPENDING, &["s", "u", "c", "1", "0", "0", "1", "0"]).await,
            "sqlite_autoindex_shop_day_totals_1",
        ),
    ];
    for (name, plan, index) in plans {
        assert!(
            plan.iter().all(|step| step == "SCAN CONSTANT ROW"
                || !step.starts_with("SCAN") && !step.contains("TEMP B-TREE")),
            "{name}: {plan:#?}"
        );
        assert!(
            plan.iter()
                .any(|step| step.starts_with("SEARCH") && step.contains(index)),
            "{name}: {plan:#?}"
        );
    }
}
