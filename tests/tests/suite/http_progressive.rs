//! Progressive rollouts over HTTP: a candidate that escalates every claim is rolled back
//! by itself at its first step, with the audit naming the guard and the figures; a
//! benign candidate moves step by step and is promoted after its last; a shadow and a
//! canary show both sides' figures, feedback counted; a plan that cannot run is refused
//! naming its field.

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A damaged vase worth 700.00 RUB, no outcome asked for: under the standard defaults a
/// refund; with `refund_max` below its price, escalated to office staff.
fn vase(claim_id: &str, shop_id: &str) -> Value {
    let claim = sample_claim(claim_id, shop_id, &format!("u-{claim_id}"));
    let claim = with(claim, "items.0.unit_price", json!(70_000));
    with(claim, "desired_outcome", Value::Null)
}

async fn policy(app: &TestApp, shop_id: &str) -> anyhow::Result<Value> {
    let reply = app
        .get(&format!("/v1/shops/{shop_id}/policy"), Some(OPERATOR_TOKEN))
        .await?;
    anyhow::ensure!(reply.status == StatusCode::OK, "{reply:?}");
    reply.json()
}

async fn audit(app: &TestApp, shop_id: &str, action: &str) -> anyhow::Result<Vec<Value>> {
    let reply = app.get("/v1/audit", Some(OPERATOR_TOKEN)).await?;
    anyhow::ensure!(reply.status == StatusCode::OK, "{reply:?}");
    Ok(reply.json()?["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["action"] == action && entry["subject"] == shop_id)
        .cloned()
        .collect())
}

/// Decides vases for `shop_id` until its candidate is gone (promoted or rolled back),
/// at most `limit`; the modes the decisions were served in, in order.
async fn decide_until_settled(
    app: &TestApp,
    shop_id: &str,
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let marketplace = app.marketplace_token().await?;
    let mut modes = Vec::new();
    for n in 0..limit {
        let reply = app
            .decide(&marketplace, &vase(&format!("{shop_id}-c{n}"), shop_id))
            .await?;
        anyhow::ensure!(reply.status == StatusCode::OK, "{reply:?}");
        let decision = reply.json()?;
        modes.push(decision["policy"]["mode"].as_str().unwrap_or("").to_owned());
        if policy(app, shop_id).await?["candidate"].is_null() {
            return Ok(modes);
        }
    }
    anyhow::bail!("the rollout of `{shop_id}` did not settle in {limit} decisions")
}

fn count(modes: &[String], mode: &str) -> usize {
    modes.iter().filter(|served| *served == mode).count()
}

#[tokio::test]
async fn a_candidate_escalating_every_claim_is_rolled_back_at_its_first_step() -> anyhow::Result<()>
{
    let app = TestApp::new().await?;
    let standard = app.standard_module().await?;
    app.put_policy("pr-esc", &json!({"module": standard, "settings": {}}))
        .await?;
    let reply = app
        .put_json(
            "/v1/shops/pr-esc/policy",
            Some(OPERATOR_TOKEN),
            &json!({
                "module": standard,
                "settings": {"promo_max": 100, "refund_max": 200},
                "mode": "progressive",
                "steps": [10, 50, 100],
                "step_min_decisions": 5,
                "guards": {"max_escalation_rate_increase": 0.05},
            }),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let set = reply.json()?;
    assert_eq!(set["mode"], "progressive");
    assert_eq!(set["canary_percent"], 10.0);
    assert_eq!(
        set["guards"]["max_failure_rate"], 0.01,
        "defaults fill the rest"
    );

    let shown = policy(&app, "pr-esc").await?;
    assert_eq!(shown["candidate"]["mode"], "progressive");
    assert_eq!(shown["candidate"]["rollout"]["step"], 0);
    assert_eq!(shown["candidate"]["rollout"]["status"], "running");

    let modes = decide_until_settled(&app, "pr-esc", 400).await?;
    // Rolled back by the fifth candidate decision, at the first step.
    assert_eq!(count(&modes, "canary"), 5, "{modes:?}");
    assert_eq!(modes.last().map(String::as_str), Some("canary"));

    let after = policy(&app, "pr-esc").await?;
    assert_eq!(after["active"]["version"], 1);
    assert_eq!(after["last_rollout"]["status"], "rolled_back");
    assert_eq!(after["last_rollout"]["step"], 0);
    let ending = &after["last_rollout"]["ending"];
    assert_eq!(ending["guard"], "max_escalation_rate_increase");
    assert_eq!(ending["figures"]["candidate"]["decisions"], 5);
    assert_eq!(ending["figures"]["candidate"]["escalation_rate"], 1.0);
    assert_eq!(ending["figures"]["active"]["escalation_rate"], 0.0);
    let active_decisions = ending["figures"]["active"]["decisions"]
        .as_u64()
        .unwrap_or_default();
    assert_eq!(active_decisions as usize, count(&modes, "active"));

    let entries = audit(&app, "pr-esc", "policy.rollout.rollback").await?;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["actor"], "arbiter");
    assert_eq!(
        entries[0]["detail"]["guard"],
        "max_escalation_rate_increase"
    );
    assert_eq!(entries[0]["detail"]["version"], 2);
    assert!(
        entries[0]["detail"]["breaches"][0]["explanation"]
            .as_str()
            .is_some_and(|text| text.contains("escalated 100.0%")),
        "{entries:?}"
    );
    assert!(
        audit(&app, "pr-esc", "policy.rollout.step")
            .await?
            .is_empty()
    );

    // The active version answers every claim again.
    let marketplace = app.marketplace_token().await?;
    for n in 0..20 {
        let reply = app
            .decide(&marketplace, &vase(&format!("pr-esc-after{n}"), "pr-esc"))
            .await?;
        assert_eq!(reply.json()?["policy"]["mode"], "active");
    }
    Ok(())
}

#[tokio::test]
async fn a_benign_candidate_moves_step_by_step_and_is_promoted_after_its_last() -> anyhow::Result<()>
{
    let app = TestApp::new().await?;
    let standard = app.standard_module().await?;
    app.put_policy("pr-ok", &json!({"module": standard, "settings": {}}))
        .await?;
    let version = app
        .put_policy(
            "pr-ok",
            &json!({
                "module": standard,
                "settings": {"sorry_coupon": 30000},
                "mode": "progressive",
                "steps": [20, 100],
                "step_min_decisions": 3,
            }),
        )
        .await?;
    assert_eq!(version, 2);

    let marketplace = app.marketplace_token().await?;
    let mut n = 0;
    // Step 0 until its third candidate decision moves it to 100%.
    while policy(&app, "pr-ok").await?["candidate"]["rollout"]["step"] == 0 {
        let reply = app
            .decide(&marketplace, &vase(&format!("pr-ok-first{n}"), "pr-ok"))
            .await?;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        n += 1;
        assert!(n < 300, "step 0 never ended");
    }
    let at_last = policy(&app, "pr-ok").await?;
    let rollout = &at_last["candidate"]["rollout"];
    assert_eq!(rollout["step"], 1);
    assert_eq!(rollout["percent"], 100.0);
    assert_eq!(at_last["candidate"]["canary_percent"], 100.0);
    assert_eq!(rollout["figures"]["step"]["candidate"]["decisions"], 0);
    assert_eq!(rollout["figures"]["total"]["candidate"]["decisions"], 3);
    let stepped = audit(&app, "pr-ok", "policy.rollout.step").await?;
    assert_eq!(stepped.len(), 1);
    assert_eq!(stepped[0]["detail"]["to_percent"], 100.0);

    // Every claim is the candidate's now; the third promotes it.
    let modes = decide_until_settled(&app, "pr-ok", 10).await?;
    assert_eq!(modes, ["canary", "canary", "canary"]);
    let promoted = policy(&app, "pr-ok").await?;
    assert_eq!(promoted["active"]["version"], 2);
    assert_eq!(
        promoted["active"]["settings"],
        json!({"sorry_coupon": 30000})
    );
    assert_eq!(promoted["last_rollout"]["status"], "promoted");
    let entries = audit(&app, "pr-ok", "policy.rollout.promote").await?;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["detail"]["figures"]["candidate"]["decisions"], 3);
    assert_eq!(entries[0]["detail"]["active_figures_over"], "rollout");

    let reply = app
        .get("/v1/shops/pr-ok/rollouts", Some(OPERATOR_TOKEN))
        .await?;
    let listed = reply.json()?;
    assert_eq!(listed["rollouts"][0]["status"], "promoted");
    assert_eq!(listed["rollouts"][0]["candidate_version"], 2);
    Ok(())
}

