//! Idempotency of `POST /v1/decisions`: a repeat answers the stored decision byte for
//! byte with `idempotent-replayed: true` and writes nothing; the same key with another
//! request is 409; an explicit `Idempotency-Key` is its own namespace; concurrent twins
//! make one decision.

use arbiter_tests::http::{TestApp, json_body, sample_claim, send, with, without};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn the_same_request_twice_is_replayed_byte_for_byte() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let claim = sample_claim("id-c1", "id-shop", "id-u1");

    let first = app.decide(&marketplace, &claim).await?;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(first.header("content-type"), Some("application/json"));

    let second = app.decide(&marketplace, &claim).await?;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.header("content-type"), Some("application/json"));
    assert_eq!(first.body, second.body, "a replay must be byte-identical");
    assert_eq!(app.decision_count().await?, 1);

    // The operator replaying it gets the same answer too: the key is the request's.
    let third = app
        .decide(arbiter_tests::http::OPERATOR_TOKEN, &claim)
        .await?;
    assert_eq!(third.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.body, third.body);
    assert_eq!(app.decision_count().await?, 1);
    Ok(())
}

#[tokio::test]
async fn the_same_key_with_another_body_is_409() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let claim = sample_claim("id-c2", "id-shop", "id-u2");
    let first = app.decide(&marketplace, &claim).await?;
    assert_eq!(first.status, StatusCode::OK);

    for (name, changed) in [
        (
            "another price",
            with(claim.clone(), "items.0.unit_price", json!(36000)),
        ),
        (
            "another kind",
            with(claim.clone(), "kind", json!("short_shipment")),
        ),
        (
            "marked as fraud",
            with(claim.clone(), "marked_as_fraud", json!(true)),
        ),
        (
            "another shop",
            with(claim.clone(), "shop_id", json!("id-other")),
        ),
    ] {
        let reply = app.decide(&marketplace, &changed).await?;
        println!("{name}: {}", String::from_utf8_lossy(&reply.body));
        reply.assert_error(StatusCode::CONFLICT, "idempotency_conflict", None);
        let message = reply.json()?["error"]["message"].to_string();
        assert!(message.contains("id-c2#1"), "{name}: {message}");
    }
    assert_eq!(app.decision_count().await?, 1);

    // The stored answer is untouched by the conflicts.
    let again = app.decide(&marketplace, &claim).await?;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);

    // A new revision of the claim is a new key, and a new decision.
    let revised = with(
        with(claim, "revision", json!(2)),
        "items.0.unit_price",
        json!(36000),
    );
    let reply = app.decide(&marketplace, &revised).await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("idempotent-replayed"), None);
    assert_eq!(reply.json()?["revision"], 2);
    assert_eq!(app.decision_count().await?, 2);
    Ok(())
}

#[tokio::test]
async fn an_explicit_idempotency_key_is_its_own_namespace() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let claim = sample_claim("id-c3", "id-shop", "id-u3");

    let keyed = app.decide_with_key(&marketplace, "key-1", &claim).await?;
    assert_eq!(keyed.status, StatusCode::OK);
    assert_eq!(keyed.header("idempotent-replayed"), None);

    let replayed = app.decide_with_key(&marketplace, "key-1", &claim).await?;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, keyed.body);
    assert_eq!(app.decision_count().await?, 1);

    // Surrounding whitespace is not part of the key.
    let padded = app.decide_with_key(&marketplace, " key-1 ", &claim).await?;
    assert_eq!(padded.header("idempotent-replayed"), Some("true"));
    assert_eq!(padded.body, keyed.body);

    // The key holds whatever body came first with it: another claim under it is 409.
    let other = sample_claim("id-c4", "id-shop", "id-u4");
    let reply = app.decide_with_key(&marketplace, "key-1", &other).await?;
    reply.assert_error(StatusCode::CONFLICT, "idempotency_conflict", None);

    // Without the header the same claim is keyed by claim_id#revision, which is unused:
    // a decision of its own, not a replay of `key-1`.
    let unkeyed = app.decide(&marketplace, &claim).await?;
    assert_eq!(unkeyed.status, StatusCode::OK);
    assert_eq!(unkeyed.header("idempotent-replayed"), None);
    assert_ne!(unkeyed.json()?["decision_id"], keyed.json()?["decision_id"]);
    assert_eq!(app.decision_count().await?, 2);

    // A key that looks like a claim key does not collide with it.
    let lookalike = app.decide_with_key(&marketplace, "id-c4#1", &other).await?;
    assert_eq!(lookalike.header("idempotent-replayed"), None);
    let by_claim = app.decide(&marketplace, &other).await?;
    assert_eq!(by_claim.header("idempotent-replayed"), None);
    assert_ne!(
        lookalike.json()?["decision_id"],
        by_claim.json()?["decision_id"]
    );
    assert_eq!(app.decision_count().await?, 4);
    Ok(())
}

