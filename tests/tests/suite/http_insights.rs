//! The console's reads: insights checked against figures computed by hand from the
//! decisions the test made (each claim once, at its latest revision, on the day it was
//! opened; money split between items by affected value), the shop's decision listing
//! with its filters and pages, `whoami` and the hard-fraud list.

use std::collections::BTreeMap;

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with};
use axum::http::StatusCode;
use serde_json::{Value, json};

const SHOP: &str = "ins-shop";
const OTHER: &str = "ins-other";

/// The money a decision gives, summed over its money actions.
fn money(decision: &Value) -> i64 {
    decision["actions"]
        .as_array()
        .map(|actions| {
            actions
                .iter()
                .filter_map(|action| action["amount"].as_i64())
                .sum()
        })
        .unwrap_or(0)
}

fn claim(claim_id: &str, shop: &str, customer: &str, kind: &str, opened: &str) -> Value {
    let claim = sample_claim(claim_id, shop, customer);
    let claim = with(claim, "kind", json!(kind));
    let claim = with(claim, "opened_at", json!(format!("{opened}T09:00:00Z")));
    with(claim, "now", json!(format!("{opened}T10:00:00Z")))
}

fn item(sku: &str, category: &str, price: i64) -> Value {
    json!({"sku": sku, "title": sku, "unit_price": price, "quantity_ordered": 1,
           "quantity_affected": 1, "category": category})
}

async fn decide(app: &TestApp, body: &Value) -> anyhow::Result<Value> {
    let reply = app.decide(OPERATOR_TOKEN, body).await?;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    reply.json()
}

/// What the test expects per key: claims and money.
type Expected = BTreeMap<String, (i64, i64)>;

