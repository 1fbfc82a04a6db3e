//! Backtests over HTTP: a settings change re-deciding a shop's recorded claims, with
//! the changed count, outcomes and money worked out by hand from the rulebook; a replay
//! audit that changes nothing; settings refused at the key; sellers kept to their shop;
//! the platform's default policy backtested over every shop that runs it; a WASI guest
//! reading the clocks and random numbers replayed exactly.

use std::time::{Duration, Instant};

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with};
use axum::http::StatusCode;
use serde_json::{Value, json};

const SHOP: &str = "bt-shop";

/// Starts a backtest of `SHOP` and waits for its report.
async fn backtest(app: &TestApp, token: &str, body: &Value) -> anyhow::Result<Value> {
    backtest_at(app, &format!("/v1/shops/{SHOP}/backtests"), token, body).await
}

/// Starts a backtest by posting `body` to `path` and waits for its report.
pub(crate) async fn backtest_at(
    app: &TestApp,
    path: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let started = app.post_json(path, Some(token), body).await?;
    assert_eq!(
        started.status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&started.body)
    );
    let started = started.json()?;
    assert_eq!(started["status"], json!("running"));
    let id = started["backtest_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let waited = Instant::now();
    loop {
        let shown = app.get(&format!("/v1/backtests/{id}"), Some(token)).await?;
        assert_eq!(shown.status, StatusCode::OK);
        let shown = shown.json()?;
        match shown["status"].as_str() {
            Some("done") => return Ok(shown),
            Some("running") if waited.elapsed() < Duration::from_secs(60) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => anyhow::bail!("backtest {id} ended {other:?}: {shown}"),
        }
    }
}