#[tokio::test]
async fn a_bad_idempotency_key_is_400() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let claim = sample_claim("id-c5", "id-shop", "id-u5");
    let too_long = "k".repeat(257);
    for key in ["", "   ", too_long.as_str(), "ключ"] {
        let reply = app.decide_with_key(&marketplace, key, &claim).await?;
        reply.assert_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("Idempotency-Key"),
        );
    }
    let longest = "k".repeat(256);
    let reply = app.decide_with_key(&marketplace, &longest, &claim).await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(app.decision_count().await?, 1);
    Ok(())
}

/// The claim's JSON with its keys in reverse order, pretty-printed.
fn reordered(claim: &Value) -> anyhow::Result<String> {
    let map = claim
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("not an object"))?;
    let fields = map
        .iter()
        .rev()
        .map(|(key, value)| {
            Ok(format!(
                "\n\t{} :  {}",
                serde_json::to_string(key)?,
                serde_json::to_string_pretty(value)?
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(format!("  {{{}\n}}\n", fields.join(" ,")))
}

#[tokio::test]
async fn whitespace_key_order_and_omitted_nulls_are_still_a_replay() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let claim = sample_claim("id-c6", "id-shop", "id-u6");
    let first = app.decide(&marketplace, &claim).await?;
    assert_eq!(first.status, StatusCode::OK);

    let text = reordered(&claim)?;
    assert_ne!(text, claim.to_string());
    let reply = app
        .send(
            Method::POST,
            "/v1/decisions",
            Some(&marketplace),
            &[],
            Body::from(text),
        )
        .await?;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("idempotent-replayed"), Some("true"));
    assert_eq!(reply.body, first.body);

    // Optional fields sent as null or left out, and `marked_as_fraud` at its default,
    // are the same request.
    let mut sparse = claim.clone();
    for path in [
        "subkind",
        "last_seller_reply_at",
        "last_customer_reply_at",
        "confirmations",
        "customer_reply",
        "return_shipment",
    ] {
        sparse = without(sparse, path);
    }
    let sparse = with(sparse, "marked_as_fraud", json!(false));
    let reply = app.decide(&marketplace, &sparse).await?;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("idempotent-replayed"), Some("true"));
    assert_eq!(reply.body, first.body);
    assert_eq!(app.decision_count().await?, 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_twins_make_one_decision() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    // Something in the ledger already, so "one new row" is not "the first row".
    let earlier = app
        .decide(&marketplace, &sample_claim("id-c7", "id-shop", "id-u7"))
        .await?;
    assert_eq!(earlier.status, StatusCode::OK);
    let before = app.decision_count().await?;

    let claim = sample_claim("id-c8", "id-shop", "id-u8");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let router = app.router();
            let token = marketplace.clone();
            let body = json_body(&claim);
            let barrier = std::sync::Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                send(
                    router,
                    Method::POST,
                    "/v1/decisions",
                    Some(&token),
                    &[],
                    body,
                )
                .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await??);
    }

    for reply in &replies {
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.body, replies[0].body, "twins answered differently");
    }
    let fresh = replies
        .iter()
        .filter(|reply| reply.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(fresh, 1, "exactly one twin decides, the others replay");
    assert_eq!(app.decision_count().await?, before + 1);

    // And the decision is the one the ledger explains.
    let decision_id = replies[0].json()?["decision_id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default();
    let explained = app
        .get(
            &format!("/v1/decisions/{decision_id}"),
            Some(arbiter_tests::http::OPERATOR_TOKEN),
        )
        .await?;
    assert_eq!(explained.status, StatusCode::OK);
    assert_eq!(explained.json()?["decision"], replies[0].json()?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_answered_together_share_commits_and_all_are_kept() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let before = app.service().ledger().commit_stats();
    let calls: Vec<_> = (0..64)
        .map(|n| {
            let router = app.router();
            let token = marketplace.clone();
            tokio::spawn(async move {
                let claim = sample_claim(&format!("gc-c{n}"), "gc-shop", &format!("gc-u{n}"));
                send(
                    router,
                    Method::POST,
                    "/v1/decisions",
                    Some(&token),
                    &[],
                    json_body(&claim),
                )
                .await
            })
        })
        .collect();
    for call in calls {
        let reply = call.await??;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }
    let after = app.service().ledger().commit_stats();
    assert_eq!(after.decisions - before.decisions, 64);
    // Every answered decision is committed; 64 at once need fewer than 64 commits.
    assert!(
        after.commits - before.commits < 64,
        "{before:?} -> {after:?}"
    );
    assert_eq!(app.decision_count().await?, 64);
    Ok(())
}