#[tokio::test]
async fn shadows_and_canaries_show_both_sides_figures_with_feedback() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let standard = app.standard_module().await?;
    let marketplace = app.marketplace_token().await?;

    // A shadow escalating everything, beside the standard on the same three claims.
    app.put_policy(
        "pr-shadow",
        &json!({"module": standard, "settings": {"promo_max": 100, "refund_max": 200}, "mode": "shadow"}),
    )
    .await?;
    for n in 0..3 {
        let reply = app
            .decide(&marketplace, &vase(&format!("pr-sh{n}"), "pr-shadow"))
            .await?;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let shown = policy(&app, "pr-shadow").await?;
    let figures = &shown["candidate"]["rollout"]["figures"]["total"];
    assert_eq!(figures["candidate"]["decisions"], 3);
    assert_eq!(figures["candidate"]["escalation_rate"], 1.0);
    assert_eq!(figures["active"]["decisions"], 3);
    assert_eq!(figures["active"]["escalation_rate"], 0.0);
    assert_eq!(figures["active"]["money"]["RUB"], 3 * 70_000);
    assert_eq!(figures["candidate"]["money"], json!({"RUB": 0}));

    // A canary on every claim; the marketplace overrides its one decision.
    app.put_policy(
        "pr-canary",
        &json!({"module": standard, "settings": {}, "mode": "canary", "canary_percent": 100}),
    )
    .await?;
    let reply = app
        .decide(&marketplace, &vase("pr-ca0", "pr-canary"))
        .await?;
    let decision = reply.json()?;
    assert_eq!(decision["policy"]["mode"], "canary");
    let decision_id = decision["decision_id"].as_str().unwrap_or_default();
    let reply = app
        .post_json(
            &format!("/v1/decisions/{decision_id}/feedback"),
            Some(OPERATOR_TOKEN),
            &json!({"final": "overridden", "final_outcome": "reject"}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let shown = policy(&app, "pr-canary").await?;
    let candidate = &shown["candidate"]["rollout"]["figures"]["step"]["candidate"];
    assert_eq!(candidate["decisions"], 1);
    assert_eq!(candidate["feedback"], 1);
    assert_eq!(candidate["override_rate"], 1.0);

    // A new candidate replaces the canary's rollout, which says so.
    app.put_policy(
        "pr-canary",
        &json!({"module": standard, "settings": {}, "mode": "shadow"}),
    )
    .await?;
    let shown = policy(&app, "pr-canary").await?;
    assert_eq!(shown["last_rollout"]["status"], "replaced");
    assert_eq!(shown["candidate"]["rollout"]["mode"], "shadow");

    // Promoted by hand, the rollout says who did it.
    let reply = app
        .post_json(
            "/v1/shops/pr-canary/policy/promote",
            Some(OPERATOR_TOKEN),
            &json!({}),
        )
        .await?;
    let promoted = reply.json()?;
    assert_eq!(promoted["last_rollout"]["status"], "promoted", "{promoted}");
    assert_eq!(promoted["last_rollout"]["ending"]["by"], "operator");
    Ok(())
}

#[tokio::test]
async fn a_plan_that_cannot_run_is_refused_naming_its_field() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let standard = app.standard_module().await?;
    let cases = [
        (
            json!({"mode": "progressive", "steps": [50, 20]}),
            "steps[1]",
        ),
        (json!({"mode": "progressive", "steps": []}), "steps"),
        (
            json!({"mode": "progressive", "steps": [5, 101]}),
            "steps[1]",
        ),
        (
            json!({"mode": "progressive", "step_min_decisions": 0}),
            "step_min_decisions",
        ),
        (
            json!({"mode": "progressive", "guards": {"max_failure_rate": 2}}),
            "guards.max_failure_rate",
        ),
        (
            json!({"mode": "progressive", "canary_percent": 5}),
            "canary_percent",
        ),
        (
            json!({"mode": "canary", "canary_percent": 5, "steps": [5]}),
            "steps",
        ),
        (json!({"mode": "shadow", "guards": {}}), "guards"),
    ];
    for (extra, field) in cases {
        let mut body = json!({"module": standard, "settings": {}});
        for (key, value) in extra.as_object().into_iter().flatten() {
            body[key] = value.clone();
        }
        let reply = app
            .put_json("/v1/shops/pr-bad/policy", Some(OPERATOR_TOKEN), &body)
            .await?;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(field));
    }
    // An unknown guard is refused too, and nothing was stored.
    let reply = app
        .put_json(
            "/v1/shops/pr-bad/policy",
            Some(OPERATOR_TOKEN),
            &json!({"module": standard, "mode": "progressive", "guards": {"max_fun": 1}}),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert!(policy(&app, "pr-bad").await?["candidate"].is_null());
    Ok(())
}
