//! `/healthz`, `/readyz`, the router's fallback, and the OpenAPI description served at
//! `/v1/openapi.json` (generated from the handlers' types): valid JSON that lists every
//! route and every field Arbiter adds.

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// Every route of the v1 router, with its methods (as OpenAPI spells them).
const ROUTES: [(&str, &[&str]); 30] = [
    ("/v1/decisions", &["get", "post"]),
    ("/v1/decisions/{decision_id}", &["get"]),
    ("/v1/decisions/{decision_id}/feedback", &["post"]),
    ("/v1/shops/{shop_id}/feedback", &["get"]),
    ("/v1/shops/{shop_id}/settings", &["get", "put"]),
    ("/v1/platform/fraud-list/{customer_id}", &["put", "delete"]),
    ("/v1/platform/guardrails", &["get", "put"]),
    ("/v1/tokens", &["post"]),
    ("/v1/modules", &["get", "post"]),
    ("/v1/modules/{digest}", &["get"]),
    ("/v1/shops/{shop_id}/policy", &["get", "put"]),
    ("/v1/shops/{shop_id}/policy/versions", &["get"]),
    ("/v1/shops/{shop_id}/policy/rollback", &["post"]),
    ("/v1/shops/{shop_id}/policy/promote", &["post"]),
    ("/v1/shops/{shop_id}/failure-policy", &["get", "put"]),
    ("/v1/platform/policies/{name}", &["get", "put"]),
    ("/v1/shops/{shop_id}/backtests", &["get", "post"]),
    ("/v1/backtests/{backtest_id}", &["get"]),
    ("/v1/platform/backtests", &["get", "post"]),
    ("/v1/shops/{shop_id}/rollouts", &["get"]),
    ("/v1/audit", &["get"]),
    ("/v1/shops/{shop_id}/decisions", &["get"]),
    ("/v1/shops/{shop_id}/insights", &["get"]),
    ("/v1/platform/insights", &["get"]),
    ("/v1/platform/fraud-list", &["get"]),
    ("/v1/whoami", &["get"]),
    ("/healthz", &["get"]),
    ("/readyz", &["get"]),
    ("/v1/openapi.json", &["get"]),
    ("/metrics", &["get"]),
];

fn is_digest(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        text.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
        })
    })
}

#[tokio::test]
async fn health_and_readiness_need_no_token() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let reply = app.get("/healthz", None).await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()?, json!({"status": "ok"}));

    let reply = app.get("/readyz", None).await?;
    assert_eq!(reply.status, StatusCode::OK);
    let ready = reply.json()?;
    assert_eq!(ready["status"], "ready");
    let fraud = &ready["modules"]["fraud_screen"];
    let standard = &ready["modules"]["standard_policy"];
    assert!(is_digest(fraud), "{ready}");
    assert!(is_digest(standard), "{ready}");
    assert_ne!(fraud, standard);

    // The standard digest is the one decisions name.
    let marketplace = app.marketplace_token().await?;
    let decision = app
        .decide(&marketplace, &sample_claim("hz-c1", "hz-shop", "hz-u1"))
        .await?
        .json()?;
    assert_eq!(&decision["policy"]["module"], standard);
    Ok(())
}

#[tokio::test]
async fn an_unknown_route_or_method_is_answered_in_the_error_shape() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    for path in ["/", "/v2/decisions", "/v1/decision", "/v1/shops/x"] {
        let reply = app.get(path, Some(OPERATOR_TOKEN)).await?;
        reply.assert_error(StatusCode::NOT_FOUND, "not_found", None);
    }
    // A known route with another method.
    let reply = app
        .send(
            Method::DELETE,
            "/v1/decisions",
            Some(OPERATOR_TOKEN),
            &[],
            Body::empty(),
        )
        .await?;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None);
    assert_eq!(reply.header("allow"), Some("POST,GET,HEAD"));
    let reply = app
        .post_json(
            "/v1/shops/hz-shop/settings",
            Some(OPERATOR_TOKEN),
            &json!({}),
        )
        .await?;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None);
    Ok(())
}

