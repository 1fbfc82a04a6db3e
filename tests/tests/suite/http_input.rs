//! Bad input to `POST /v1/decisions`: each case is answered 400 naming the field at
//! fault, a body over 1 MiB 413, a missing or unknown token 401; nothing reaches the
//! ledger.

use arbiter::api::MAX_BODY_BYTES;
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with, without};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

fn claim() -> Value {
    sample_claim("in-c1", "in-shop", "in-u1")
}

/// A bad body, the field it must be blamed on.
fn rejections() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown top-level field",
            with(claim(), "colour", json!("red")),
            "colour",
        ),
        (
            "unknown nested field",
            with(claim(), "items.0.unit_prise", json!(35000)),
            "items[0].unit_prise",
        ),
        (
            "unknown field in an object",
            with(claim(), "order.courrier", json!("seller")),
            "order.courrier",
        ),
        (
            "wrong enum value",
            with(claim(), "kind", json!("broken")),
            "kind",
        ),
        (
            "wrong nested enum value",
            with(claim(), "order.fulfilment", json!("2p")),
            "order.fulfilment",
        ),
        (
            "wrong enum value in a list",
            with(claim(), "evidence.used_signs", json!(["scratches"])),
            "evidence.used_signs[0]",
        ),
        // Found by fuzzing: in UTC these leave the years RFC 3339 can write.
        (
            "a time past the year 9999 in UTC",
            with(claim(), "now", json!("9999-12-31T23:59:59-01:00")),
            "now",
        ),
        (
            "a time before the year 0000 in UTC",
            with(
                claim(),
                "order.placed_at",
                json!("0000-01-01T00:00:00+01:00"),
            ),
            "order.placed_at",
        ),
        (
            "negative amount",
            with(claim(), "items.0.unit_price", json!(-1)),
            "items[0].unit_price",
        ),
        (
            "negative order total",
            with(claim(), "order.total", json!(-459000)),
            "order.total",
        ),
        (
            "negative component price",
            with(claim(), "items.0.component_price", json!(-5)),
            "items[0].component_price",
        ),
        (
            "amount as a float",
            with(claim(), "items.0.unit_price", json!(350.5)),
            "items[0].unit_price",
        ),
        ("missing required field", without(claim(), "kind"), "kind"),
        (
            "missing nested required field",
            without(claim(), "order.currency"),
            "order.currency",
        ),
        (
            "missing field in a list item",
            without(claim(), "items.0.sku"),
            "items[0].sku",
        ),
        (
            "quantity_affected above quantity_ordered",
            with(claim(), "items.0.quantity_affected", json!(2)),
            "items[0].quantity_affected",
        ),
        (
            "lower-case currency",
            with(claim(), "order.currency", json!("rub")),
            "order.currency",
        ),
        (
            "currency not three letters",
            with(claim(), "order.currency", json!("RUBL")),
            "order.currency",
        ),
        (
            "subkind of another kind",
            with(claim(), "subkind", json!("receipt")),
            "subkind",
        ),
        (
            "revision 0",
            with(claim(), "revision", json!(0)),
            "revision",
        ),
        (
            "revision as a string",
            with(claim(), "revision", json!("1")),
            "revision",
        ),
        (
            "not a timestamp",
            with(claim(), "now", json!("yesterday")),
            "now",
        ),
        (
            "opened after now",
            with(claim(), "opened_at", json!("2026-11-21T00:00:00Z")),
            "opened_at",
        ),
        (
            "photo hash not sha256",
            with(claim(), "evidence.photos.0.sha256", json!("9f2c...")),
            "evidence.photos[0].sha256",
        ),
        ("no items", with(claim(), "items", json!([])), "items"),
        (
            "empty claim id",
            with(claim(), "claim_id", json!(" ")),
            "claim_id",
        ),
    ];
    let mut all: Vec<(&str, Vec<u8>, &str)> = cases
        .into_iter()
        .map(|(name, body, field)| (name, body.to_string().into_bytes(), field))
        .collect();
    all.push(("not JSON", b"{\"claim_id\": \"in-c1\",".to_vec(), ""));
    all.push(("not JSON at all", b"claim please".to_vec(), ""));
    all.push(("an array", b"[1, 2, 3]".to_vec(), ""));
    let mut trailing = claim().to_string().into_bytes();
    trailing.extend_from_slice(b" {}");
    all.push(("trailing data after the body", trailing, ""));
    all
}

