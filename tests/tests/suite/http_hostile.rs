//! Hostile modules against a running service: each misbehaving module (fixtures built
//! from source) fails with its exact code while a well-behaved shop decides at the same
//! time, and every one of the healthy shop's answers is the right one; hostile uploads
//! are refused with their codes while decisions go on; the service stays healthy.

use std::time::{Duration, Instant};

use arbiter_tests::decisions::rules;
use arbiter_tests::http::{HttpReply, OPERATOR_TOKEN, TestApp, json_body, sample_claim, send};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// The healthy shop's claims: damaged, evidence confirmed, a first claim each, so the
/// standard policy answers with a promo code for the item (rule R1.2).
async fn decide_healthy(
    router: axum::Router,
    token: String,
    prefix: String,
    count: usize,
) -> anyhow::Result<Vec<Value>> {
    let mut answers = Vec::new();
    for n in 0..count {
        let claim = sample_claim(
            &format!("{prefix}-c{n}"),
            "healthy-shop",
            &format!("{prefix}-u{n}"),
        );
        let reply = send(
            router.clone(),
            Method::POST,
            "/v1/decisions",
            Some(&token),
            &[],
            json_body(&claim),
        )
        .await?;
        anyhow::ensure!(
            reply.status == StatusCode::OK,
            "healthy decision: {reply:?}"
        );
        answers.push(reply.json()?);
    }
    Ok(answers)
}

fn assert_healthy_answer(answer: &Value) {
    assert_eq!(answer["outcome"], "compensate", "{answer}");
    assert_eq!(answer["fallback_applied"], false, "{answer}");
    assert!(answer.get("failure").is_none_or(Value::is_null), "{answer}");
    assert_eq!(answer["actions"][0]["type"], "promo_code", "{answer}");
    assert_eq!(answer["actions"][0]["amount"], 35000, "{answer}");
    assert!(rules(answer).contains(&"R1.2".to_owned()), "{answer}");
}

