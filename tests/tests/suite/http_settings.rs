//! `GET`/`PUT /v1/shops/{shop_id}/settings`: the policy validates, versions count up,
//! and the very next decision uses the new settings and records their version.

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const PATH: &str = "/v1/shops/set-shop/settings";

#[tokio::test]
async fn settings_the_policy_refuses_are_422_naming_the_key() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let cases = [
        ("promo_max zero", json!({"promo_max": 0}), Some("promo_max")),
        (
            "promo_max negative",
            json!({"promo_max": -1}),
            Some("promo_max"),
        ),
        (
            "unknown key",
            json!({"promo_max": 100000, "promo_maximum": 1}),
            Some("promo_maximum"),
        ),
        // The pair is one rule, `0 < promo_max <= refund_max`, named by promo_max.
        (
            "refund_max below promo_max",
            json!({"promo_max": 100000, "refund_max": 99999}),
            Some("promo_max"),
        ),
        (
            "refund_max below the default promo_max",
            json!({"refund_max": 49999}),
            Some("promo_max"),
        ),
        (
            "window out of range",
            json!({"return_window_days": 0}),
            Some("return_window_days"),
        ),
        (
            "wrong type",
            json!({"first_case_only": "yes"}),
            Some("first_case_only"),
        ),
        ("an array", json!([{"promo_max": 100000}]), None),
        ("a number", json!(100000), None),
        ("null", Value::Null, None),
    ];
    for (name, settings, key) in cases {
        let reply = app.put_json(PATH, Some(OPERATOR_TOKEN), &settings).await?;
        println!("{name}: {}", String::from_utf8_lossy(&reply.body));
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "settings_rejected", key);
    }

    // A body that is not JSON at all is bad input, not a rejected setting.
    let reply = app
        .send(
            Method::PUT,
            PATH,
            Some(OPERATOR_TOKEN),
            &[],
            Body::from("promo_max=100000"),
        )
        .await?;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(""));

    // Nothing was stored.
    let current = app.get(PATH, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(current.status, StatusCode::OK);
    assert_eq!(
        current.json()?,
        json!({"shop_id": "set-shop", "version": 0, "settings": {}})
    );
    Ok(())
}

#[tokio::test]
async fn each_accepted_put_is_the_next_version() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let unset = app.get(PATH, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(
        unset.json()?,
        json!({"shop_id": "set-shop", "version": 0, "settings": {}})
    );

    let first = json!({"promo_max": 100000});
    let reply = app.put_json(PATH, Some(OPERATOR_TOKEN), &first).await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()?,
        json!({"shop_id": "set-shop", "version": 1, "settings": first})
    );

    let second = json!({"promo_max": 60000, "refund_max": 300000, "first_case_only": false});
    let reply = app.put_json(PATH, Some(OPERATOR_TOKEN), &second).await?;
    assert_eq!(
        reply.json()?,
        json!({"shop_id": "set-shop", "version": 2, "settings": second})
    );

    // A rejected PUT does not take a version.
    let reply = app
        .put_json(PATH, Some(OPERATOR_TOKEN), &json!({"promo_max": 0}))
        .await?;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

    let current = app.get(PATH, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(current.status, StatusCode::OK);
    assert_eq!(
        current.json()?,
        json!({"shop_id": "set-shop", "version": 2, "settings": second})
    );

    // The empty object is valid (all defaults) and is a version too.
    let reply = app.put_json(PATH, Some(OPERATOR_TOKEN), &json!({})).await?;
    assert_eq!(reply.json()?["version"], 3);

    // Versions are per shop.
    let other = app.put_settings("set-other", &first).await?;
    assert_eq!(other, 1);
    Ok(())
}

#[tokio::test]
async fn the_next_decision_uses_the_new_settings() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    // A 700.00 RUB damaged vase; no wish for a promo code (which would get one anyway).
    let vase = |claim_id: &str, customer_id: &str| {
        let claim = sample_claim(claim_id, "set-shop", customer_id);
        let claim = with(claim, "items.0.unit_price", json!(70000));
        with(claim, "desired_outcome", Value::Null)
    };

    // Under the defaults (promo_max 500.00 RUB) it is a money refund.
    let before = app
        .decide(&marketplace, &vase("set-c1", "set-u1"))
        .await?
        .json()?;
    assert_eq!(before["outcome"], "compensate", "{before}");
    assert_eq!(before["policy"]["settings_version"], 0);
    let types: Vec<&Value> = before["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|action| &action["type"])
        .collect();
    assert!(types.contains(&&json!("refund")), "{before}");
    assert!(!types.contains(&&json!("promo_code")), "{before}");

    let version = app
        .put_settings("set-shop", &json!({"promo_max": 100000}))
        .await?;
    assert_eq!(version, 1);

    // The very next decision (another customer's first claim) is a promo code.
    let after = app
        .decide(&marketplace, &vase("set-c2", "set-u2"))
        .await?
        .json()?;
    assert_eq!(after["outcome"], "compensate", "{after}");
    assert_eq!(
        after["actions"],
        json!([{"type": "promo_code", "amount": 70000, "currency": "RUB"}]),
        "{after}"
    );
    assert_eq!(after["policy"]["settings_version"], 1);
    let promo_reason = after["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|reason| reason["text"].as_str())
        .any(|text| text.contains("1000.00 RUB"));
    assert!(promo_reason, "the reason names the new promo_max: {after}");

    // The ledger keeps the version with the decision, and its settings.
    let decision_id = after["decision_id"].as_str().unwrap_or_default();
    let explained = app
        .get(
            &format!("/v1/decisions/{decision_id}"),
            Some(OPERATOR_TOKEN),
        )
        .await?
        .json()?;
    assert_eq!(explained["policy"]["settings_version"], 1);
    assert_eq!(
        explained["policy"]["settings"],
        json!({"promo_max": 100000})
    );

    // The earlier decision still explains itself with the settings it used.
    let decision_id = before["decision_id"].as_str().unwrap_or_default();
    let explained = app
        .get(
            &format!("/v1/decisions/{decision_id}"),
            Some(OPERATOR_TOKEN),
        )
        .await?
        .json()?;
    assert_eq!(explained["policy"]["settings_version"], 0);
    assert_eq!(explained["policy"]["settings"], json!({}));

    // Another shop is untouched.
    let elsewhere = app
        .decide(
            &marketplace,
            &with(vase("set-c3", "set-u3"), "shop_id", json!("set-other")),
        )
        .await?
        .json()?;
    assert_eq!(elsewhere["policy"]["settings_version"], 0);
    assert!(
        !elsewhere["actions"].to_string().contains("promo_code"),
        "{elsewhere}"
    );
    Ok(())
}
