//! What operators see of a running server: `/metrics` (parsed as Prometheus text, its
//! counters moving by exactly what a test does), request ids from the caller to the
//! ledger and back, and the decision log export (every decision of a range exactly
//! once across pages, a seller's shop only).

use std::collections::{BTreeMap, BTreeSet};

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, json_body, sample_claim};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// One sample of the exposition: its name and labels, and its value.
type Samples = BTreeMap<String, f64>;

/// The samples of an OpenMetrics / Prometheus text exposition, keyed by the name with
/// its labels as written (`name{a="x",b="y"}`). Fails on any line that is neither a
/// comment nor `name[{labels}] value`.
fn parse_exposition(text: &str) -> anyhow::Result<Samples> {
    let mut samples = Samples::new();
    anyhow::ensure!(text.ends_with("# EOF\n"), "no EOF marker");
    for line in text.lines() {
        if line.starts_with('#') {
            let mut words = line.split_whitespace().skip(1);
            if let Some(kind @ ("TYPE" | "HELP" | "UNIT")) = words.next() {
                anyhow::ensure!(words.next().is_some(), "`# {kind}` names no metric: {line}");
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .ok_or_else(|| anyhow::anyhow!("not a sample: {line}"))?;
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        anyhow::ensure!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b':'),
            "bad metric name: {line}"
        );
        if name_end < series.len() {
            anyhow::ensure!(series.ends_with('}'), "unclosed labels: {line}");
        }
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other
                .parse()
                .map_err(|_| anyhow::anyhow!("bad value: {line}"))?,
        };
        samples.insert(series.to_owned(), value);
    }
    Ok(samples)
}

async fn scrape(app: &TestApp) -> anyhow::Result<Samples> {
    let reply = app.get("/metrics", Some(OPERATOR_TOKEN)).await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("application/openmetrics-text")),
        "{:?}",
        reply.headers
    );
    parse_exposition(std::str::from_utf8(&reply.body)?)
}

/// The sum of every sample of `name` whose labels hold all of `labels`.
fn total(samples: &Samples, name: &str, labels: &[&str]) -> f64 {
    samples
        .iter()
        .filter(|(series, _)| {
            let (series_name, rest) = series.split_once('{').unwrap_or((series, ""));
            series_name == name && labels.iter().all(|label| rest.contains(label))
        })
        .map(|(_, value)| value)
        .sum()
}

