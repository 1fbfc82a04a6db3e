//! `POST /v1/modules` and the policy it can become: every kind of refused upload has its
//! own code, the same bytes are the same module, a seller's module is its shop's alone,
//! and a module's own `validate-settings` judges the settings it is activated with.

use arbiter_tests::modules::florist;
use std::time::Duration;

use arbiter::registry::UploadLimits;
use arbiter_tests::http::{HttpReply, OPERATOR_TOKEN, TestApp, sample_claim};
use arbiter_tests::modules::{digest_of, with_custom_section};
use axum::http::StatusCode;
use serde_json::{Value, json};

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|error| panic!("wat: {error}"))
}

/// The digests `GET /v1/modules` lists for `token`, in its order.
async fn listed(app: &TestApp, token: &str) -> anyhow::Result<Vec<String>> {
    let reply = app.get("/v1/modules", Some(token)).await?;
    anyhow::ensure!(reply.status == StatusCode::OK, "GET /v1/modules: {reply:?}");
    Ok(reply.json()?["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|module| module["digest"].as_str().map(str::to_owned))
        .collect())
}

/// How many compiled artifacts the app keeps.
fn compiled_artifacts(app: &TestApp) -> usize {
    let walk = |dir: std::path::PathBuf| std::fs::read_dir(dir).into_iter().flatten().flatten();
    walk(app.data_dir().join("compiled"))
        .flat_map(|entry| walk(entry.path()))
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "cwasm"))
        .count()
}

fn message(reply: &HttpReply) -> String {
    reply
        .json()
        .ok()
        .and_then(|body| body["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[tokio::test]
async fn each_refused_upload_has_its_own_code_and_message() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let before = listed(&app, OPERATOR_TOKEN).await?;
    assert_eq!(before.len(), 2, "the built-in modules: {before:?}");
    let audit_before = app.get("/v1/audit", Some(OPERATOR_TOKEN)).await?.json()?;
    let artifacts_before = compiled_artifacts(&app);
    assert_eq!(artifacts_before, 2, "the built-in modules are compiled");

    let import = |name: &str| {
        wat(&format!(
            "(component (import \"{name}\" (instance (export \"open\" (func)))))"
        ))
    };
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "random bytes",
            b"this is not a module at all".to_vec(),
            "not_wasm",
            "not WebAssembly",
        ),
        ("empty body", Vec::new(), "not_wasm", "not WebAssembly"),
        (
            "a core module",
            wat("(module)"),
            "core_module",
            "core Wasm module",
        ),
        (
            "an ELF artifact",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec(),
            "precompiled_artifact",
            "precompiled",
        ),
        (
            "a truncated component",
            arbiter_artifacts::STANDARD_POLICY[..200].to_vec(),
            "invalid_component",
            "not a Wasm component",
        ),
        (
            "an empty component",
            wat("(component)"),
            "wrong_world",
            "compensation-policy or fraud-screen",
        ),
        (
            "http",
            import("wasi:http/types@0.2.0"),
            "forbidden_imports",
            "wasi:http/types@0.2.0",
        ),
        (
            "sockets",
            import("wasi:sockets/tcp@0.2.0"),
            "forbidden_imports",
            "wasi:sockets/tcp@0.2.0",
        ),
        (
            "an unknown interface",
            import("acme:anything/else"),
            "forbidden_imports",
            "acme:anything/else",
        ),
        (
            "an import beside the contract's exports",
            wat(r#"(component (import "wasi:http/outgoing-handler@0.2.0" (instance)))"#),
            "forbidden_imports",
            "wasi:http/outgoing-handler@0.2.0",
        ),
    ];
    for (name, bytes, code, says) in cases {
        let reply = app.upload(OPERATOR_TOKEN, &bytes).await?;
        println!("{name}: {}", String::from_utf8_lossy(&reply.body));
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, code, None);
        let message = message(&reply);
        assert!(message.contains(says), "{name}: {message}");
    }

    // Nothing was stored, compiled for later, or audited.
    assert_eq!(listed(&app, OPERATOR_TOKEN).await?, before);
    let audit_after = app.get("/v1/audit", Some(OPERATOR_TOKEN)).await?.json()?;
    assert_eq!(audit_after, audit_before);
    assert_eq!(compiled_artifacts(&app), artifacts_before);
    Ok(())
}

