//! The front door's input rules: a body meant as an object must be one (an array is
//! never read by position), ids in paths and token scopes follow the claim's own rule,
//! a module that traps while checking settings is a 422 with its code, and only a
//! missing decision is a 404.

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Every route whose body is an object, with an array in its place: each is refused,
/// naming the body, and changes nothing.
#[tokio::test]
async fn arrays_where_objects_are_meant_are_refused_naming_the_body() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let standard = app.standard_module().await?;
    app.put_json(
        "/v1/platform/guardrails",
        Some(OPERATOR_TOKEN),
        &json!({"shop_daily_cap": 100, "customer_30d_cap": 200}),
    )
    .await?;
    let routes: [(&str, &str, Value); 8] = [
        ("PUT", "/v1/platform/guardrails", json!([])),
        ("PUT", "/v1/platform/guardrails", json!([5, 6])),
        ("POST", "/v1/tokens", json!(["seller", "shop-x"])),
        ("PUT", "/v1/platform/fraud-list/u-1", json!(["fraud"])),
        (
            "PUT",
            "/v1/shops/shop-a/failure-policy",
            json!(["fallback_to_platform_default"]),
        ),
        ("POST", "/v1/shops/shop-a/policy/rollback", json!([0])),
        (
            "PUT",
            "/v1/shops/shop-a/policy",
            json!([standard, {}, "active"]),
        ),
        (
            "PUT",
            "/v1/platform/policies/compensation",
            json!([null, {}]),
        ),
    ];
    for (method, path, body) in routes {
        let reply = match method {
            "PUT" => app.put_json(path, Some(OPERATOR_TOKEN), &body).await?,
            _ => app.post_json(path, Some(OPERATOR_TOKEN), &body).await?,
        };
        println!(
            "{method} {path} {body}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(""));
        let message = reply.json()?["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.contains("array") && message.contains("object"),
            "{message}"
        );
    }

    // Nothing changed.
    let guardrails = app
        .get("/v1/platform/guardrails", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(
        guardrails.json()?,
        json!({"shop_daily_cap": 100, "customer_30d_cap": 200})
    );
    let fraud_list = app
        .delete("/v1/platform/fraud-list/u-1", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(fraud_list.status, StatusCode::NOT_FOUND);
    let policy = app
        .get("/v1/shops/shop-a/policy", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(policy.json()?["active"]["version"], json!(0));
    let failure = app
        .get("/v1/shops/shop-a/failure-policy", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(failure.json()?["failure_policy"], json!("fail_closed"));
    Ok(())
}

#[tokio::test]
async fn ids_in_paths_and_token_scopes_follow_the_claims_rule() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let long = "s".repeat(129);
    for path in [
        "/v1/shops/%00/settings".to_owned(),
        "/v1/shops//settings".to_owned(),
        "/v1/shops/%20/settings".to_owned(),
        "/v1/shops/a%0Ab/settings".to_owned(),
        "/v1/shops/*/settings".to_owned(),
        format!("/v1/shops/{long}/settings"),
    ] {
        let reply = app
            .put_json(&path, Some(OPERATOR_TOKEN), &json!({}))
            .await?;
        println!("{path}: {}", String::from_utf8_lossy(&reply.body));
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("shop_id"));
        let reply = app.get(&path, Some(OPERATOR_TOKEN)).await?;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("shop_id"));
    }
    for path in [
        "/v1/shops/%00/policy",
        "/v1/shops/%00/policy/versions",
        "/v1/shops/%00/failure-policy",
    ] {
        let reply = app.get(path, Some(OPERATOR_TOKEN)).await?;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("shop_id"));
    }
    let reply = app
        .put_json(
            "/v1/platform/fraud-list/a%0Ab",
            Some(OPERATOR_TOKEN),
            &json!({"reason": "x"}),
        )
        .await?;
    reply.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Some("customer_id"),
    );
    let reply = app.get("/v1/decisions/%00", Some(OPERATOR_TOKEN)).await?;
    reply.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Some("decision_id"),
    );

    for shop_id in ["a\nb", "*", "", " ", &long] {
        let reply = app
            .post_json(
                "/v1/tokens",
                Some(OPERATOR_TOKEN),
                &json!({"role": "seller", "shop_id": shop_id}),
            )
            .await?;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("shop_id"));
    }
    // A claim's shop id follows the same rule.
    let claim = sample_claim("c-star", "*", "u-star");
    let reply = app.decide(OPERATOR_TOKEN, &claim).await?;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("shop_id"));

    // A good id still works.
    let reply = app
        .get("/v1/shops/shop-ok/settings", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_module_that_traps_checking_settings_is_a_422_with_its_code() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let hostile = app
        .upload_module(&std::fs::read(arbiter_artifacts::HOSTILE_FIXTURE_PATH)?)
        .await?;
    let reply = app
        .put_json(
            "/v1/shops/shop-h/policy",
            Some(OPERATOR_TOKEN),
            &json!({"module": hostile, "settings": {"behaviour": "panic_in_validate"}}),
        )
        .await?;
    println!("{}", String::from_utf8_lossy(&reply.body));
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "guest_trap", None);
    let policy = app
        .get("/v1/shops/shop-h/policy", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(policy.json()?["active"]["version"], json!(0));
    Ok(())
}

#[tokio::test]
async fn an_unknown_decision_is_404_and_the_error_names_it() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let reply = app
        .get("/v1/decisions/d-nope", Some(OPERATOR_TOKEN))
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let message = reply.json()?["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("d-nope"), "{message}");
    Ok(())
}