#[tokio::test]
async fn the_openapi_description_is_served_without_a_token() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let reply = app.get("/v1/openapi.json", None).await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.json()?;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc, serde_json::to_value(arbiter::api::openapi())?);

    // Every route, with exactly its methods.
    let paths = doc["paths"]
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("no paths"))?;
    for (path, methods) in ROUTES {
        let item = paths
            .get(path)
            .ok_or_else(|| anyhow::anyhow!("{path} is not described"))?;
        let mut described: Vec<&str> = item
            .as_object()
            .into_iter()
            .flatten()
            .map(|(key, _)| key.as_str())
            .filter(|key| {
                [
                    "get", "put", "post", "delete", "patch", "head", "options", "trace",
                ]
                .contains(key)
            })
            .collect();
        described.sort_unstable();
        let mut wanted = methods.to_vec();
        wanted.sort_unstable();
        assert_eq!(described, wanted, "{path}");
    }
    assert_eq!(paths.len(), ROUTES.len(), "a path that is not a route");

    // Every reference resolves.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20);
    for reference in refs {
        let pointer = reference
            .strip_prefix('#')
            .ok_or_else(|| anyhow::anyhow!("external ref {reference}"))?;
        assert!(
            doc.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }

    // Bearer security, with the health routes and this document open.
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    for open in ["/healthz", "/readyz", "/v1/openapi.json"] {
        assert_eq!(doc["paths"][open]["get"]["security"], json!([{}]), "{open}");
        assert!(
            doc["paths"][open]["get"]["responses"]["401"].is_null(),
            "{open} never asks for a token"
        );
    }
    // Every other operation answers 401 and 403 in the error shape.
    for (path, methods) in ROUTES {
        for method in methods {
            let operation = &doc["paths"][path][method];
            if operation["security"] == json!([{}]) {
                continue;
            }
            for status in ["400", "401", "403", "500", "503"] {
                assert_eq!(
                    operation["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_openapi_description_documents_what_arbiter_adds() -> anyhow::Result<()> {
    let doc = serde_json::to_value(arbiter::api::openapi())?;
    let schemas = &doc["components"]["schemas"];

    let request = &schemas["DecisionRequest"]["properties"];
    assert_eq!(request["marked_as_fraud"]["type"], "boolean");
    assert_eq!(request["marked_as_fraud"]["default"], false);
    assert!(schemas["Item"]["properties"]["component_price"].is_object());
    assert_eq!(schemas["DecisionRequest"]["additionalProperties"], false);

    let failure = &schemas["DecisionResponse"]["properties"]["failure"];
    assert!(
        failure["description"]
            .as_str()
            .is_some_and(|text| text.contains("guest_timeout")),
        "{failure}"
    );
    let required = schemas["DecisionResponse"]["required"].to_string();
    assert!(!required.contains("\"failure\""), "failure is optional");

    let actions = schemas["Action"]["oneOf"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let variant = |kind: &str| {
        actions
            .iter()
            .find(|action| action["properties"]["type"]["enum"] == json!([kind]))
            .cloned()
            .unwrap_or(Value::Null)
    };
    // A property's schema, following its `$ref`.
    let resolved = |schema: &Value| match schema["$ref"].as_str() {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .cloned()
            .unwrap_or(Value::Null),
        None => schema.clone(),
    };
    assert_eq!(
        resolved(&variant("send_document")["properties"]["via"])["enum"],
        json!(["delivery_service", "office_staff"])
    );
    assert_eq!(
        resolved(&variant("start_return")["properties"]["quality"])["enum"],
        json!(["proper", "improper"])
    );

    let replayed = &doc["paths"]["/v1/decisions"]["post"]["responses"]["200"]["headers"]["idempotent-replayed"];
    assert!(replayed.is_object(), "the replay header is documented");
    assert!(
        doc["paths"]["/v1/decisions"]["post"]["parameters"]
            .as_array()
            .is_some_and(|params| params.iter().any(|p| p["name"] == "Idempotency-Key"))
    );

    let error = &schemas["ErrorDetail"];
    assert_eq!(error["required"], json!(["code", "message", "field"]));

    // Integers carry their bounds, so a value the server refuses is one the description
    // refuses too.
    let item = &schemas["Item"]["properties"];
    assert_eq!(
        item["quantity_affected"]["maximum"],
        json!(4_294_967_295_u64)
    );
    assert_eq!(
        schemas["Amount"]["maximum"],
        json!(arbiter::contract::MAX_AMOUNT)
    );
    // The action union validates without a discriminator: each variant's `type` is one
    // value.
    assert!(schemas["Action"]["discriminator"].is_null());
    // A seller's token needs a shop; a marketplace's has none.
    let token = doc["components"]["schemas"]["TokenRequest"].to_string();
    assert!(token.contains("SellerTokenRequest"), "{token}");
    Ok(())
}

#[tokio::test]
async fn every_described_route_is_served() -> anyhow::Result<()> {
    // The description names no route the router does not have: each documented method
    // on each documented path is answered by its handler, not the fallback or a 405.
    let app = TestApp::new().await?;
    for (path, methods) in ROUTES {
        let concrete = path
            .replace("{decision_id}", "d-x")
            .replace("{shop_id}", "hz-shop")
            .replace("{customer_id}", "hz-u9")
            .replace("{digest}", "sha256:00")
            .replace("{name}", "compensation");
        for method in methods {
            let method = Method::from_bytes(method.to_uppercase().as_bytes())?;
            let reply = app
                .send(
                    method.clone(),
                    &concrete,
                    Some(OPERATOR_TOKEN),
                    &[],
                    Body::from("{}"),
                )
                .await?;
            assert_ne!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {concrete}"
            );
            let body = String::from_utf8_lossy(&reply.body);
            assert!(
                !body.contains("no such route"),
                "{method} {concrete}: {body}"
            );
        }
    }
    Ok(())
}

fn collect_refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => into.push(reference.clone()),
                    _ => collect_refs(value, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, into)),
        _ => {}
    }
}