fn figures(list: &Value) -> Expected {
    list.as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|entry| {
                    (
                        entry["key"].as_str().unwrap_or_default().to_owned(),
                        (
                            entry["claims"].as_i64().unwrap_or(-1),
                            entry["money"]["RUB"].as_i64().unwrap_or(0),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn insights_match_the_figures_computed_by_hand() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    // Claim 1: a damaged vase on the 20th. Claim 2: short goods of two SKUs on the 21st,
    // 100.00 and 300.00 affected. Claim 3: a second claim of customer u-1 on the 21st,
    // first decided as damaged, then its revision 2 says wrong item: only the latest
    // counts. Claim 4: another shop's.
    let first = decide(&app, &claim("ins-1", SHOP, "u-1", "damaged", "2026-11-20")).await?;
    let short = with(
        claim("ins-2", SHOP, "u-2", "short_shipment", "2026-11-21"),
        "items",
        json!([
            item("soap-1", "beauty", 10000),
            item("cream-1", "beauty", 30000)
        ]),
    );
    let second = decide(&app, &short).await?;
    decide(&app, &claim("ins-3", SHOP, "u-1", "damaged", "2026-11-21")).await?;
    let revised = with(
        with(
            claim("ins-3", SHOP, "u-1", "wrong_item", "2026-11-21"),
            "revision",
            json!(2),
        ),
        "subkind",
        json!("different_item"),
    );
    let third = decide(&app, &revised).await?;
    let other = decide(&app, &claim("ins-4", OTHER, "u-4", "damaged", "2026-11-20")).await?;

    let (m1, m2, m3, m4) = (money(&first), money(&second), money(&third), money(&other));
    // Claim 2's money split 1:3 by affected value, what rounding leaves to the first.
    let cream = m2 * 3 / 4;
    let soap = m2 - cream;

    let reply = app
        .get(
            &format!("/v1/shops/{SHOP}/insights?from=2026-11-20T00:00:00Z&to=2026-11-21T23:00:00Z"),
            Some(OPERATOR_TOKEN),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    let insights = reply.json()?;
    assert_eq!(insights["scope"], json!("shop"));
    assert_eq!(insights["totals"]["claims"], json!(3));
    assert_eq!(insights["totals"]["money"]["RUB"], json!(m1 + m2 + m3));
    let series: Vec<(String, i64)> = insights["series"]
        .as_array()
        .map(|points| {
            points
                .iter()
                .map(|point| {
                    (
                        point["start"].as_str().unwrap_or_default().to_owned(),
                        point["claims"].as_i64().unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        series,
        vec![("2026-11-20".to_owned(), 1), ("2026-11-21".to_owned(), 2)]
    );

    let expected_kinds: Expected = [
        ("damaged".to_owned(), (1, m1)),
        ("short_shipment".to_owned(), (1, m2)),
        ("wrong_item".to_owned(), (1, m3)),
    ]
    .into();
    assert_eq!(figures(&insights["by_kind"]), expected_kinds);
    let expected_skus: Expected = [
        ("vase-1".to_owned(), (2, m1 + m3)),
        ("soap-1".to_owned(), (1, soap)),
        ("cream-1".to_owned(), (1, cream)),
    ]
    .into();
    assert_eq!(figures(&insights["top_skus_by_claims"]), expected_skus);
    assert_eq!(
        insights["top_skus_by_claims"][0]["key"],
        json!("vase-1"),
        "the SKU with the most claims comes first"
    );
    let expected_categories: Expected = [
        ("home".to_owned(), (2, m1 + m3)),
        ("beauty".to_owned(), (1, m2)),
    ]
    .into();
    assert_eq!(figures(&insights["by_category"]), expected_categories);
    assert_eq!(insights["repeat_customers"]["customers"], json!(2));
    assert_eq!(insights["repeat_customers"]["repeat_customers"], json!(1));
    assert_eq!(
        insights["repeat_customers"]["top"],
        json!([{"customer_id": "u-1", "claims": 2}])
    );

    // By week: the 20th (a Friday) and the 21st share the week of Monday the 16th.
    let weekly = app
        .get(
            &format!("/v1/shops/{SHOP}/insights?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z&bucket=week"),
            Some(OPERATOR_TOKEN),
        )
        .await?
        .json()?;
    assert_eq!(weekly["series"][0]["start"], json!("2026-11-16"));
    assert_eq!(weekly["series"][0]["claims"], json!(3));

    // The platform: both shops, and which shop's claims are damaged or short.
    let platform = app
        .get(
            "/v1/platform/insights?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z",
            Some(OPERATOR_TOKEN),
        )
        .await?
        .json()?;
    assert_eq!(platform["totals"]["claims"], json!(4));
    assert_eq!(platform["totals"]["money"]["RUB"], json!(m1 + m2 + m3 + m4));
    let shops: BTreeMap<String, (i64, i64, i64)> = platform["by_shop"]
        .as_array()
        .map(|shops| {
            shops
                .iter()
                .map(|shop| {
                    (
                        shop["shop_id"].as_str().unwrap_or_default().to_owned(),
                        (
                            shop["claims"].as_i64().unwrap_or(-1),
                            shop["damaged"].as_i64().unwrap_or(-1),
                            shop["short_shipment"].as_i64().unwrap_or(-1),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        shops,
        [(SHOP.to_owned(), (3, 1, 1)), (OTHER.to_owned(), (1, 1, 0))].into()
    );

    // A range outside the claims: zeros, every day still shown.
    let empty = app
        .get(
            &format!("/v1/shops/{SHOP}/insights?from=2026-10-01T00:00:00Z&to=2026-10-03T00:00:00Z"),
            Some(OPERATOR_TOKEN),
        )
        .await?
        .json()?;
    assert_eq!(empty["totals"]["claims"], json!(0));
    assert_eq!(empty["series"].as_array().map(Vec::len), Some(3));
    Ok(())
}

/// A ledger from before the insights (migration 0015): its claims are counted when it
/// opens, exactly as the decisions' own transactions count them.
#[tokio::test]
async fn claims_recorded_before_the_insights_are_counted_when_the_ledger_opens()
-> anyhow::Result<()> {
    let app = TestApp::in_dir(tempfile::tempdir()?).await?;
    decide(&app, &claim("old-1", SHOP, "u-1", "damaged", "2026-11-20")).await?;
    let short = with(
        claim("old-2", SHOP, "u-2", "short_shipment", "2026-11-21"),
        "items",
        json!([
            item("soap-1", "beauty", 10000),
            item("cream-1", "beauty", 30000)
        ]),
    );
    decide(&app, &short).await?;
    decide(&app, &claim("old-3", SHOP, "u-1", "damaged", "2026-11-21")).await?;
    let revised = with(
        with(
            claim("old-3", SHOP, "u-1", "other", "2026-11-21"),
            "revision",
            json!(2),
        ),
        "desired_outcome",
        json!(null),
    );
    decide(&app, &revised).await?;
    let path =
        format!("/v1/shops/{SHOP}/insights?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z");
    let counted_live = app.get(&path, Some(OPERATOR_TOKEN)).await?.json()?;
    assert_eq!(counted_live["totals"]["claims"], json!(3));

    let app = app
        .restart_after(|data_dir| async move {
            use sqlx::Connection as _;
            let file = data_dir.join("arbiter.db");
            let mut ledger =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display())).await?;
            for forget in ["DELETE FROM insight_days", "DELETE FROM claim_insights"] {
                let removed = sqlx::query(forget).execute(&mut ledger).await?;
                anyhow::ensure!(removed.rows_affected() > 0, "nothing to {forget}");
            }
            // What migration 0015 leaves on a ledger that has claims: work to do.
            sqlx::query("INSERT INTO insights_backfill (counted_up_to) VALUES ('')")
                .execute(&mut ledger)
                .await?;
            ledger.close().await?;
            Ok(())
        })
        .await?;
    let counted_at_open = app.get(&path, Some(OPERATOR_TOKEN)).await?.json()?;
    assert_eq!(counted_at_open, counted_live);

    // Counted once: the backfill marked itself done, opening again changes nothing, and
    // a new revision moves the claim.
    let app = app
        .restart_after(|data_dir| async move {
            use sqlx::{Connection as _, Row as _};
            let file = data_dir.join("arbiter.db");
            let mut ledger =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display())).await?;
            let left: i64 = sqlx::query("SELECT COUNT(*) AS left FROM insights_backfill")
                .fetch_one(&mut ledger)
                .await?
                .try_get("left")?;
            anyhow::ensure!(left == 0, "the backfill did not mark itself done");
            ledger.close().await?;
            Ok(())
        })
        .await?;
    assert_eq!(
        app.get(&path, Some(OPERATOR_TOKEN)).await?.json()?,
        counted_live
    );
    let third = with(revised, "revision", json!(3));
    decide(&app, &third).await?;
    assert_eq!(
        app.get(&path, Some(OPERATOR_TOKEN)).await?.json()?["totals"]["claims"],
        json!(3)
    );
    Ok(())
}

#[tokio::test]
async fn insights_refuse_bad_ranges_and_other_shops() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let seller = app.seller_token(SHOP).await?;
    let path = |query: &str| format!("/v1/shops/{SHOP}/insights?{query}");
    for (query, field) in [
        ("from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z", "from"),
        ("from=yesterday", "from"),
        ("bucket=month", "bucket"),
        ("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("colour=blue", "query"),
    ] {
        let reply = app.get(&path(query), Some(&seller)).await?;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(field));
    }
    assert_eq!(
        app.get(&path(""), Some(&seller)).await?.status,
        StatusCode::OK
    );
    let elsewhere = app
        .get(&format!("/v1/shops/{OTHER}/insights"), Some(&seller))
        .await?;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let platform = app.get("/v1/platform/insights", Some(&seller)).await?;
    assert_eq!(platform.status, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn a_shops_decisions_are_listed_newest_first_filtered_and_paged() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    for n in 0..5 {
        decide(
            &app,
            &claim(
                &format!("ls-{n}"),
                SHOP,
                &format!("u-ls-{n}"),
                "damaged",
                "2026-11-20",
            ),
        )
        .await?;
    }
    decide(
        &app,
        &claim("ls-short", SHOP, "u-ls-s", "short_shipment", "2026-11-20"),
    )
    .await?;
    decide(
        &app,
        &claim("ls-elsewhere", OTHER, "u-ls-o", "damaged", "2026-11-20"),
    )
    .await?;
    let list = |query: &str| {
        let path = format!("/v1/shops/{SHOP}/decisions?{query}");
        let app = &app;
        async move { app.get(&path, Some(OPERATOR_TOKEN)).await }
    };
    let claims = |body: &Value| -> Vec<String> {
        body["decisions"]
            .as_array()
            .map(|decisions| {
                decisions
                    .iter()
                    .map(|d| d["claim_id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };

    let all = list("").await?.json()?;
    assert_eq!(claims(&all).len(), 6, "the other shop's is not listed");
    assert_eq!(claims(&all)[0], "ls-short", "newest first");
    assert_eq!(all["decisions"][0]["kind"], json!("short_shipment"));
    assert_eq!(all["next_cursor"], Value::Null);

    let short = list("kind=short_shipment").await?.json()?;
    assert_eq!(claims(&short), vec!["ls-short"]);
    let one = list("claim_id=ls-3").await?.json()?;
    assert_eq!(claims(&one), vec!["ls-3"]);
    let outcome = all["decisions"][1]["outcome"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let by_outcome = list(&format!("outcome={outcome}")).await?.json()?;
    assert!(
        by_outcome["decisions"]
            .as_array()
            .is_some_and(|d| !d.is_empty() && d.iter().all(|d| d["outcome"] == json!(outcome)))
    );
    let none = list("changed_by_shadow=true").await?.json()?;
    assert_eq!(claims(&none), Vec::<String>::new());

    // Pages of two, following the cursor, give the same six in the same order.
    let mut paged = Vec::new();
    let mut query = "limit=2".to_owned();
    loop {
        let page = list(&query).await?.json()?;
        paged.extend(claims(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=2&cursor={cursor}"),
            None => break,
        }
        assert!(paged.len() <= 6, "the pages end");
    }
    assert_eq!(paged, claims(&all));

    for (query, field) in [
        ("outcome=maybe", "outcome"),
        ("kind=broken", "kind"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("cursor=nonsense", "cursor"),
        ("from=soon", "from"),
    ] {
        list(query)
            .await?
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(field));
    }
    let seller = app.seller_token(OTHER).await?;
    let hidden = app
        .get(&format!("/v1/shops/{SHOP}/decisions"), Some(&seller))
        .await?;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn whoami_names_the_role_and_the_fraud_list_is_listed() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let seller = app.seller_token(SHOP).await?;
    let marketplace = app.marketplace_token().await?;
    let me = |token: Option<String>| {
        let app = &app;
        async move { app.get("/v1/whoami", token.as_deref()).await }
    };
    let operator = me(Some(OPERATOR_TOKEN.to_owned())).await?.json()?;
    assert_eq!(operator["role"], json!("operator"));
    let shop_seller = me(Some(seller.clone())).await?.json()?;
    assert_eq!(shop_seller["role"], json!("seller"));
    assert_eq!(shop_seller["shop_id"], json!(SHOP));
    assert_eq!(
        me(Some(marketplace)).await?.json()?["role"],
        json!("marketplace")
    );
    assert_eq!(me(None).await?.status, StatusCode::UNAUTHORIZED);

    for (customer, reason) in [("u-f1", "chargebacks"), ("u-f2", "<b>reused photos</b>")] {
        let added = app
            .put_json(
                &format!("/v1/platform/fraud-list/{customer}"),
                Some(OPERATOR_TOKEN),
                &json!({"reason": reason}),
            )
            .await?;
        assert_eq!(added.status, StatusCode::OK);
    }
    let listed = app
        .get("/v1/platform/fraud-list", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(listed.status, StatusCode::OK);
    let entries = listed.json()?["entries"].clone();
    let customers: Vec<&str> = entries
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["customer_id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(customers.len(), 2);
    assert!(customers.contains(&"u-f1") && customers.contains(&"u-f2"));
    assert!(
        entries.as_array().is_some_and(|e| e
            .iter()
            .any(|e| e["reason"] == json!("<b>reused photos</b>")
                && e["added_by"] == json!("operator")))
    );
    let refused = app.get("/v1/platform/fraud-list", Some(&seller)).await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    Ok(())
}