async fn assert_service_healthy(app: &TestApp) -> anyhow::Result<()> {
    for path in ["/healthz", "/readyz"] {
        let reply = app.get(path, None).await?;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {reply:?}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hostile_module_fails_with_its_code_while_a_healthy_shop_is_answered_correctly()
-> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let hostile = app
        .upload_module(&std::fs::read(arbiter_artifacts::HOSTILE_FIXTURE_PATH)?)
        .await?;
    let spinner = app
        .upload_module(&std::fs::read(
            arbiter_artifacts::SPIN_FOREVER_FIXTURE_PATH,
        )?)
        .await?;

    // (shop, module, settings, the failure every one of its claims must report)
    let cases = [
        ("spin", &spinner, json!({}), "guest_timeout"),
        (
            "memory-bomb",
            &hostile,
            json!({"behaviour": "memory_bomb"}),
            "guest_memory_limit",
        ),
        (
            "recurse",
            &hostile,
            json!({"behaviour": "recurse"}),
            "guest_stack_overflow",
        ),
        (
            "panic",
            &hostile,
            json!({"behaviour": "panic"}),
            "guest_trap",
        ),
        (
            "huge",
            &hostile,
            json!({"behaviour": "huge_decision"}),
            "output_too_large",
        ),
        (
            "negative",
            &hostile,
            json!({"behaviour": "negative_amount"}),
            "invalid_decision",
        ),
        (
            "currency",
            &hostile,
            json!({"behaviour": "wrong_currency"}),
            "invalid_decision",
        ),
    ];
    for (shop, module, settings, _) in &cases {
        app.put_policy(shop, &json!({"module": module, "settings": settings}))
            .await?;
    }

    // The healthy shop decides throughout, from two clients.
    let healthy: Vec<_> = (0..2)
        .map(|client| {
            tokio::spawn(decide_healthy(
                app.router(),
                marketplace.clone(),
                format!("healthy{client}"),
                25,
            ))
        })
        .collect();
    // Each hostile shop gets two claims at the same time.
    let mut hostile_calls = Vec::new();
    for (shop, _, _, expected) in &cases {
        for n in 0..2 {
            let claim = sample_claim(&format!("{shop}-c{n}"), shop, &format!("{shop}-u{n}"));
            let router = app.router();
            let token = marketplace.clone();
            let call = tokio::spawn(async move {
                send(
                    router,
                    Method::POST,
                    "/v1/decisions",
                    Some(&token),
                    &[],
                    json_body(&claim),
                )
                .await
            });
            hostile_calls.push((*shop, *expected, call));
        }
    }

    for (shop, expected, call) in hostile_calls {
        let reply: HttpReply = call.await??;
        assert_eq!(reply.status, StatusCode::OK, "{shop}: {reply:?}");
        let answer = reply.json()?;
        assert_eq!(answer["failure"], expected, "{shop}: {answer}");
        assert_eq!(answer["fallback_applied"], true, "{shop}: {answer}");
        assert_eq!(answer["outcome"], "escalate", "{shop}: {answer}");
        assert!(
            rules(&answer).contains(&"E0".to_owned()),
            "{shop}: {answer}"
        );

        // The ledger keeps the failure with its detail, for whoever explains it.
        let id = answer["decision_id"].as_str().unwrap_or_default();
        let explained = app
            .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
            .await?
            .json()?;
        assert_eq!(explained["failure"], expected, "{shop}: {explained}");
        assert!(
            explained["failure_detail"]
                .as_str()
                .is_some_and(|detail| !detail.is_empty()),
            "{shop}: {explained}"
        );
    }
    for client in healthy {
        let answers = client.await??;
        assert_eq!(answers.len(), 25);
        answers.iter().for_each(assert_healthy_answer);
    }
    assert_service_healthy(&app).await?;

    // Failures are counted against the modules, by kind.
    let record = app
        .get(&format!("/v1/modules/{hostile}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    for (kind, count) in [
        ("guest_memory_limit", 2),
        ("guest_stack_overflow", 2),
        ("guest_trap", 2),
        ("output_too_large", 2),
        ("invalid_decision", 4),
    ] {
        assert_eq!(record["failures"][kind], count, "{kind}: {record}");
    }
    let record = app
        .get(&format!("/v1/modules/{spinner}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(record["failures"]["guest_timeout"], 2, "{record}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_that_keeps_timing_out_is_suspended_and_costs_nothing_more() -> anyhow::Result<()>
{
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let spinner = app
        .upload_module(&std::fs::read(
            arbiter_artifacts::SPIN_FOREVER_FIXTURE_PATH,
        )?)
        .await?;
    app.put_policy("spin-shop", &json!({"module": spinner, "settings": {}}))
        .await?;

    let mut failures = Vec::new();
    let mut suspended_took = Duration::ZERO;
    for n in 0..6 {
        let claim = sample_claim(&format!("ss-c{n}"), "spin-shop", &format!("ss-u{n}"));
        let started = Instant::now();
        let answer = app.decide(&marketplace, &claim).await?.json()?;
        if n >= 3 {
            suspended_took = suspended_took.max(started.elapsed());
        }
        assert_eq!(answer["outcome"], "escalate", "{answer}");
        assert_eq!(answer["fallback_applied"], true, "{answer}");
        failures.push(answer["failure"].as_str().unwrap_or_default().to_owned());
    }
    // Three timeouts in a row (the default), then the module is not called.
    assert_eq!(
        failures,
        [
            "guest_timeout",
            "guest_timeout",
            "guest_timeout",
            "module_suspended",
            "module_suspended",
            "module_suspended"
        ]
    );
    // Loose: a suspended answer does not wait for a deadline (500 ms in tests).
    assert!(
        suspended_took < Duration::from_secs(1),
        "{suspended_took:?}"
    );

    // Another shop on the same module is not suspended by this one's streak.
    app.put_policy("spin-shop-2", &json!({"module": spinner, "settings": {}}))
        .await?;
    let answer = app
        .decide(
            &marketplace,
            &sample_claim("ss2-c0", "spin-shop-2", "ss2-u0"),
        )
        .await?
        .json()?;
    assert_eq!(answer["failure"], "guest_timeout", "{answer}");

    // The shop moves to the standard policy: it is called at once.
    let standard = app.standard_module().await?;
    app.put_policy("spin-shop", &json!({"module": standard, "settings": {}}))
        .await?;
    let answer = app
        .decide(&marketplace, &sample_claim("ss-c9", "spin-shop", "ss-u9"))
        .await?
        .json()?;
    assert_eq!(answer["outcome"], "compensate", "{answer}");
    assert_eq!(answer["fallback_applied"], false, "{answer}");
    assert_service_healthy(&app).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_are_refused_by_code_while_decisions_go_on() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let fixture = |path: &str| std::fs::read(path);
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "describe fails",
            fixture(arbiter_artifacts::DESCRIBE_FAILS_FIXTURE_PATH)?,
            "describe_failed",
            "describing itself",
        ),
        (
            "an unknown interface",
            fixture(arbiter_artifacts::IMPORTS_UNKNOWN_FIXTURE_PATH)?,
            "forbidden_imports",
            "acme:telemetry/beacon",
        ),
        (
            "wasi:sockets",
            fixture(arbiter_artifacts::IMPORTS_SOCKETS_FIXTURE_PATH)?,
            "forbidden_imports",
            "wasi:sockets/tcp",
        ),
        (
            "not wasm",
            b"#!/bin/sh\nrm -rf /\n".to_vec(),
            "not_wasm",
            "not WebAssembly",
        ),
        (
            "a core module",
            b"\0asm\x01\0\0\0".to_vec(),
            "core_module",
            "core Wasm module",
        ),
        (
            "truncated",
            arbiter_artifacts::STANDARD_POLICY[..arbiter_artifacts::STANDARD_POLICY.len() / 2]
                .to_vec(),
            "invalid_component",
            "not a Wasm component",
        ),
        (
            "a precompiled artifact",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec(),
            "precompiled_artifact",
            "precompiled",
        ),
        (
            "larger than the cap",
            vec![0_u8; (32 << 20) + 1],
            "module_too_large",
            "33554432",
        ),
    ];

    let healthy = tokio::spawn(decide_healthy(
        app.router(),
        marketplace.clone(),
        "up".into(),
        30,
    ));
    for (name, bytes, code, says) in cases {
        let reply = send(
            app.router(),
            Method::POST,
            "/v1/modules",
            Some(OPERATOR_TOKEN),
            &[("content-type", "application/wasm")],
            Body::from(bytes),
        )
        .await?;
        let status = if code == "module_too_large" {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        reply.assert_error(status, code, None);
        let message = reply.json()?["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(says), "{name}: {message}");
    }
    let answers = healthy.await??;
    assert_eq!(answers.len(), 30);
    answers.iter().for_each(assert_healthy_answer);
    assert_service_healthy(&app).await?;
    Ok(())
}

#[tokio::test]
async fn what_a_wasi_guest_prints_is_kept_with_its_decision_capped() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let chatty = app
        .upload_module(&std::fs::read(arbiter_artifacts::CHATTY_FIXTURE_PATH)?)
        .await?;
    app.put_policy("chatty-shop", &json!({"module": chatty, "settings": {}}))
        .await?;

    let answer = app
        .decide(&marketplace, &sample_claim("ch-c1", "chatty-shop", "ch-u1"))
        .await?
        .json()?;
    // Printing is not failing: the module's own decision stands.
    assert_eq!(answer["outcome"], "escalate", "{answer}");
    assert_eq!(answer["fallback_applied"], false, "{answer}");
    assert_eq!(rules(&answer), ["CH1"], "{answer}");

    let id = answer["decision_id"].as_str().unwrap_or_default();
    let explained = app
        .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    let output = explained["guest_output"].as_str().unwrap_or_default();
    assert!(
        output.starts_with("chatty stdout line 00 of 20: claim `ch-c1`"),
        "{output}"
    );
    assert!(output.contains("chatty stderr line 00"), "{output}");
    let (kept, cut) = output
        .split_once('…')
        .unwrap_or_else(|| panic!("no cut-off note: {output}"));
    assert_eq!(kept.len(), 1024, "{output}");
    assert!(cut.contains("more bytes not kept"), "{cut}");

    // A guest with nothing to say has no output recorded.
    let quiet = app
        .decide(&marketplace, &sample_claim("ch-c2", "quiet-shop", "ch-u2"))
        .await?
        .json()?;
    let id = quiet["decision_id"].as_str().unwrap_or_default();
    let explained = app
        .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert!(explained["guest_output"].is_null(), "{explained}");
    Ok(())
}
