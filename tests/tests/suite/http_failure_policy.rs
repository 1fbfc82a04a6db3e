//! What a shop's claims get when its module fails: office staff (`fail_closed`, the
//! default) or the platform's default policy (`fallback_to_platform_default`); either way
//! the failure is named in the answer and counted against the module.

use arbiter_tests::decisions::rules;
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim};
use axum::http::StatusCode;
use serde_json::json;

fn moves_money(decision: &serde_json::Value) -> bool {
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
async fn a_failing_module_fails_closed_or_falls_back_as_the_shop_chose() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let standard = app.standard_module().await?;
    let hostile = app
        .upload_module(&std::fs::read(arbiter_artifacts::HOSTILE_FIXTURE_PATH)?)
        .await?;
    app.put_policy(
        "fp-shop",
        &json!({"module": hostile, "settings": {"behaviour": "panic"}}),
    )
    .await?;

    // The default: fail closed, to office staff.
    let policy = app
        .get("/v1/shops/fp-shop/failure-policy", Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(policy["failure_policy"], "fail_closed");
    let closed = app
        .decide(&marketplace, &sample_claim("fp-c1", "fp-shop", "fp-u1"))
        .await?
        .json()?;
    assert_eq!(closed["outcome"], "escalate", "{closed}");
    assert_eq!(closed["fallback_applied"], true);
    assert_eq!(closed["failure"], "guest_trap");
    assert_eq!(closed["policy"]["module"], json!(hostile));
    assert!(!moves_money(&closed));

    // Falling back: the platform's default policy answers, and says so.
    let reply = app
        .put_json(
            "/v1/shops/fp-shop/failure-policy",
            Some(OPERATOR_TOKEN),
            &json!({"failure_policy": "fallback_to_platform_default"}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    let fell_back = app
        .decide(&marketplace, &sample_claim("fp-c2", "fp-shop", "fp-u2"))
        .await?
        .json()?;
    assert_eq!(fell_back["outcome"], "compensate", "{fell_back}");
    assert_eq!(fell_back["fallback_applied"], true);
    assert_eq!(fell_back["failure"], "guest_trap");
    assert_eq!(fell_back["policy"]["module"], json!(standard));
    assert_eq!(fell_back["policy"]["settings_version"], 0);
    let rules = rules(&fell_back);
    assert!(rules.contains(&"R1.2".to_owned()), "{rules:?}");
    assert!(rules.contains(&"E0".to_owned()), "{rules:?}");

    // The module's record counts its failures.
    let module = app
        .get(&format!("/v1/modules/{hostile}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(module["failures"]["guest_trap"], 2, "{module}");

    // Input and scope are checked like everywhere else.
    let reply = app
        .put_json(
            "/v1/shops/fp-shop/failure-policy",
            Some(OPERATOR_TOKEN),
            &json!({"failure_policy": "pray"}),
        )
        .await?;
    reply.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Some("failure_policy"),
    );
    let seller = app.seller_token("other-shop").await?;
    let reply = app
        .get("/v1/shops/fp-shop/failure-policy", Some(&seller))
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    Ok(())
}