#[tokio::test]
async fn an_upload_over_the_cap_is_413_whether_a_byte_or_far_over() -> anyhow::Result<()> {
    let max_bytes = 64 * 1024;
    let app = TestApp::with_upload_limits(UploadLimits {
        max_bytes,
        ..UploadLimits::default()
    })
    .await?;
    assert!(arbiter_artifacts::STANDARD_POLICY.len() > max_bytes);
    let before = listed(&app, OPERATOR_TOKEN).await?;

    // One byte over (the registry refuses it), a real component over the cap, and a body
    // far over it (refused while it is read). Each names the cap.
    for bytes in [
        vec![0_u8; max_bytes + 1],
        arbiter_artifacts::STANDARD_POLICY.to_vec(),
        vec![0_u8; 4 * max_bytes],
    ] {
        let reply = app.upload(OPERATOR_TOKEN, &bytes).await?;
        reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "module_too_large", None);
        assert!(message(&reply).contains("65536"), "{}", message(&reply));
    }
    // At the cap it is judged on what it is.
    let reply = app.upload(OPERATOR_TOKEN, &vec![0_u8; max_bytes]).await?;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "not_wasm", None);
    assert_eq!(listed(&app, OPERATOR_TOKEN).await?, before);
    Ok(())
}

#[tokio::test]
async fn the_default_cap_is_32_mebibytes_not_the_json_body_limit() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    // Over the 1 MiB limit of JSON bodies, under the 32 MiB cap (a default Python build
    // is 18.5 MB): judged as a module.
    let reply = app.upload(OPERATOR_TOKEN, &vec![7_u8; 20 << 20]).await?;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "not_wasm", None);
    let reply = app
        .upload(OPERATOR_TOKEN, &vec![7_u8; (32 << 20) + 1])
        .await?;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "module_too_large", None);
    Ok(())
}

#[tokio::test]
async fn a_compile_over_the_time_limit_is_refused() -> anyhow::Result<()> {
    let app = TestApp::with_upload_limits(UploadLimits {
        compile_timeout: Duration::from_millis(1),
        ..UploadLimits::default()
    })
    .await?;
    let before = listed(&app, OPERATOR_TOKEN).await?;
    let reply = app.upload(OPERATOR_TOKEN, &florist()).await?;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "compile_timeout", None);
    assert!(message(&reply).contains("1ms"), "{}", message(&reply));
    assert_eq!(listed(&app, OPERATOR_TOKEN).await?, before);
    // Decisions go on with the modules already loaded.
    let marketplace = app.marketplace_token().await?;
    let reply = app
        .decide(&marketplace, &sample_claim("ct-c1", "ct-shop", "ct-u1"))
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    Ok(())
}

#[tokio::test]
async fn the_same_bytes_are_the_same_module() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let bytes = florist();
    let digest = digest_of(&bytes);

    let first = app.upload(OPERATOR_TOKEN, &bytes).await?;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let module = first.json()?;
    assert_eq!(module["digest"], json!(digest));
    assert_eq!(module["world"], "compensation-policy");
    assert_eq!(module["size"], json!(bytes.len()));
    assert_eq!(module["name"], "florist");
    assert_eq!(module["version"], "0.1.0");
    assert_eq!(
        module["metadata"],
        json!({"name": "florist", "version": "0.1.0", "rules": ["FL1", "FL2", "FL3"]})
    );
    assert_eq!(
        module["settings_schema"]["properties"]["promo_max"]["default"],
        100_000
    );
    assert_eq!(module["uploaded_by"], "operator");
    assert!(module["uploaded_at"].is_string(), "{module}");

    // Again: 200, the same module as first stored (not re-stamped).
    let again = app.upload(OPERATOR_TOKEN, &bytes).await?;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.json()?, module);

    let shown = app
        .get(&format!("/v1/modules/{digest}"), Some(OPERATOR_TOKEN))
        .await?;
    assert_eq!(shown.status, StatusCode::OK);
    // One module's page also counts its failures: none yet.
    let mut shown = shown.json()?;
    assert_eq!(shown["failures"], serde_json::json!({}));
    if let Some(fields) = shown.as_object_mut() {
        fields.remove("failures");
    }
    assert_eq!(shown, module);
    let all = listed(&app, OPERATOR_TOKEN).await?;
    assert_eq!(all.iter().filter(|listed| **listed == digest).count(), 1);

    // One more byte is another module; the built-in standard policy is already known.
    let tagged = with_custom_section(&bytes, "arbiter-test", b"1");
    let reply = app.upload(OPERATOR_TOKEN, &tagged).await?;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()?["digest"], json!(digest_of(&tagged)));
    assert_ne!(digest_of(&tagged), digest);
    let reply = app
        .upload(OPERATOR_TOKEN, arbiter_artifacts::STANDARD_POLICY)
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()?["digest"], json!(app.standard_module().await?));

    let reply = app
        .get("/v1/modules/sha256:00", Some(OPERATOR_TOKEN))
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    Ok(())
}

