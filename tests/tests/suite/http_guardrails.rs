//! The operator's spending caps (`/v1/platform/guardrails`): a shop's daily and a
//! customer's 30-day compensation; a decision that would pass one goes to office staff.

use arbiter_tests::decisions::rules;
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with};
use axum::http::StatusCode;
use serde_json::{Value, json};

fn moves_money(decision: &Value) -> bool {
    decision["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|action| {
            matches!(
                action["type"].as_str(),
                Some("promo_code" | "sorry_coupon" | "refund" | "return_shipping_refund")
            )
        })
}

#[tokio::test]
async fn operators_set_caps_and_others_may_not() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let reply = app
        .get("/v1/platform/guardrails", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()?,
        json!({"shop_daily_cap": null, "customer_30d_cap": null})
    );

    let caps = json!({"shop_daily_cap": 60000, "customer_30d_cap": null});
    let reply = app
        .put_json("/v1/platform/guardrails", Some(OPERATOR_TOKEN), &caps)
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = app
        .get("/v1/platform/guardrails", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(reply.json()?, caps);

    let reply = app
        .put_json(
            "/v1/platform/guardrails",
            Some(OPERATOR_TOKEN),
            &json!({"shop_daily_cap": -1}),
        )
        .await?;
    reply.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Some("shop_daily_cap"),
    );
    let reply = app
        .put_json(
            "/v1/platform/guardrails",
            Some(OPERATOR_TOKEN),
            &json!({"shop_daily_caps": 1}),
        )
        .await?;
    reply.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Some("shop_daily_caps"),
    );

    let seller = app.seller_token("g-shop").await?;
    let reply = app
        .put_json("/v1/platform/guardrails", Some(&seller), &caps)
        .await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    Ok(())
}

#[tokio::test]
async fn a_shop_past_its_daily_cap_sends_claims_to_office_staff() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    app.put_json(
        "/v1/platform/guardrails",
        Some(OPERATOR_TOKEN),
        &json!({"shop_daily_cap": 60000}),
    )
    .await?;

    // 350.00 RUB: within the cap.
    let first = app
        .decide(&marketplace, &sample_claim("g-c1", "g-shop", "g-u1"))
        .await?
        .json()?;
    assert_eq!(first["outcome"], "compensate");

    // Another 350.00 RUB the same day would make 700.00 RUB, over 600.00 RUB.
    let second = app
        .decide(&marketplace, &sample_claim("g-c2", "g-shop", "g-u2"))
        .await?
        .json()?;
    assert_eq!(second["outcome"], "escalate");
    assert!(!moves_money(&second), "{second}");
    assert!(rules(&second).contains(&"E3".to_owned()), "{second}");

    // Another shop is not affected, nor is the next day.
    let other_shop = app
        .decide(&marketplace, &sample_claim("g-c3", "g-other", "g-u3"))
        .await?
        .json()?;
    assert_eq!(other_shop["outcome"], "compensate");
    let next_day = with(
        with(
            sample_claim("g-c4", "g-shop", "g-u4"),
            "now",
            json!("2026-11-21T10:00:00Z"),
        ),
        "opened_at",
        json!("2026-11-21T09:55:00Z"),
    );
    let next_day = app.decide(&marketplace, &next_day).await?.json()?;
    assert_eq!(next_day["outcome"], "compensate", "{next_day}");

    // The explanation shows the caps and what was spent.
    let id = second["decision_id"].as_str().unwrap_or_default();
    let explained = app
        .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(explained["guardrails"]["shop_daily_cap"], 60000);
    assert_eq!(explained["history"]["spending"]["shop_today"], 35000);
    Ok(())
}

#[tokio::test]
async fn a_customer_past_the_30_day_cap_goes_to_office_staff() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    app.put_json(
        "/v1/platform/guardrails",
        Some(OPERATOR_TOKEN),
        &json!({"customer_30d_cap": 50000}),
    )
    .await?;
    let first = app
        .decide(&marketplace, &sample_claim("gc-c1", "gc-shop", "gc-u1"))
        .await?
        .json()?;
    assert_eq!(first["outcome"], "compensate");

    // A late delivery a week later: a 300.00 RUB sorry-coupon would make 650.00 RUB.
    let late = with(
        with(
            with(
                with(
                    sample_claim("gc-c2", "gc-shop", "gc-u1"),
                    "kind",
                    json!("delivery_problem"),
                ),
                "subkind",
                json!("rescheduled_without_notice"),
            ),
            "now",
            json!("2026-11-27T10:00:00Z"),
        ),
        "opened_at",
        json!("2026-11-27T09:55:00Z"),
    );
    let late = with(late, "order.delivered_at", json!("2026-11-26T18:00:00Z"));
    let second = app.decide(&marketplace, &late).await?.json()?;
    assert_eq!(second["outcome"], "escalate", "{second}");
    assert!(!moves_money(&second));
    assert!(rules(&second).contains(&"E4".to_owned()), "{second}");
    Ok(())
}