#[tokio::test]
async fn metrics_count_exactly_the_decisions_failures_replays_and_uploads_made()
-> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let hostile = app
        .upload_module(&std::fs::read(arbiter_artifacts::HOSTILE_FIXTURE_PATH)?)
        .await?;
    app.put_policy(
        "mx-failing",
        &json!({"module": hostile, "settings": {"behaviour": "panic"}}),
    )
    .await?;
    let before = scrape(&app).await?;

    // Three decisions on the standard policy, one on a module that traps.
    for n in 0..3 {
        let claim = sample_claim(&format!("mx-c{n}"), "mx-shop", &format!("mx-u{n}"));
        assert_eq!(
            app.decide(&marketplace, &claim).await?.status,
            StatusCode::OK
        );
    }
    let failing = app
        .decide(&marketplace, &sample_claim("mx-f1", "mx-failing", "mx-u9"))
        .await?
        .json()?;
    assert_eq!(failing["failure"], "guest_trap", "{failing}");
    // One replay and one conflict under an idempotency key.
    let keyed = sample_claim("mx-k1", "mx-shop", "mx-u5");
    for _ in 0..2 {
        let reply = app.decide_with_key(&marketplace, "mx-key", &keyed).await?;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let other = sample_claim("mx-k2", "mx-shop", "mx-u6");
    let conflict = app.decide_with_key(&marketplace, "mx-key", &other).await?;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    // One accepted upload, one refused.
    let florist = arbiter_tests::modules::florist();
    assert_eq!(
        app.upload(OPERATOR_TOKEN, &florist).await?.status,
        StatusCode::CREATED
    );
    let refused = app.upload(OPERATOR_TOKEN, b"not a component").await?;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    let refused_code = refused.json()?["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let after = scrape(&app).await?;
    let moved =
        |name: &str, labels: &[&str]| total(&after, name, labels) - total(&before, name, labels);
    assert_eq!(
        moved("arbiter_decisions_total", &[]),
        5.0,
        "3 + 1 failing + 1 keyed"
    );
    assert_eq!(
        moved("arbiter_decisions_total", &[r#"outcome="escalate""#]),
        1.0,
        "the failing module's claim goes to office staff; the others are refunded"
    );
    assert_eq!(moved("arbiter_decision_seconds_count", &[]), 5.0);
    assert_eq!(
        moved(
            "arbiter_guest_failures_total",
            &[r#"kind="guest_trap""#, &hostile]
        ),
        1.0
    );
    assert_eq!(moved("arbiter_guest_failures_total", &[]), 1.0);
    assert_eq!(
        moved("arbiter_idempotency_total", &[r#"result="replayed""#]),
        1.0
    );
    assert_eq!(
        moved("arbiter_idempotency_total", &[r#"result="conflict""#]),
        1.0
    );
    assert_eq!(
        moved("arbiter_module_uploads_total", &[r#"result="accepted""#]),
        1.0
    );
    assert_eq!(
        moved(
            "arbiter_module_uploads_total",
            &[&format!(r#"result="{refused_code}""#)]
        ),
        1.0
    );
    // Every stage of each of the 5 decisions is timed; parse and history for the two
    // keyed requests that ended in a replay or a conflict too.
    for stage in ["config", "fraud", "policy", "envelope", "commit"] {
        assert_eq!(
            moved(
                "arbiter_decision_stage_seconds_count",
                &[&format!(r#"stage="{stage}""#)]
            ),
            5.0,
            "{stage}"
        );
    }
    assert_eq!(
        moved(
            "arbiter_http_requests_total",
            &[
                r#"route="/v1/decisions""#,
                r#"method="POST""#,
                r#"status="200""#
            ]
        ),
        6.0
    );
    assert_eq!(
        moved(
            "arbiter_http_requests_total",
            &[r#"route="/v1/decisions""#, r#"status="409""#]
        ),
        1.0
    );
    assert!(total(&after, "arbiter_commit_batch_size_count", &[]) >= 1.0);
    assert_eq!(total(&after, "arbiter_storage_failing", &[]), 0.0);
    // No label carries a claim, customer or shop id.
    for series in after.keys() {
        assert!(
            !series.contains("mx-c") && !series.contains("mx-u") && !series.contains("mx-shop"),
            "{series}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn metrics_on_the_api_listener_are_for_operators() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    assert_eq!(
        app.get("/metrics", None).await?.status,
        StatusCode::UNAUTHORIZED
    );
    let seller = app.seller_token("mx-shop").await?;
    assert_eq!(
        app.get("/metrics", Some(&seller)).await?.status,
        StatusCode::FORBIDDEN
    );
    // The separate listener's router asks for nothing.
    let open = arbiter::api::metrics_router(app.service().clone());
    let reply =
        arbiter_tests::http::send(open, Method::GET, "/metrics", None, &[], Body::empty()).await?;
    assert_eq!(reply.status, StatusCode::OK);
    parse_exposition(std::str::from_utf8(&reply.body)?)?;
    Ok(())
}

/// The explanation of the decision `reply` answered, as the operator reads it.
async fn explain(app: &TestApp, reply: &arbiter_tests::http::HttpReply) -> anyhow::Result<Value> {
    let decision_id = reply.json()?["decision_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.get(
        &format!("/v1/decisions/{decision_id}"),
        Some(OPERATOR_TOKEN),
    )
    .await?
    .json()
}

#[tokio::test]
async fn request_ids_go_from_the_caller_to_the_ledger_and_back() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let send = async |claim_id: &str, request_id: Option<&str>| {
        let headers: Vec<(&str, &str)> = request_id
            .map(|id| ("x-request-id", id))
            .into_iter()
            .collect();
        let body = json_body(&sample_claim(claim_id, "rid-shop", "rid-u1"));
        app.send(
            Method::POST,
            "/v1/decisions",
            Some(&marketplace),
            &headers,
            body,
        )
        .await
    };

    let given = send("rid-c1", Some("trace-42.a:b")).await?;
    assert_eq!(given.status, StatusCode::OK);
    assert_eq!(given.header("x-request-id"), Some("trace-42.a:b"));
    let explained = explain(&app, &given).await?;
    assert_eq!(explained["request_id"], "trace-42.a:b", "{explained}");

    // None given, or one not worth keeping: the server makes one (a ULID).
    for (claim_id, asked) in [("rid-c2", None), ("rid-c3", Some("two words"))] {
        let reply = send(claim_id, asked).await?;
        let made = reply.header("x-request-id").unwrap_or_default().to_owned();
        assert_eq!(made.len(), 26, "{made}");
        assert_eq!(explain(&app, &reply).await?["request_id"], made.as_str());
    }
    // Every answer carries one, errors included.
    let missing = app.get("/v1/no-such-route", None).await?;
    assert_eq!(missing.header("x-request-id").map(str::len), Some(26));
    Ok(())
}

/// Every page of `GET /v1/decisions?{query}` under `token`, `limit` at a time: the
/// decisions' lines in order.
async fn export_all(
    app: &TestApp,
    token: &str,
    query: &str,
    limit: u32,
) -> anyhow::Result<Vec<Value>> {
    let mut lines = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/v1/decisions?limit={limit}{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let reply = app.get(&path, Some(token)).await?;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/x-ndjson"));
        let text = std::str::from_utf8(&reply.body)?;
        let page: Vec<Value> = text
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        assert!(page.len() <= limit as usize);
        lines.extend(page);
        match reply.header("arbiter-next-cursor") {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(lines),
        }
    }
    anyhow::bail!("the export did not end in 100 pages")
}

fn ids(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|line| line["decision_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_export_streams_every_decision_once_and_a_seller_its_own_shop_only()
-> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let mut made = BTreeMap::<String, &str>::new();
    for n in 0..7 {
        let shop = if n % 2 == 0 { "ex-a" } else { "ex-b" };
        let reply = app
            .send(
                Method::POST,
                "/v1/decisions",
                Some(&marketplace),
                &[("x-request-id", &format!("ex-req-{n}"))],
                json_body(&sample_claim(
                    &format!("ex-c{n}"),
                    shop,
                    &format!("ex-u{n}"),
                )),
            )
            .await?;
        assert_eq!(reply.status, StatusCode::OK);
        made.insert(
            reply.json()?["decision_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            shop,
        );
    }

    // The operator, every shop, 3 a page: each decision exactly once, oldest first.
    let all = export_all(&app, OPERATOR_TOKEN, "", 3).await?;
    let exported = ids(&all);
    assert_eq!(exported.len(), 7);
    assert_eq!(
        exported.iter().cloned().collect::<BTreeSet<_>>(),
        made.keys().cloned().collect::<BTreeSet<_>>()
    );
    // Made one after another, so oldest first is the order they were asked for.
    let request_ids: Vec<&str> = all
        .iter()
        .filter_map(|line| line["request_id"].as_str())
        .collect();
    let asked: Vec<String> = (0..7).map(|n| format!("ex-req-{n}")).collect();
    assert_eq!(request_ids, asked);
    let first = &all[0];
    for field in [
        "request",
        "response",
        "history",
        "module",
        "settings_version",
        "latency_us",
    ] {
        assert!(!first[field].is_null(), "{field}: {first}");
    }
    assert!(
        first["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("ex-req-"))
    );
    assert_eq!(first["response"]["decision_id"], first["decision_id"]);

    // One shop, one a page.
    let shop_a = export_all(&app, OPERATOR_TOKEN, "&shop_id=ex-a", 1).await?;
    assert_eq!(shop_a.len(), 4);
    assert!(shop_a.iter().all(|line| line["shop_id"] == "ex-a"));

    // A seller: its own shop whether it names it or not; another shop is not found.
    let seller = app.seller_token("ex-b").await?;
    let own = export_all(&app, &seller, "", 2).await?;
    assert_eq!(own.len(), 3);
    assert!(own.iter().all(|line| line["shop_id"] == "ex-b"));
    assert_eq!(
        ids(&export_all(&app, &seller, "&shop_id=ex-b", 10).await?),
        ids(&own)
    );
    app.get("/v1/decisions?shop_id=ex-a", Some(&seller))
        .await?
        .assert_error(StatusCode::NOT_FOUND, "not_found", None);
    assert_eq!(
        app.get("/v1/decisions", Some(&marketplace)).await?.status,
        StatusCode::FORBIDDEN
    );

    // A range keeps only what was decided in it; bad parameters are named.
    let future = export_all(&app, OPERATOR_TOKEN, "&from=2999-01-01T00:00:00Z", 5).await?;
    assert!(future.is_empty());
    app.get("/v1/decisions?cursor=nonsense", Some(OPERATOR_TOKEN))
        .await?
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("cursor"));
    app.get("/v1/decisions?limit=0", Some(OPERATOR_TOKEN))
        .await?
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("limit"));
    app.get("/v1/decisions?from=yesterday", Some(OPERATOR_TOKEN))
        .await?
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some("from"));
    Ok(())
}
