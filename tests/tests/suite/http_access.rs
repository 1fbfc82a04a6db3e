//! Who may do what: a seller manages its own shop only (another shop is 404, never
//! 403), the marketplace only asks for decisions, the operator issues tokens.

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim};
use axum::http::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_seller_manages_its_own_shop_and_sees_no_other() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let seller = app.seller_token("ac-shop").await?;
    let own = "/v1/shops/ac-shop/settings";
    let other = "/v1/shops/ac-other/settings";

    let reply = app.get(own, Some(&seller)).await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()?["version"], 0);

    let settings = json!({"promo_max": 80000});
    let reply = app.put_json(own, Some(&seller), &settings).await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()?,
        json!({"shop_id": "ac-shop", "version": 1, "settings": settings})
    );
    let reply = app.get(own, Some(&seller)).await?;
    assert_eq!(reply.json()?["settings"], settings);

    // Another shop: as if it did not exist, whether it has settings or not.
    let reply = app.get(other, Some(&seller)).await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let reply = app.put_json(other, Some(&seller), &settings).await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    app.put_settings("ac-other", &json!({"promo_max": 90000}))
        .await?;
    let reply = app.get(other, Some(&seller)).await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    // ...and its settings are untouched by the refused PUT.
    let reply = app.get(other, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(
        reply.json()?,
        json!({"shop_id": "ac-other", "version": 1, "settings": {"promo_max": 90000}})
    );

    // The 404 for a shop that does exist reads like one for a route that does not.
    let reply = app.get(other, Some(&seller)).await?;
    let message = reply.json()?["error"]["message"].to_string();
    assert!(!message.contains("forbidden"), "{message}");
    Ok(())
}

#[tokio::test]
async fn a_seller_may_not_ask_for_decisions_nor_run_the_platform() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let seller = app.seller_token("ac-shop").await?;
    let reply = app
        .decide(&seller, &sample_claim("ac-c1", "ac-shop", "ac-u1"))
        .await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);

    let reply = app
        .post_json("/v1/tokens", Some(&seller), &json!({"role": "marketplace"}))
        .await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    let reply = app
        .post_json(
            "/v1/tokens",
            Some(&seller),
            &json!({"role": "seller", "shop_id": "ac-other"}),
        )
        .await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    assert_eq!(app.decision_count().await?, 0);
    Ok(())
}

#[tokio::test]
async fn the_marketplace_only_asks_for_decisions() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let reply = app
        .decide(&marketplace, &sample_claim("ac-c2", "ac-shop", "ac-u2"))
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    let decision_id = reply.json()?["decision_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let settings = "/v1/shops/ac-shop/settings";
    let reply = app.get(settings, Some(&marketplace)).await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    let reply = app
        .put_json(settings, Some(&marketplace), &json!({"promo_max": 80000}))
        .await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    let reply = app
        .post_json(
            "/v1/tokens",
            Some(&marketplace),
            &json!({"role": "marketplace"}),
        )
        .await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    let reply = app
        .get(&format!("/v1/decisions/{decision_id}"), Some(&marketplace))
        .await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);

    let unchanged = app.get(settings, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(unchanged.json()?["version"], 0);
    Ok(())
}

#[tokio::test]
async fn a_seller_explains_its_own_shops_decisions_only() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let seller = app.seller_token("ac-shop").await?;
    let decide = |claim: Value| {
        let app = &app;
        let marketplace = &marketplace;
        async move {
            let reply = app.decide(marketplace, &claim).await?;
            anyhow::ensure!(reply.status == StatusCode::OK, "{}", reply.status);
            let decision = reply.json()?;
            Ok::<_, anyhow::Error>(
                decision["decision_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }
    };
    let own = decide(sample_claim("ac-c3", "ac-shop", "ac-u3")).await?;
    let others = decide(sample_claim("ac-c4", "ac-other", "ac-u4")).await?;

    let reply = app
        .get(&format!("/v1/decisions/{own}"), Some(&seller))
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()?["decision"]["decision_id"], own.as_str());
    assert_eq!(reply.json()?["request"]["shop_id"], "ac-shop");

    // Another shop's decision and an unknown id get the same answer.
    let reply = app
        .get(&format!("/v1/decisions/{others}"), Some(&seller))
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let not_yours = reply.json()?["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .replace(&others, "ID");
    let reply = app
        .get("/v1/decisions/d-01JUNKNOWN00000000000000000", Some(&seller))
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let unknown = reply.json()?["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .replace("d-01JUNKNOWN00000000000000000", "ID");
    assert_eq!(not_yours, unknown);

    // The operator sees both; an unknown id is 404 for it too.
    for id in [&own, &others] {
        let reply = app
            .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
            .await?;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let reply = app.get("/v1/decisions/nope", Some(OPERATOR_TOKEN)).await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    Ok(())
}

#[tokio::test]
async fn issuing_tokens() -> anyhow::Result<()> {
    let app = TestApp::new().await?;

    let reply = app
        .post_json(
            "/v1/tokens",
            Some(OPERATOR_TOKEN),
            &json!({"role": "seller", "shop_id": "ac-shop", "label": "ac shop's back office"}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::CREATED);
    let issued = reply.json()?;
    assert!(
        issued["token_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("t-"))
    );
    let secret = issued["token"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("arb_") && secret.len() == 68, "{secret}");
    assert_eq!(issued["role"], "seller");
    assert_eq!(issued["shop_id"], "ac-shop");
    assert_eq!(issued["label"], "ac shop's back office");
    // The secret works at once, for that shop.
    let reply = app.get("/v1/shops/ac-shop/settings", Some(&secret)).await?;
    assert_eq!(reply.status, StatusCode::OK);

    let reply = app
        .post_json(
            "/v1/tokens",
            Some(OPERATOR_TOKEN),
            &json!({"role": "marketplace"}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::CREATED);
    let issued = reply.json()?;
    assert_eq!(issued["role"], "marketplace");
    assert_eq!(issued.get("shop_id"), None, "{issued}");
    assert_eq!(issued["label"], "");
    // Each token has its own secret.
    assert_ne!(issued["token"].as_str().unwrap_or_default(), secret);

    let cases = [
        (
            "a seller without a shop",
            json!({"role": "seller"}),
            "shop_id",
        ),
        (
            "a seller with a blank shop",
            json!({"role": "seller", "shop_id": "  "}),
            "shop_id",
        ),
        (
            "a marketplace bound to a shop",
            json!({"role": "marketplace", "shop_id": "ac-shop"}),
            "shop_id",
        ),
        ("an unknown role", json!({"role": "operator"}), "role"),
        ("no role", json!({"label": "x"}), "role"),
        (
            "an unknown field",
            json!({"role": "marketplace", "scopes": ["all"]}),
            "scopes",
        ),
    ];
    for (name, request, field) in cases {
        let reply = app
            .post_json("/v1/tokens", Some(OPERATOR_TOKEN), &request)
            .await?;
        println!("{name}: {}", String::from_utf8_lossy(&reply.body));
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(field));
    }
    Ok(())
}