#[tokio::test]
async fn a_lower_refund_max_escalates_the_refund_above_it_and_the_report_says_so_exactly()
-> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    // Claims of 350, 1,200 and 1,800 RUB whose customers ask for their money back:
    // below promo_max (500) a promo code, up to refund_max (2,000) a refund; the third
    // claim is decided twice (revision 2).
    let claim = |claim_id: &str, price: i64, revision: u32| {
        let claim = sample_claim(claim_id, SHOP, &format!("u-{claim_id}"));
        let claim = with(claim, "items.0.unit_price", json!(price));
        let claim = with(claim, "desired_outcome", json!("refund"));
        with(claim, "revision", json!(revision))
    };
    let claims = [("bt-1", 35_000), ("bt-2", 120_000), ("bt-3", 180_000)];
    for (claim_id, price) in claims {
        let reply = app.decide(&marketplace, &claim(claim_id, price, 1)).await?;
        assert_eq!(reply.status, StatusCode::OK);
        let decision = reply.json()?;
        assert_eq!(decision["outcome"], json!("compensate"), "{decision}");
        let expected = if price < 50_000 {
            "promo_code"
        } else {
            "refund"
        };
        let money = decision["actions"]
            .as_array()
            .and_then(|actions| actions.iter().find(|action| action.get("amount").is_some()))
            .cloned()
            .unwrap_or_default();
        assert_eq!(money["type"], json!(expected), "{decision}");
        assert_eq!(money["amount"], json!(price), "{decision}");
    }
    let revised = claim("bt-3", 180_000, 2);
    assert_eq!(
        app.decide(&marketplace, &revised).await?.status,
        StatusCode::OK
    );

    // refund_max 1,500 RUB: the 1,800 RUB claim (both revisions) goes to office staff.
    let seller = app.seller_token(SHOP).await?;
    let shown = backtest(&app, &seller, &json!({"settings": {"refund_max": 150_000}})).await?;
    let report = &shown["report"];
    assert_eq!(shown["progress"], json!({"done": 4, "total": 4}));
    assert_eq!(report["decisions"], json!(4));
    // Changed: both revisions of the 1,800 RUB claim, and the 1,200 RUB claim's reason,
    // which names refund_max (its outcome and money stay).
    assert_eq!(report["changed"], json!(3));
    assert_eq!(report["changed_actions"], json!(2));
    assert_eq!(report["claims"], json!(3));
    assert_eq!(report["outcomes"]["before"], json!({"compensate": 4}));
    assert_eq!(
        report["outcomes"]["after"],
        json!({"compensate": 2, "escalate": 2})
    );
    // Money over each claim's latest revision: 350 + 1,200 + 1,800 before; the 1,800
    // refund is gone after.
    assert_eq!(report["money"]["before"], json!({"RUB": 335_000}));
    assert_eq!(report["money"]["after"], json!({"RUB": 155_000}));
    assert_eq!(report["money"]["delta"], json!({"RUB": -180_000}));
    assert_eq!(
        report["money"]["by_action"]["refund"],
        json!({"before": {"RUB": 300_000}, "after": {"RUB": 120_000}, "delta": {"RUB": -180_000}})
    );
    assert_eq!(
        report["money"]["by_action"]["promo_code"]["delta"],
        json!({"RUB": 0})
    );
    assert_eq!(
        report["escalation_rate"],
        json!({"before": 0.0, "after": 0.5})
    );
    let changes = report["changes"].as_array().cloned().unwrap_or_default();
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0]["claim_id"], json!("bt-2"));
    assert_eq!(
        changes[0]["before"]["actions"],
        changes[0]["after"]["actions"]
    );
    assert_ne!(
        changes[0]["before"]["reasons"],
        changes[0]["after"]["reasons"]
    );
    assert_eq!(changes[1]["claim_id"], json!("bt-3"));
    assert_eq!(changes[1]["before"]["outcome"], json!("compensate"));
    assert_eq!(changes[1]["after"]["outcome"], json!("escalate"));
    assert!(
        !changes[1]["after"]["reasons"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    // Paged.
    let id = shown["backtest_id"].as_str().unwrap_or_default();
    let page = app
        .get(
            &format!("/v1/backtests/{id}?changes_offset=1&changes_limit=5"),
            Some(&seller),
        )
        .await?
        .json()?;
    assert_eq!(page["report"]["changes"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["report"]["changes"][1]["revision"], json!(2));

    // Nothing live changed: the ledger holds the same four decisions.
    assert_eq!(app.decision_count().await?, 4);

    // A replay audit (no candidate) reproduces every decision.
    let audit = backtest(&app, &seller, &json!({})).await?;
    assert_eq!(audit["report"]["decisions"], json!(4));
    assert_eq!(audit["report"]["changed"], json!(0));
    assert_eq!(audit["report"]["changed_actions"], json!(0));
    assert_eq!(audit["report"]["money"]["delta"], json!({"RUB": 0}));

    // Listed for the shop, newest first.
    let listed = app
        .get(&format!("/v1/shops/{SHOP}/backtests"), Some(&seller))
        .await?
        .json()?;
    assert_eq!(listed["backtests"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed["backtests"][0]["backtest_id"], audit["backtest_id"]);
    Ok(())
}

#[tokio::test]
async fn settings_are_checked_first_and_sellers_see_their_own_shop_only() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let seller = app.seller_token(SHOP).await?;
    let refused = app
        .post_json(
            &format!("/v1/shops/{SHOP}/backtests"),
            Some(&seller),
            &json!({"settings": {"promo_max": 0}}),
        )
        .await?;
    refused.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "settings_rejected",
        Some("promo_max"),
    );
    let unknown = app
        .post_json(
            &format!("/v1/shops/{SHOP}/backtests"),
            Some(&seller),
            &json!({"module": format!("sha256:{}", "0".repeat(64))}),
        )
        .await?;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let backwards = app
        .post_json(
            &format!("/v1/shops/{SHOP}/backtests"),
            Some(&seller),
            &json!({"from": "2026-11-21T00:00:00Z", "to": "2026-11-20T00:00:00Z"}),
        )
        .await?;
    backwards.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("to"));

    let started = app
        .post_json(
            &format!("/v1/shops/{SHOP}/backtests"),
            Some(&seller),
            &json!({}),
        )
        .await?;
    assert_eq!(started.status, StatusCode::ACCEPTED);
    let id = started.json()?["backtest_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let other = app.seller_token("bt-other").await?;
    let hidden = app
        .get(&format!("/v1/backtests/{id}"), Some(&other))
        .await?;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let elsewhere = app
        .post_json(
            &format!("/v1/shops/{SHOP}/backtests"),
            Some(&other),
            &json!({}),
        )
        .await?;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let marketplace = app.marketplace_token().await?;
    let forbidden = app
        .get(&format!("/v1/shops/{SHOP}/backtests"), Some(&marketplace))
        .await?;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    // The operator sees any shop's.
    let operator = app
        .get(&format!("/v1/backtests/{id}"), Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(operator.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_backtest_running_when_the_server_stops_is_failed_with_that_reason_at_restart()
-> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let record = arbiter::ledger::BacktestRecord {
        backtest_id: "b-interrupted".into(),
        shop_id: SHOP.into(),
        module_digest: None,
        settings_json: None,
        from_ms: i64::MIN,
        to_ms: i64::MAX,
        status: arbiter::ledger::BacktestStatus::Running,
        done: 200,
        total: 1_000,
        report_json: None,
        error: None,
        created_by: "operator".into(),
        created_at_ms: 0,
        finished_at_ms: None,
    };
    app.service().ledger().insert_backtest(&record).await?;
    let app = app.restart().await?;
    let shown = app
        .get("/v1/backtests/b-interrupted", Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(shown["status"], json!("failed"));
    assert_eq!(shown["error"], json!(arbiter::ledger::INTERRUPTED));
    assert_eq!(shown["progress"], json!({"done": 200, "total": 1_000}));
    assert_eq!(shown["report"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn the_platform_default_is_backtested_over_every_shop_that_runs_it() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let refund = |claim_id: &str, shop_id: &str| {
        let claim = sample_claim(claim_id, shop_id, &format!("u-{claim_id}"));
        let claim = with(claim, "items.0.unit_price", json!(120_000));
        with(claim, "desired_outcome", json!("refund"))
    };
    // On the platform's defaults; on the platform's module with settings of its own
    // (refund_max 3,000 RUB); on a module of its own.
    app.put_settings("pf-own", &json!({"refund_max": 300_000}))
        .await?;
    let florist = app
        .upload_module(&arbiter_tests::modules::florist())
        .await?;
    app.put_policy("pf-florist", &json!({"module": florist, "settings": {}}))
        .await?;
    for (claim_id, shop_id) in [
        ("pf-1", "pf-default"),
        ("pf-2", "pf-own"),
        ("pf-3", "pf-florist"),
    ] {
        let reply = app.decide(&marketplace, &refund(claim_id, shop_id)).await?;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }

    // refund_max 1,000 RUB for the platform: the shop on its defaults now escalates its
    // 1,200 RUB refund; the shop with its own refund_max keeps it; the florist shop is
    // not the platform's to backtest.
    let shown = backtest_at(
        &app,
        "/v1/platform/backtests",
        OPERATOR_TOKEN,
        &json!({"settings": {"refund_max": 100_000}}),
    )
    .await?;
    assert_eq!(shown["scope"], "platform");
    assert_eq!(shown["progress"], json!({"done": 2, "total": 2}));
    let report = &shown["report"];
    assert_eq!(report["decisions"], 2);
    assert_eq!(report["changed"], 1);
    assert_eq!(report["changes"][0]["claim_id"], "pf-1");
    assert_eq!(report["outcomes"]["after"]["escalate"], 1);
    assert_eq!(report["money"]["delta"]["RUB"], -120_000);

    // Operators only: a seller is refused, and does not see it.
    let seller = app.seller_token("pf-default").await?;
    let reply = app
        .post_json("/v1/platform/backtests", Some(&seller), &json!({}))
        .await?;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    let id = shown["backtest_id"].as_str().unwrap_or_default();
    let reply = app
        .get(&format!("/v1/backtests/{id}"), Some(&seller))
        .await?;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let listed = app
        .get("/v1/platform/backtests", Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(listed["backtests"][0]["backtest_id"], json!(id));
    Ok(())
}

/// A guest that reads the clocks and random numbers (through std, as any program does)
/// sees what the host derives from the decision's inputs: the wall clock reads the
/// claim's `now`, the monotonic clock steps by a fixed amount, and the randomness is the
/// same for the same claim and another for another claim. So a replay audit re-decides
/// its decisions byte for byte.
#[tokio::test]
async fn a_wasi_guest_reading_clocks_and_random_is_replayed_exactly() -> anyhow::Result<()> {
    const OBSERVER: &str = "observer-shop";
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let module = app
        .upload_module(&std::fs::read(
            arbiter_artifacts::OBSERVES_CLOCK_AND_RANDOM_FIXTURE_PATH,
        )?)
        .await?;
    app.put_policy(OBSERVER, &json!({"module": module, "settings": {}}))
        .await?;
    let reason = |answer: &Value| {
        answer["reasons"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let random = |text: &str| {
        text.split("random ")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_default()
            .to_owned()
    };

    let first = app
        .decide(&marketplace, &sample_claim("ob-c1", OBSERVER, "ob-u1"))
        .await?
        .json()?;
    assert_eq!(first["reasons"][0]["rule"], "OB1", "{first}");
    // The claim's `now`, 2026-11-20T10:00:00Z, and one step of the monotonic clock.
    assert_eq!(
        reason(&first).split(';').next(),
        Some("wall clock 1795168800000 ms"),
        "{first}"
    );
    assert!(
        reason(&first).ends_with("monotonic step 1000 ns"),
        "{first}"
    );
    let later = with(
        sample_claim("ob-c2", OBSERVER, "ob-u2"),
        "now",
        json!("2026-11-21T10:00:00Z"),
    );
    let second = app.decide(&marketplace, &later).await?.json()?;
    assert!(
        reason(&second).starts_with("wall clock 1795255200000 ms;"),
        "{second}"
    );
    assert_ne!(random(&reason(&first)), random(&reason(&second)));
    assert_eq!(random(&reason(&first)).len(), 16, "{first}");

    let audit = backtest_at(
        &app,
        &format!("/v1/shops/{OBSERVER}/backtests"),
        OPERATOR_TOKEN,
        &json!({"module": null, "settings": null}),
    )
    .await?;
    assert_eq!(audit["report"]["decisions"], 2, "{audit}");
    assert_eq!(audit["report"]["changed"], 0, "{audit}");
    assert_eq!(audit["report"]["not_replayed"], 0, "{audit}");
    Ok(())
}
