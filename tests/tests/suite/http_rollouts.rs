//! A shop's policy versions over HTTP: rollback restores exactly an earlier module and
//! settings, a shadow runs beside the active version and is recorded but never returned,
//! a canary serves a stable share of claim ids, the platform's default policy serves
//! shops on version 0, and the audit trail names who did each of these.

use arbiter_tests::decisions::rules;
use arbiter_tests::modules::florist;
use std::collections::BTreeMap;

use arbiter::contract::Timestamp;
use arbiter::service::in_canary;
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with};
use axum::http::StatusCode;
use serde_json::{Value, json};

fn by_florist(decision: &Value) -> bool {
    let rules = rules(decision);
    !rules.is_empty() && rules.iter().all(|rule| rule.starts_with("FL"))
}

fn by_standard(decision: &Value) -> bool {
    let rules = rules(decision);
    !rules.is_empty()
        && rules
            .iter()
            .all(|rule| rule.starts_with(['R', 'F', 'E']) && !rule.starts_with("FL"))
}

/// A damaged vase worth `price` minor units, no outcome asked for: under the standard
/// defaults (promo_max 500.00 RUB) 700.00 RUB is a refund, under promo_max 1000.00 RUB a
/// promo code; the florist gives a promo code below its promo_max.
fn vase(claim_id: &str, shop_id: &str, price: i64) -> Value {
    let claim = sample_claim(claim_id, shop_id, &format!("u-{claim_id}"));
    let claim = with(claim, "items.0.unit_price", json!(price));
    with(claim, "desired_outcome", Value::Null)
}