#[tokio::test]
async fn a_sellers_module_is_its_shop_alone() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let seller_a = app.seller_token("iso-a").await?;
    let seller_b = app.seller_token("iso-b").await?;
    let marketplace = app.marketplace_token().await?;
    let bytes = florist();
    let digest = digest_of(&bytes);

    // The marketplace only asks for decisions.
    let reply = app.upload(&marketplace, &bytes).await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    let reply = app.get("/v1/modules", Some(&marketplace)).await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);

    let reply = app.upload(&seller_a, &bytes).await?;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert!(
        reply.json()?["uploaded_by"]
            .as_str()
            .is_some_and(|by| by.starts_with("seller:")),
        "{reply:?}"
    );

    // Seller A sees it; seller B does not, by list or by digest.
    assert!(listed(&app, &seller_a).await?.contains(&digest));
    assert!(!listed(&app, &seller_b).await?.contains(&digest));
    let shown = format!("/v1/modules/{digest}");
    assert_eq!(
        app.get(&shown, Some(&seller_a)).await?.status,
        StatusCode::OK
    );
    let reply = app.get(&shown, Some(&seller_b)).await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);

    // Seller B can neither activate it on its shop nor touch seller A's.
    let policy = json!({"module": digest, "settings": {}});
    let reply = app
        .put_json("/v1/shops/iso-b/policy", Some(&seller_b), &policy)
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let reply = app
        .put_json("/v1/shops/iso-a/policy", Some(&seller_b), &policy)
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    for path in ["/v1/shops/iso-a/policy", "/v1/shops/iso-a/policy/versions"] {
        let reply = app.get(path, Some(&seller_b)).await?;
        reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    }
    let reply = app
        .post_json(
            "/v1/shops/iso-a/policy/rollback",
            Some(&seller_b),
            &json!({"to": 0}),
        )
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    let reply = app
        .post_json(
            "/v1/shops/iso-a/policy/promote",
            Some(&seller_b),
            &json!({}),
        )
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    // Nor may the marketplace.
    let reply = app
        .put_json("/v1/shops/iso-a/policy", Some(&marketplace), &policy)
        .await?;
    reply.assert_error(StatusCode::FORBIDDEN, "forbidden", None);
    // A seller's module is not the platform's either: an operator may not put it on
    // another shop.
    let reply = app
        .put_json("/v1/shops/iso-b/policy", Some(OPERATOR_TOKEN), &policy)
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);

    // Seller A activates it on its own shop, and its shop's decisions use it.
    let reply = app
        .put_json("/v1/shops/iso-a/policy", Some(&seller_a), &policy)
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.json()?["version"], 1);
    let decision = app
        .decide(&marketplace, &sample_claim("iso-c1", "iso-a", "iso-u1"))
        .await?
        .json()?;
    assert_eq!(decision["policy"]["module"], json!(digest), "{decision}");
    let decision = app
        .decide(&marketplace, &sample_claim("iso-c2", "iso-b", "iso-u2"))
        .await?
        .json()?;
    assert_eq!(
        decision["policy"]["module"],
        json!(app.standard_module().await?)
    );
    // Nothing of seller B's doing reached shop iso-a's versions.
    let versions = app
        .get("/v1/shops/iso-a/policy/versions", Some(&seller_a))
        .await?
        .json()?;
    assert_eq!(versions["versions"].as_array().map(Vec::len), Some(1));

    // An operator's upload is every shop's.
    let shared = with_custom_section(&bytes, "arbiter-test", b"shared");
    let shared_digest = app.upload_module(&shared).await?;
    for (shop, seller) in [("iso-a", &seller_a), ("iso-b", &seller_b)] {
        assert!(listed(&app, seller).await?.contains(&shared_digest));
        let reply = app
            .get(&format!("/v1/modules/{shared_digest}"), Some(seller))
            .await?;
        assert_eq!(reply.status, StatusCode::OK);
        let reply = app
            .put_json(
                &format!("/v1/shops/{shop}/policy"),
                Some(seller),
                &json!({"module": shared_digest}),
            )
            .await?;
        assert_eq!(reply.status, StatusCode::OK, "{shop}: {reply:?}");
        assert_eq!(reply.json()?["module"], json!(shared_digest));
    }
    Ok(())
}