#[tokio::test]
async fn bad_input_is_400_naming_the_field() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    for (name, body, field) in rejections() {
        let reply = app
            .send(
                Method::POST,
                "/v1/decisions",
                Some(&marketplace),
                &[],
                Body::from(body),
            )
            .await?;
        println!("{name}: {}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(field));
    }
    assert_eq!(
        app.decision_count().await?,
        0,
        "a rejected claim was recorded"
    );

    // The untouched claim is fine: the cases above fail for their one change.
    let reply = app.decide(&marketplace, &claim()).await?;
    assert_eq!(reply.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;

    // A JSON body of exactly the limit (padded with whitespace) is accepted...
    let mut body = claim().to_string().into_bytes();
    body.resize(MAX_BODY_BYTES, b' ');
    let reply = app
        .send(
            Method::POST,
            "/v1/decisions",
            Some(&marketplace),
            &[],
            Body::from(body),
        )
        .await?;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );

    // ...one byte more is not, however it is made.
    let mut padded = claim().to_string().into_bytes();
    padded.resize(MAX_BODY_BYTES + 1, b' ');
    let long_title = with(
        sample_claim("in-c2", "in-shop", "in-u2"),
        "items.0.title",
        json!("x".repeat(MAX_BODY_BYTES)),
    );
    for body in [padded, long_title.to_string().into_bytes()] {
        let reply = app
            .send(
                Method::POST,
                "/v1/decisions",
                Some(&marketplace),
                &[],
                Body::from(body),
            )
            .await?;
        reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None);
    }

    // The same limit holds for settings.
    let settings = json!({"promo_max": 100000, "padding": "x".repeat(MAX_BODY_BYTES)});
    let reply = app
        .put_json(
            "/v1/shops/in-shop/settings",
            Some(OPERATOR_TOKEN),
            &settings,
        )
        .await?;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None);
    assert_eq!(app.decision_count().await?, 1);
    Ok(())
}

#[tokio::test]
async fn no_or_invalid_token_is_401() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let body = claim().to_string();
    let basic = format!("Basic {OPERATOR_TOKEN}");
    let cases: [(&str, Option<&str>); 5] = [
        ("no Authorization header", None),
        ("unknown bearer token", Some("Bearer arb_0000")),
        ("empty bearer token", Some("Bearer ")),
        ("another scheme", Some(&basic)),
        ("no scheme", Some(OPERATOR_TOKEN)),
    ];
    for (name, authorization) in cases {
        let headers: Vec<(&str, &str)> = authorization
            .map(|value| vec![("authorization", value)])
            .unwrap_or_default();
        let reply = app
            .send(
                Method::POST,
                "/v1/decisions",
                None,
                &headers,
                Body::from(body.clone()),
            )
            .await?;
        println!("{name}: {}", String::from_utf8_lossy(&reply.body));
        reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized", None);
    }

    // Authentication comes before the body is read: a bad body without a token is 401.
    let reply = app
        .send(
            Method::POST,
            "/v1/decisions",
            None,
            &[],
            Body::from("not json"),
        )
        .await?;
    reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized", None);

    // Every route but the health checks and the description asks for a token.
    for (method, path) in [
        (Method::GET, "/v1/decisions/d-1"),
        (Method::GET, "/v1/shops/in-shop/settings"),
        (Method::PUT, "/v1/shops/in-shop/settings"),
        (Method::PUT, "/v1/platform/fraud-list/in-u1"),
        (Method::DELETE, "/v1/platform/fraud-list/in-u1"),
        (Method::POST, "/v1/tokens"),
    ] {
        let reply = app
            .send(
                method.clone(),
                path,
                Some("arb_wrong"),
                &[],
                Body::from("{}"),
            )
            .await?;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized", None);
    }
    assert_eq!(app.decision_count().await?, 0);
    Ok(())
}
