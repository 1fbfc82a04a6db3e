//! The hard-fraud list (`PUT`/`DELETE /v1/platform/fraud-list/{customer_id}`): a listed
//! customer's next claim is hard risk with the account blocked (rule F1); operators only.

use arbiter_tests::decisions::rules;
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim};
use axum::http::StatusCode;
use serde_json::{Value, json};

fn action_types(decision: &Value) -> Vec<String> {
    decision["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|action| action["type"].as_str().map(str::to_owned))
        .collect()
}

const MONEY: [&str; 5] = [
    "promo_code",
    "sorry_coupon",
    "refund",
    "return_shipping_refund",
    "replacement",
];

#[tokio::test]
async fn a_listed_customer_is_blocked_until_taken_off() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let path = "/v1/platform/fraud-list/fl-u1";

    let reply = app
        .put_json(
            path,
            Some(OPERATOR_TOKEN),
            &json!({"reason": "chargebacks on five orders"}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()?,
        json!({"customer_id": "fl-u1", "reason": "chargebacks on five orders"})
    );
    // Listing again is fine (the reason is replaced), not an error.
    let reply = app
        .put_json(
            path,
            Some(OPERATOR_TOKEN),
            &json!({"reason": "chargebacks"}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);

    // A claim that would otherwise get a promo code.
    let decision = app
        .decide(&marketplace, &sample_claim("fl-c1", "fl-shop", "fl-u1"))
        .await?
        .json()?;
    assert_eq!(decision["risk"], "hard", "{decision}");
    let types = action_types(&decision);
    assert!(
        types.iter().any(|kind| kind == "block_account"),
        "{decision}"
    );
    assert!(
        !types.iter().any(|kind| MONEY.contains(&kind.as_str())),
        "no money for a listed customer: {decision}"
    );
    assert!(
        rules(&decision).iter().any(|rule| rule == "F1"),
        "{decision}"
    );

    // The explanation shows the list and the signal.
    let id = decision["decision_id"].as_str().unwrap_or_default();
    let explained = app
        .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(explained["history"]["on_hard_fraud_list"], true);
    assert!(
        explained["signals"]
            .as_array()
            .is_some_and(|signals| signals.iter().any(|signal| signal["rule"] == "F1")),
        "{explained}"
    );

    // Another customer of the same shop is not affected.
    let other = app
        .decide(&marketplace, &sample_claim("fl-c2", "fl-shop", "fl-u2"))
        .await?
        .json()?;
    assert_eq!(other["risk"], "none", "{other}");
    assert!(!rules(&other).iter().any(|rule| rule == "F1"), "{other}");

    let reply = app.delete(path, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());
    let reply = app.delete(path, Some(OPERATOR_TOKEN)).await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);

    // Off the list, F1 no longer fires and the account is not blocked.
    let decision = app
        .decide(&marketplace, &sample_claim("fl-c3", "fl-shop", "fl-u1"))
        .await?
        .json()?;
    assert!(
        !rules(&decision).iter().any(|rule| rule == "F1"),
        "{decision}"
    );
    assert!(
        !action_types(&decision)
            .iter()
            .any(|kind| kind == "block_account"),
        "{decision}"
    );
    Ok(())
}

#[tokio::test]
async fn a_bad_entry_is_400() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let path = "/v1/platform/fraud-list/fl-u3";
    let cases = [
        ("a blank reason", json!({"reason": "  "}), "reason"),
        ("no reason", json!({}), "reason"),
        ("a reason that is not text", json!({"reason": 5}), "reason"),
        (
            "an unknown field",
            json!({"reason": "x", "until": "2027-01-01"}),
            "until",
        ),
    ];
    for (name, body, field) in cases {
        let reply = app.put_json(path, Some(OPERATOR_TOKEN), &body).await?;
        println!("{name}: {}", String::from_utf8_lossy(&reply.body));
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(field));
    }
    // Nothing was listed.
    let reply = app.delete(path, Some(OPERATOR_TOKEN)).await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    Ok(())
}

#[tokio::test]
async fn only_operators_touch_the_list() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let seller = app.seller_token("fl-shop").await?;
    let path = "/v1/platform/fraud-list/fl-u4";
    let entry = json!({"reason": "a rival's complaint"});

    for token in [&marketplace, &seller] {
        let reply = app.put_json(path, Some(token), &entry).await?;
        reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    }
    // The refused PUTs listed nobody.
    let decision = app
        .decide(&marketplace, &sample_claim("fl-c4", "fl-shop", "fl-u4"))
        .await?
        .json()?;
    assert_eq!(decision["risk"], "none", "{decision}");

    let reply = app.put_json(path, Some(OPERATOR_TOKEN), &entry).await?;
    assert_eq!(reply.status, StatusCode::OK);
    for token in [&marketplace, &seller] {
        let reply = app.delete(path, Some(token)).await?;
        reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    }
    // The refused DELETEs removed nothing.
    let reply = app.delete(path, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    Ok(())
}