#[tokio::test]
async fn settings_are_judged_by_the_module_being_activated() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let florist = app.upload_module(&florist()).await?;
    let standard = app.standard_module().await?;
    let path = "/v1/shops/set-p/policy";
    let cases = [
        (
            "florist promo_max 0",
            &florist,
            json!({"promo_max": 0}),
            "promo_max",
        ),
        (
            "florist knows no refund_max",
            &florist,
            json!({"refund_max": 300000}),
            "refund_max",
        ),
        (
            "standard unknown key",
            &standard,
            json!({"promo_maks": 1}),
            "promo_maks",
        ),
        (
            "standard promo_max over refund_max",
            &standard,
            json!({"promo_max": 300000}),
            "promo_max",
        ),
    ];
    for (name, module, settings, key) in cases {
        let body = json!({"module": module, "settings": settings});
        let reply = app.put_json(path, Some(OPERATOR_TOKEN), &body).await?;
        println!("{name}: {}", String::from_utf8_lossy(&reply.body));
        reply.assert_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "settings_rejected",
            Some(key),
        );
    }
    let reply = app
        .put_json(
            path,
            Some(OPERATOR_TOKEN),
            &json!({"module": florist, "settings": [1]}),
        )
        .await?;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "settings_rejected", None);

    // What the standard accepts the florist refuses, and the other way round.
    let reply = app
        .put_json(
            path,
            Some(OPERATOR_TOKEN),
            &json!({"module": florist, "settings": {"promo_max": 300000}}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");

    // Not a compensation policy, not a module, not a rollout.
    let fraud = app.get("/readyz", None).await?.json()?["modules"]["fraud_screen"].clone();
    let reply = app
        .put_json(path, Some(OPERATOR_TOKEN), &json!({"module": fraud}))
        .await?;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_world", None);
    let reply = app
        .put_json(
            path,
            Some(OPERATOR_TOKEN),
            &json!({"module": digest_of(b"never uploaded")}),
        )
        .await?;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    for (body, field) in [
        (
            json!({"module": florist, "mode": "canary"}),
            "canary_percent",
        ),
        (
            json!({"module": florist, "mode": "canary", "canary_percent": 101}),
            "canary_percent",
        ),
        (
            json!({"module": florist, "mode": "shadow", "canary_percent": 5}),
            "canary_percent",
        ),
        (json!({"module": florist, "mode": "blue"}), "mode"),
        (json!({"settings": {}}), "module"),
        (json!({"module": florist, "moduel": 1}), "moduel"),
    ] {
        let reply = app.put_json(path, Some(OPERATOR_TOKEN), &body).await?;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(field));
    }

    // Only the accepted PUT became a version.
    let versions: Value = app
        .get(&format!("{path}/versions"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    let versions = versions["versions"].as_array().cloned().unwrap_or_default();
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0]["settings"], json!({"promo_max": 300000}));
    Ok(())
}

/// Past the budget of loaded modules the least recently used are dropped, and the next
/// decision that needs one loads it again from the compiled cache: every shop is still
/// decided by its own module, and nothing is compiled again.
#[tokio::test]
async fn modules_past_the_loaded_budget_are_dropped_and_reloaded_from_the_cache()
-> anyhow::Result<()> {
    let florist = std::fs::read(arbiter_artifacts::FLORIST_EXAMPLE_PATH)?;
    let image = arbiter::engine::CompensationModule::load(
        &arbiter::engine::Engine::new(arbiter::engine::Limits::default())?,
        &florist,
    )?
    .image_bytes();
    assert!(image > 0);
    // Room for two florists' images, not three.
    let app = TestApp::with_upload_limits(UploadLimits {
        loaded_bytes: image * 2 + image / 2,
        ..UploadLimits::default()
    })
    .await?;
    let marketplace = app.marketplace_token().await?;
    let mut modules = Vec::new();
    for n in 0..4 {
        let bytes = with_custom_section(&florist, "copy", &[n]);
        let module = app.upload_module(&bytes).await?;
        app.put_policy(
            &format!("lru-shop-{n}"),
            &json!({"module": module, "settings": {}}),
        )
        .await?;
        modules.push(module);
    }
    let registry = app.service().registry();
    let resident = registry.resident();
    assert_eq!(resident.modules, 2, "{resident:?}");
    let compiles = registry.compile_jobs();

    for round in 0..3 {
        for (n, module) in modules.iter().enumerate() {
            let claim = sample_claim(
                &format!("lru-{round}-{n}"),
                &format!("lru-shop-{n}"),
                "lru-u",
            );
            let answer = app.decide(&marketplace, &claim).await?.json()?;
            assert_eq!(answer["policy"]["module"], json!(module), "{answer}");
            assert_eq!(answer["fallback_applied"], false, "{answer}");
        }
    }
    let resident = registry.resident();
    assert!(
        resident.modules <= 2 && resident.image_bytes <= image * 2 + image / 2,
        "{resident:?}"
    );
    // Each decision of a round needed a module dropped by the one before.
    assert!(resident.evictions >= 12, "{resident:?}");
    // And /metrics says so.
    let metrics = app.get("/metrics", Some(OPERATOR_TOKEN)).await?;
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(text.contains("arbiter_modules_loaded 2"), "{text}");
    assert!(
        text.contains(&format!(
            "arbiter_module_evictions_total {}",
            resident.evictions
        )),
        "{text}"
    );
    assert_eq!(registry.compile_jobs(), compiles, "a reload compiled");
    Ok(())
}