fn action_types(decision: &Value) -> Vec<String> {
    decision["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|action| action["type"].as_str().map(str::to_owned))
        .collect()
}

async fn decide(app: &TestApp, token: &str, claim: &Value) -> anyhow::Result<Value> {
    let reply = app.decide(token, claim).await?;
    anyhow::ensure!(
        reply.status == StatusCode::OK,
        "{} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

async fn rollback(app: &TestApp, shop_id: &str, to: u64) -> anyhow::Result<Value> {
    let reply = app
        .post_json(
            &format!("/v1/shops/{shop_id}/policy/rollback"),
            Some(OPERATOR_TOKEN),
            &json!({"to": to}),
        )
        .await?;
    anyhow::ensure!(
        reply.status == StatusCode::OK,
        "rollback to {to}: {reply:?}"
    );
    reply.json()
}

#[tokio::test]
async fn rollback_restores_exactly_the_earlier_module_and_settings() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let seller = app.seller_token("rb-shop").await?;
    let standard = app.standard_module().await?;
    let florist = app.upload_module(&florist()).await?;

    // v1 standard with promo_max 1000.00 RUB, v2 the florist (set by the seller), v3 the
    // standard's defaults.
    let v1 = app
        .put_policy(
            "rb-shop",
            &json!({"module": standard, "settings": {"promo_max": 100000}}),
        )
        .await?;
    let reply = app
        .put_json(
            "/v1/shops/rb-shop/policy",
            Some(&seller),
            &json!({"module": florist, "settings": {}}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let v2 = reply.json()?["version"].as_u64().unwrap_or_default();
    let v3 = app
        .put_policy("rb-shop", &json!({"module": standard, "settings": {}}))
        .await?;
    assert_eq!((v1, v2, v3), (1, 2, 3));

    let at_v3 = decide(&app, &marketplace, &vase("rb-c3", "rb-shop", 70000)).await?;
    assert_eq!(at_v3["policy"]["module"], json!(standard));
    assert_eq!(at_v3["policy"]["settings_version"], 3);
    assert!(
        action_types(&at_v3).contains(&"refund".to_owned()),
        "{at_v3}"
    );

    // Back to v1: the standard with promo_max 1000.00 RUB, the very next decision.
    let rolled = rollback(&app, "rb-shop", 1).await?;
    assert_eq!(rolled["active"]["version"], 1);
    assert_eq!(rolled["active"]["module"], json!(standard));
    assert_eq!(rolled["active"]["settings"], json!({"promo_max": 100000}));
    assert_eq!(rolled["candidate"], Value::Null);
    let at_v1 = decide(&app, &marketplace, &vase("rb-c1", "rb-shop", 70000)).await?;
    assert_eq!(
        at_v1["policy"],
        json!({"module": standard, "settings_version": 1, "mode": "active"})
    );
    assert_eq!(
        at_v1["actions"],
        json!([{"type": "promo_code", "amount": 70000, "currency": "RUB"}]),
        "{at_v1}"
    );
    assert!(by_standard(&at_v1), "{at_v1}");
    assert!(at_v1.to_string().contains("1000.00 RUB"), "{at_v1}");
    let explained = app
        .get(
            &format!(
                "/v1/decisions/{}",
                at_v1["decision_id"].as_str().unwrap_or("")
            ),
            Some(OPERATOR_TOKEN),
        )
        .await?
        .json()?;
    assert_eq!(explained["policy"]["module"], json!(standard));
    assert_eq!(explained["policy"]["settings_version"], 1);
    assert_eq!(
        explained["policy"]["settings"],
        json!({"promo_max": 100000})
    );

    // Back to v2: the florist.
    rollback(&app, "rb-shop", 2).await?;
    let at_v2 = decide(&app, &marketplace, &vase("rb-c2", "rb-shop", 70000)).await?;
    assert_eq!(
        at_v2["policy"],
        json!({"module": florist, "settings_version": 2, "mode": "active"})
    );
    assert_eq!(rules(&at_v2), ["FL2"], "{at_v2}");

    // Back to 0: the platform's module with its defaults.
    let rolled = rollback(&app, "rb-shop", 0).await?;
    assert_eq!(rolled["active"]["version"], 0);
    assert_eq!(rolled["active"]["module"], Value::Null);
    assert_eq!(rolled["active"]["settings"], json!({}));
    let at_v0 = decide(&app, &marketplace, &vase("rb-c0", "rb-shop", 70000)).await?;
    assert_eq!(
        at_v0["policy"],
        json!({"module": standard, "settings_version": 0, "mode": "active"})
    );
    assert!(
        action_types(&at_v0).contains(&"refund".to_owned()),
        "{at_v0}"
    );

    // A version that never was: 404, and nothing changes.
    let reply = app
        .post_json(
            "/v1/shops/rb-shop/policy/rollback",
            Some(OPERATOR_TOKEN),
            &json!({"to": 9}),
        )
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let reply = app
        .post_json(
            "/v1/shops/rb-shop/policy/rollback",
            Some(OPERATOR_TOKEN),
            &json!({"to": -1}),
        )
        .await?;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("to"));
    let current = app
        .get("/v1/shops/rb-shop/policy", Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(current["active"]["version"], 0);

    // Rollbacks add no versions; the list shows each with who and when, and the next
    // version number is not reused.
    let listed = app
        .get("/v1/shops/rb-shop/policy/versions", Some(&seller))
        .await?
        .json()?;
    let versions = listed["versions"].as_array().cloned().unwrap_or_default();
    let summary: Vec<(u64, Value, Value)> = versions
        .iter()
        .map(|version| {
            (
                version["version"].as_u64().unwrap_or_default(),
                version["module"].clone(),
                version["settings"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, json!(standard), json!({"promo_max": 100000})),
            (2, json!(florist), json!({})),
            (3, json!(standard), json!({})),
        ]
    );
    let by: Vec<&str> = versions
        .iter()
        .filter_map(|version| version["created_by"].as_str())
        .collect();
    assert_eq!(by[0], "operator");
    assert!(by[1].starts_with("seller:"), "{by:?}");
    assert_eq!(by[2], "operator");
    // RFC 3339 with as many fraction digits as needed (`.48Z`): compare times, not text.
    let at: Vec<i64> = versions
        .iter()
        .filter_map(|version| version["created_at"].as_str())
        .filter_map(|text| Timestamp::parse(text).ok())
        .map(Timestamp::unix_millis)
        .collect();
    assert_eq!(at.len(), 3, "{versions:?}");
    assert!(at.windows(2).all(|pair| pair[0] <= pair[1]), "{at:?}");
    let v4 = app
        .put_policy("rb-shop", &json!({"module": florist}))
        .await?;
    assert_eq!(v4, 4);
    Ok(())
}

#[tokio::test]
async fn a_shadow_is_recorded_and_never_returned_until_promoted() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let standard = app.standard_module().await?;
    let florist = app.upload_module(&florist()).await?;
    app.put_policy("sh-shop", &json!({"module": standard}))
        .await?;

    let reply = app
        .put_json(
            "/v1/shops/sh-shop/policy",
            Some(OPERATOR_TOKEN),
            &json!({"module": florist, "settings": {"promo_max": 30000}, "mode": "shadow"}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()?["version"], 2);
    assert_eq!(reply.json()?["mode"], "shadow");
    let policy = app
        .get("/v1/shops/sh-shop/policy", Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(policy["active"]["version"], 1);
    assert_eq!(policy["candidate"]["version"], 2);
    assert_eq!(policy["candidate"]["module"], json!(florist));
    assert_eq!(policy["candidate"]["mode"], "shadow");

    for n in 0..5 {
        let claim = vase(&format!("sh-c{n}"), "sh-shop", 35000);
        let reply = app.decide(&marketplace, &claim).await?;
        let decision = reply.json()?;
        // The answer is the active version's, all of it.
        assert_eq!(
            decision["policy"],
            json!({"module": standard, "settings_version": 1, "mode": "active"})
        );
        assert!(by_standard(&decision), "{decision}");
        assert!(
            !reply.body.windows(2).any(|pair| pair == b"FL"),
            "{decision}"
        );

        // The florist's decision sits beside it in the ledger.
        let decision_id = decision["decision_id"].as_str().unwrap_or_default();
        let shadows = app.service().ledger().shadow_decisions(decision_id).await?;
        assert_eq!(shadows.len(), 1, "{shadows:?}");
        let shadow: Value = serde_json::from_str(&shadows[0])?;
        assert_eq!(
            shadow["policy"],
            json!({"module": florist, "settings_version": 2, "mode": "shadow"})
        );
        assert_eq!(shadow["decision_id"], decision["decision_id"]);
        assert_eq!(shadow["claim_id"], decision["claim_id"]);
        // 350.00 RUB is not below the shadow's promo_max of 300.00 RUB.
        assert_eq!(rules(&shadow), ["FL3"], "{shadow}");

        // The explanation and a replay are the active version's too.
        let explained = app
            .get(
                &format!("/v1/decisions/{decision_id}"),
                Some(OPERATOR_TOKEN),
            )
            .await?
            .json()?;
        assert_eq!(explained["policy"]["module"], json!(standard));
        assert_eq!(explained["decision"], decision);
        let replay = app.decide(&marketplace, &claim).await?;
        assert_eq!(replay.body, reply.body);
        assert_eq!(
            app.service().ledger().shadow_decisions(decision_id).await?,
            shadows
        );
    }

    // Promoted, the florist serves and nothing runs in its shadow.
    let reply = app
        .post_json(
            "/v1/shops/sh-shop/policy/promote",
            Some(OPERATOR_TOKEN),
            &json!({}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let promoted = reply.json()?;
    assert_eq!(promoted["active"]["version"], 2);
    assert_eq!(promoted["active"]["module"], json!(florist));
    assert_eq!(promoted["candidate"], Value::Null);
    let decision = decide(&app, &marketplace, &vase("sh-after", "sh-shop", 35000)).await?;
    assert_eq!(
        decision["policy"],
        json!({"module": florist, "settings_version": 2, "mode": "active"})
    );
    assert_eq!(rules(&decision), ["FL3"], "{decision}");
    let decision_id = decision["decision_id"].as_str().unwrap_or_default();
    assert!(
        app.service()
            .ledger()
            .shadow_decisions(decision_id)
            .await?
            .is_empty()
    );
    // Nothing left to promote.
    let reply = app
        .post_json(
            "/v1/shops/sh-shop/policy/promote",
            Some(OPERATOR_TOKEN),
            &json!({}),
        )
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    Ok(())
}

#[tokio::test]
async fn a_failing_shadow_never_touches_the_answer() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let standard = app.standard_module().await?;
    let spin = std::fs::read(arbiter_artifacts::SPIN_FOREVER_FIXTURE_PATH)?;
    let spin = app.upload_module(&spin).await?;
    app.put_policy("shf-shop", &json!({"module": standard}))
        .await?;
    app.put_policy("shf-shop", &json!({"module": spin, "mode": "shadow"}))
        .await?;

    let decision = decide(&app, &marketplace, &vase("shf-c1", "shf-shop", 35000)).await?;
    assert_eq!(decision["policy"]["module"], json!(standard));
    assert_eq!(decision["fallback_applied"], false, "{decision}");
    assert!(by_standard(&decision), "{decision}");
    let decision_id = decision["decision_id"].as_str().unwrap_or_default();
    let shadows = app.service().ledger().shadow_decisions(decision_id).await?;
    assert_eq!(shadows.len(), 1);
    let shadow: Value = serde_json::from_str(&shadows[0])?;
    assert_eq!(shadow["policy"]["module"], json!(spin));
    assert_eq!(shadow["failure"], "guest_timeout", "{shadow}");
    assert_eq!(shadow["fallback_applied"], true, "{shadow}");
    Ok(())
}

#[tokio::test]
async fn a_canary_serves_a_stable_tenth_of_claim_ids() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let standard = app.standard_module().await?;
    let florist = app.upload_module(&florist()).await?;
    app.put_policy("cn-shop", &json!({"module": standard}))
        .await?;
    let reply = app
        .put_json(
            "/v1/shops/cn-shop/policy",
            Some(OPERATOR_TOKEN),
            &json!({"module": florist, "mode": "canary", "canary_percent": 10}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()?["mode"], "canary");
    let policy = app
        .get("/v1/shops/cn-shop/policy", Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(policy["active"]["version"], 1);
    assert_eq!(policy["candidate"]["version"], 2);
    assert_eq!(policy["candidate"]["mode"], "canary");
    assert_eq!(policy["candidate"]["canary_percent"].as_f64(), Some(10.0));

    // The share, over 2000 claim ids, by the hash the service uses.
    let ids: Vec<String> = (0..2000).map(|n| format!("cn-c{n}")).collect();
    let predicted = ids.iter().filter(|id| in_canary(id, 1000)).count();
    println!("canary at 10%: {predicted} of {} claim ids", ids.len());
    assert!((150..=250).contains(&predicted), "{predicted} of 2000");

    // Over HTTP, each of 300 claims, revision 1 and a different revision 2, is served by
    // the side the hash predicts: the candidate exactly for the predicted ones.
    let mut served_by_canary = 0;
    for id in &ids[..300] {
        let expected = in_canary(id, 1000);
        let first = vase(id, "cn-shop", 35000);
        let second = with(first.clone(), "revision", json!(2));
        let second = with(second, "now", json!("2026-11-21T10:00:00Z"));
        let second = with(second, "customer_reply.insists", json!(true));
        for (revision, claim) in [(1, first), (2, second)] {
            let decision = decide(&app, &marketplace, &claim).await?;
            assert_eq!(decision["revision"], revision);
            let (mode, module, version) = match expected {
                true => ("canary", &florist, 2),
                false => ("active", &standard, 1),
            };
            assert_eq!(
                decision["policy"],
                json!({"module": module, "settings_version": version, "mode": mode}),
                "{id} revision {revision}"
            );
            assert_eq!(by_florist(&decision), expected, "{id}: {decision}");
            if expected && revision == 1 {
                served_by_canary += 1;
            }
        }
    }
    let predicted_here = ids[..300].iter().filter(|id| in_canary(id, 1000)).count();
    println!("canary over HTTP: {served_by_canary} of 300 claims");
    assert_eq!(served_by_canary, predicted_here);
    assert!(served_by_canary > 0);

    // The share follows the percentage: a wider canary keeps everyone it had.
    app.put_policy(
        "cn-shop",
        &json!({"module": florist, "mode": "canary", "canary_percent": 50}),
    )
    .await?;
    let wider = ids.iter().filter(|id| in_canary(id, 5000)).count();
    assert!((900..=1100).contains(&wider), "{wider}");
    assert!(
        ids.iter()
            .filter(|id| in_canary(id, 1000))
            .all(|id| in_canary(id, 5000))
    );
    for id in ids[300..340].iter() {
        let decision = decide(&app, &marketplace, &vase(id, "cn-shop", 35000)).await?;
        let mode = if in_canary(id, 5000) {
            "canary"
        } else {
            "active"
        };
        assert_eq!(decision["policy"]["mode"], mode, "{id}");
    }

    // Promoted, everyone gets the florist as the active version.
    app.post_json(
        "/v1/shops/cn-shop/policy/promote",
        Some(OPERATOR_TOKEN),
        &json!({}),
    )
    .await?;
    for id in &ids[340..360] {
        let decision = decide(&app, &marketplace, &vase(id, "cn-shop", 35000)).await?;
        assert_eq!(
            decision["policy"],
            json!({"module": florist, "settings_version": 3, "mode": "active"})
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_platform_default_policy_serves_shops_on_version_zero() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let seller = app.seller_token("pl-own").await?;
    let standard = app.standard_module().await?;
    let florist = app.upload_module(&florist()).await?;
    let path = "/v1/platform/policies/compensation";

    let reply = app.get(path, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(
        reply.json()?,
        json!({"name": "compensation", "module": null, "settings": {}})
    );
    app.put_policy("pl-own", &json!({"module": standard, "settings": {}}))
        .await?;

    let reply = app
        .put_json(
            path,
            Some(OPERATOR_TOKEN),
            &json!({"module": florist, "settings": {"promo_max": 30000}}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let reply = app.get(path, Some(OPERATOR_TOKEN)).await?;
    assert_eq!(
        reply.json()?,
        json!({"name": "compensation", "module": florist, "settings": {"promo_max": 30000}})
    );

    // A shop that never set a policy gets the florist with the platform's settings; a
    // shop with its own version keeps it.
    let decision = decide(&app, &marketplace, &vase("pl-c1", "pl-none", 35000)).await?;
    assert_eq!(
        decision["policy"],
        json!({"module": florist, "settings_version": 0, "mode": "active"})
    );
    assert_eq!(rules(&decision), ["FL3"], "{decision}");
    let explained = app
        .get(
            &format!(
                "/v1/decisions/{}",
                decision["decision_id"].as_str().unwrap_or("")
            ),
            Some(OPERATOR_TOKEN),
        )
        .await?
        .json()?;
    assert_eq!(explained["policy"]["settings"], json!({"promo_max": 30000}));
    let decision = decide(&app, &marketplace, &vase("pl-c2", "pl-own", 35000)).await?;
    assert_eq!(decision["policy"]["module"], json!(standard));
    // ...until it rolls back to 0.
    rollback(&app, "pl-own", 0).await?;
    let decision = decide(&app, &marketplace, &vase("pl-c3", "pl-own", 35000)).await?;
    assert_eq!(decision["policy"]["module"], json!(florist));

    // Refused: settings the module rejects, a module of the other world, an unknown
    // policy, anyone but an operator.
    let reply = app
        .put_json(
            path,
            Some(OPERATOR_TOKEN),
            &json!({"module": florist, "settings": {"promo_max": 0}}),
        )
        .await?;
    reply.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "settings_rejected",
        Some("promo_max"),
    );
    let fraud = app.get("/readyz", None).await?.json()?["modules"]["fraud_screen"].clone();
    let reply = app
        .put_json(path, Some(OPERATOR_TOKEN), &json!({"module": fraud}))
        .await?;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_world", None);
    let reply = app
        .put_json(
            "/v1/platform/policies/fraud_screen",
            Some(OPERATOR_TOKEN),
            &json!({"module": standard}),
        )
        .await?;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_world", None);
    let reply = app
        .get("/v1/platform/policies/pricing", Some(OPERATOR_TOKEN))
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    for token in [&seller, &marketplace] {
        let reply = app.get(path, Some(token)).await?;
        reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
        let reply = app
            .put_json(path, Some(token), &json!({"module": null}))
            .await?;
        reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    }
    // The refusals changed nothing.
    let decision = decide(&app, &marketplace, &vase("pl-c4", "pl-none", 35000)).await?;
    assert_eq!(decision["policy"]["module"], json!(florist));

    // Back to the built-in.
    let reply = app
        .put_json(path, Some(OPERATOR_TOKEN), &json!({"module": null}))
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let decision = decide(&app, &marketplace, &vase("pl-c5", "pl-none", 35000)).await?;
    assert_eq!(decision["policy"]["module"], json!(standard));
    assert!(by_standard(&decision), "{decision}");

    // The fraud screen's settings are set the same way and checked by it.
    let reply = app
        .get("/v1/platform/policies/fraud_screen", Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(reply.json()?["module"], Value::Null);
    let reply = app
        .put_json(
            "/v1/platform/policies/fraud_screen",
            Some(OPERATOR_TOKEN),
            &json!({"settings": {"no_such_setting": 1}}),
        )
        .await?;
    reply.assert_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "settings_rejected",
        Some("no_such_setting"),
    );
    Ok(())
}

#[tokio::test]
async fn the_audit_trail_names_who_did_what() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let seller = app.seller_token("au-shop").await?;
    let standard = app.standard_module().await?;

    // The seller uploads and activates; the operator stages, promotes, rolls back,
    // changes settings and the platform's default.
    let reply = app.upload(&seller, &florist()).await?;
    assert_eq!(reply.status, StatusCode::CREATED);
    let florist = reply.json()?["digest"].as_str().unwrap_or("").to_owned();
    let seller_actor = reply.json()?["uploaded_by"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(seller_actor.starts_with("seller:"), "{seller_actor}");
    let reply = app
        .put_json(
            "/v1/shops/au-shop/policy",
            Some(&seller),
            &json!({"module": florist}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    app.put_policy(
        "au-shop",
        &json!({"module": standard, "mode": "canary", "canary_percent": 5}),
    )
    .await?;
    let reply = app
        .post_json(
            "/v1/shops/au-shop/policy/promote",
            Some(OPERATOR_TOKEN),
            &json!({}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    rollback(&app, "au-shop", 1).await?;
    app.put_settings("au-shop", &json!({"promo_max": 20000}))
        .await?;
    let reply = app
        .put_json(
            "/v1/platform/policies/compensation",
            Some(OPERATOR_TOKEN),
            &json!({"module": standard}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);

    let reply = app.get("/v1/audit", Some(&seller)).await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    let reply = app.get("/v1/audit", Some(OPERATOR_TOKEN)).await?;
    assert_eq!(reply.status, StatusCode::OK);
    let mut entries = reply.json()?["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Newest first; read them in the order they happened.
    entries.reverse();
    let trail: Vec<(String, String, String)> = entries
        .iter()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap_or_default().to_owned();
            (text("actor"), text("action"), text("subject"))
        })
        .collect();
    let operator = "operator".to_owned();
    assert_eq!(
        trail,
        [
            (
                seller_actor.clone(),
                "module.upload".into(),
                florist.clone()
            ),
            (seller_actor, "policy.set".into(), "au-shop".into()),
            (operator.clone(), "policy.set".into(), "au-shop".into()),
            (operator.clone(), "policy.promote".into(), "au-shop".into()),
            (operator.clone(), "policy.rollback".into(), "au-shop".into()),
            (operator.clone(), "settings.update".into(), "au-shop".into()),
            (operator, "platform.policy".into(), "compensation".into()),
        ]
    );
    let details: BTreeMap<&str, &Value> = entries
        .iter()
        .filter_map(|entry| Some((entry["action"].as_str()?, &entry["detail"])))
        .collect();
    assert_eq!(details["policy.rollback"]["to"], 1);
    assert_eq!(details["policy.promote"]["version"], 2);
    assert_eq!(details["settings.update"]["version"], 3);
    assert_eq!(details["module.upload"]["scope"], "au-shop");
    assert!(
        entries
            .iter()
            .all(|entry| entry["at_ms"].as_i64().is_some_and(|at| at > 0)),
        "{entries:?}"
    );
    assert!(
        entries
            .windows(2)
            .all(|pair| pair[0]["at_ms"].as_i64() <= pair[1]["at_ms"].as_i64())
    );
    Ok(())
}

#[tokio::test]
async fn audit_entries_within_one_millisecond_keep_their_order() -> anyhow::Result<()> {
    // Operations come faster than the clock ticks (a script promoting then rolling back);
    // the trail must still list them newest first.
    let app = TestApp::new().await?;
    for step in 0..40 {
        app.service()
            .audit("operator", "test.step", &step.to_string(), json!({}))
            .await;
    }
    let reply = app.get("/v1/audit", Some(OPERATOR_TOKEN)).await?;
    let subjects: Vec<String> = reply.json()?["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["subject"].as_str().map(str::to_owned))
        .collect();
    let expected: Vec<String> = (0..40).rev().map(|step: i32| step.to_string()).collect();
    assert_eq!(subjects, expected);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_policy_changes_lose_nothing_and_mix_nothing() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let standard = app.standard_module().await?;
    let florist = app.upload_module(&florist()).await?;
    let to_florist = json!({"module": florist});
    let shadow = json!({"module": standard, "mode": "shadow"});
    // Valid for the standard policy; the florist knows no refund_max.
    let standard_only = json!({"refund_max": 300000});
    for n in 0..30 {
        // An activation and a shadow at once: whichever lands first, the activation is
        // what serves afterwards.
        let shop = format!("race-a{n}");
        app.put_policy(&shop, &json!({"module": standard})).await?;
        let (activated, shadowed) = tokio::join!(
            app.put_policy(&shop, &to_florist),
            app.put_policy(&shop, &shadow)
        );
        let (activated, _) = (activated?, shadowed?);
        let policy = app
            .get(&format!("/v1/shops/{shop}/policy"), Some(OPERATOR_TOKEN))
            .await?
            .json()?;
        assert_eq!(policy["active"]["version"], activated, "{shop}: {policy}");

        // New settings and a new module at once: the settings are stored with the module
        // that accepted them, never with the other.
        let shop = format!("race-s{n}");
        let path = format!("/v1/shops/{shop}/settings");
        app.put_policy(&shop, &json!({"module": standard})).await?;
        let (settings, swapped) = tokio::join!(
            app.put_json(&path, Some(OPERATOR_TOKEN), &standard_only),
            app.put_policy(&shop, &to_florist)
        );
        let (settings, _) = (settings?, swapped?);
        // When the florist lands first, it judges the settings and refuses them: that is
        // right too. What must never happen is the settings stored under the florist.
        if settings.status != StatusCode::OK {
            settings.assert_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "settings_rejected",
                Some("refund_max"),
            );
        }
        let versions = app
            .get(
                &format!("/v1/shops/{shop}/policy/versions"),
                Some(OPERATOR_TOKEN),
            )
            .await?
            .json()?;
        for version in versions["versions"].as_array().into_iter().flatten() {
            if version["settings"] == standard_only {
                assert_eq!(version["module"], json!(standard), "{shop}: {versions}");
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_settings_change_leaves_a_running_shadow_in_place() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let florist = app.upload_module(&florist()).await?;
    app.put_policy(
        "keep-shop",
        &json!({"module": florist, "settings": {}, "mode": "shadow"}),
    )
    .await?;
    let version = app
        .put_settings("keep-shop", &json!({"promo_max": 40000}))
        .await?;

    let rollout = app
        .get("/v1/shops/keep-shop/policy", Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(rollout["active"]["version"], version, "{rollout}");
    assert_eq!(rollout["active"]["settings"], json!({"promo_max": 40000}));
    assert_eq!(rollout["candidate"]["module"], json!(florist), "{rollout}");
    assert_eq!(rollout["candidate"]["mode"], "shadow");
    Ok(())
}

#[tokio::test]
async fn only_a_module_for_every_shop_can_be_the_platform_default() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let seller = app.seller_token("private-shop").await?;
    let uploaded = app.upload(&seller, &florist()).await?;
    assert_eq!(uploaded.status, StatusCode::CREATED);
    let digest = uploaded.json()?["digest"].clone();

    let reply = app
        .put_json(
            "/v1/platform/policies/compensation",
            Some(OPERATOR_TOKEN),
            &json!({"module": digest, "settings": {}}),
        )
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);

    // Once an operator uploads the same bytes, every shop may use them.
    app.upload_module(&florist()).await?;
    let reply = app
        .put_json(
            "/v1/platform/policies/compensation",
            Some(OPERATOR_TOKEN),
            &json!({"module": digest, "settings": {}}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_seller_never_learns_who_else_uploaded_the_same_bytes() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let first = app.seller_token("first-shop").await?;
    let second = app.seller_token("second-shop").await?;
    let mine = app.upload(&first, &florist()).await?.json()?;
    assert!(
        mine["uploaded_by"]
            .as_str()
            .is_some_and(|by| by.starts_with("seller:")),
        "{mine}"
    );
    let theirs = app.upload(&second, &florist()).await?;
    assert_eq!(theirs.status, StatusCode::OK);
    let theirs = theirs.json()?;
    assert_eq!(theirs["digest"], mine["digest"]);
    assert_eq!(theirs["uploaded_by"], "another account");
    Ok(())
}
