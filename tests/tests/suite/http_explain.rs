//! `GET /v1/decisions/{id}`: the decision as answered, with the request, the history
//! the policies saw, the fraud signals, the module and settings, and the latency.

use arbiter::contract::parse_request;
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim};
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn explain(app: &TestApp, decision: &Value) -> anyhow::Result<Value> {
    let id = decision["decision_id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no decision_id in {decision}"))?;
    let reply = app
        .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
        .await?;
    anyhow::ensure!(reply.status == StatusCode::OK, "{}", reply.status);
    anyhow::ensure!(reply.header("content-type") == Some("application/json"));
    reply.json()
}

#[tokio::test]
async fn a_decision_explains_what_made_it() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let module = app.standard_module().await?;

    let first_claim = sample_claim("ex-c1", "ex-shop", "ex-u1");
    let first = app.decide(&marketplace, &first_claim).await?;
    assert_eq!(first.status, StatusCode::OK);
    let first = first.json()?;

    let explained = explain(&app, &first).await?;
    assert_eq!(
        explained["decision"], first,
        "the decision exactly as answered"
    );
    let parsed = parse_request(first_claim.to_string().as_bytes())?;
    assert_eq!(explained["request"], serde_json::to_value(&parsed)?);
    assert_eq!(explained["history"]["earlier_claims"], json!([]));
    assert_eq!(explained["history"]["on_hard_fraud_list"], false);
    assert_eq!(explained["signals"], json!([]));
    assert_eq!(explained["policy"]["module"], json!(module));
    assert_eq!(explained["policy"]["settings_version"], 0);
    assert_eq!(explained["policy"]["settings"], json!({}));
    assert!(
        explained["policy"]["fraud_screen"]["module"]
            .as_str()
            .is_some_and(|digest| digest.starts_with("sha256:")),
        "{explained}"
    );
    assert_eq!(explained["shadow"], json!([]));
    assert_eq!(explained["failure"], Value::Null);
    assert!(
        explained["latency_us"].as_u64().is_some_and(|us| us > 0),
        "{explained}"
    );
    let decided_at = explained["decided_at"].as_str().unwrap_or_default();
    assert!(
        decided_at.len() >= 20 && decided_at.ends_with('Z') && decided_at.starts_with("20"),
        "{decided_at}"
    );

    // The same customer's second claim, after the shop changed its settings: the
    // history shows the first claim, the policy the new version.
    let version = app
        .put_settings("ex-shop", &json!({"promo_max": 40000}))
        .await?;
    let mut second_claim = sample_claim("ex-c2", "ex-shop", "ex-u1");
    second_claim["opened_at"] = json!("2026-11-20T09:58:00Z");
    let second = app.decide(&marketplace, &second_claim).await?.json()?;
    let explained = explain(&app, &second).await?;
    assert_eq!(explained["decision"], second);
    assert_eq!(explained["request"]["claim_id"], "ex-c2");
    let earlier = explained["history"]["earlier_claims"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(earlier.len(), 1, "{explained}");
    assert_eq!(
        earlier[0],
        json!({
            "claim_id": "ex-c1",
            "kind": "damaged",
            "opened_at": "2026-11-20T09:55:00Z",
            "outcome": first["outcome"],
            "money_given": {"amount": 35000, "currency": "RUB"},
            "sorry_coupon_given": false,
            "same_shop": true,
        }),
        "{explained}"
    );
    assert_eq!(explained["policy"]["module"], json!(module));
    assert_eq!(explained["policy"]["settings_version"], json!(version));
    assert_eq!(explained["policy"]["settings"], json!({"promo_max": 40000}));
    assert_eq!(second["policy"]["settings_version"], version);

    // The repeat claim's decision escalates (R1.4), and the explanation says why.
    assert_eq!(second["outcome"], "escalate", "{second}");
    let rules: Vec<&str> = explained["decision"]["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|reason| reason["rule"].as_str())
        .collect();
    assert!(!rules.is_empty());

    // A replay does not make a second explanation: the same decision id explains.
    let replay = app.decide(&marketplace, &second_claim).await?;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json()?["decision_id"], second["decision_id"]);
    Ok(())
}

#[tokio::test]
async fn photos_seen_before_are_in_the_history_and_the_signals() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let first = sample_claim("ex-c3", "ex-shop", "ex-u3");
    let photo = first["evidence"]["photos"][0]["sha256"].clone();
    assert_eq!(
        app.decide(&marketplace, &first).await?.status,
        StatusCode::OK
    );

    // Another customer sends the same photo.
    let mut copied = sample_claim("ex-c4", "ex-shop", "ex-u4");
    copied["evidence"]["photos"][0]["sha256"] = photo.clone();
    let decision = app.decide(&marketplace, &copied).await?.json()?;
    assert_eq!(decision["risk"], "hard", "{decision}");

    let explained = explain(&app, &decision).await?;
    let photos = explained["history"]["photos"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        photos
            .iter()
            .any(|seen| seen["sha256"] == photo && seen["seen_in_others_claims"] == true),
        "{explained}"
    );
    let signals = explained["signals"].as_array().cloned().unwrap_or_default();
    assert!(!signals.is_empty(), "{explained}");
    for signal in &signals {
        assert!(
            signal["rule"]
                .as_str()
                .is_some_and(|rule| rule.starts_with('F'))
        );
        assert!(signal["text"].as_str().is_some_and(|text| !text.is_empty()));
        // Every signal is also among the decision's reasons.
        assert!(
            decision["reasons"]
                .as_array()
                .is_some_and(|reasons| reasons.contains(signal)),
            "{signal} not in {decision}"
        );
    }
    Ok(())
}
