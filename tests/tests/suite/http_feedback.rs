//! Feedback from the marketplace: stored once per decision (the same again is 200,
//! other feedback 409), checked field by field, shown in the explanation, and counted
//! per module and settings version as an override rate.

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim};
use axum::http::StatusCode;
use serde_json::{Value, json};

const SHOP: &str = "fb-shop";

async fn decision(app: &TestApp, token: &str, claim_id: &str) -> anyhow::Result<String> {
    let reply = app
        .decide(
            token,
            &sample_claim(claim_id, SHOP, &format!("u-{claim_id}")),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    Ok(reply.json()?["decision_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn feedback_is_kept_once_shown_in_the_explanation_and_counted_per_version()
-> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let accepted = decision(&app, &marketplace, "fb-1").await?;
    let overridden = decision(&app, &marketplace, "fb-2").await?;
    decision(&app, &marketplace, "fb-3").await?;

    let path = |id: &str| format!("/v1/decisions/{id}/feedback");
    let given = app
        .post_json(
            &path(&accepted),
            Some(&marketplace),
            &json!({"final": "accepted"}),
        )
        .await?;
    assert_eq!(given.status, StatusCode::CREATED);
    let body = json!({"final": "overridden", "final_outcome": "escalate",
                      "final_money": {"RUB": 0}, "note": "office staff refused"});
    let given = app
        .post_json(&path(&overridden), Some(&marketplace), &body)
        .await?;
    assert_eq!(given.status, StatusCode::CREATED);
    let given = given.json()?;
    assert_eq!(given["final"], json!("overridden"));
    assert_eq!(given["final_outcome"], json!("escalate"));
    assert_eq!(given["final_money"], json!({"RUB": 0}));
    assert_eq!(given["settings_version"], json!(0));

    // The same again: 200, nothing changed. Other feedback: 409.
    let again = app
        .post_json(&path(&overridden), Some(&marketplace), &body)
        .await?;
    assert_eq!(again.status, StatusCode::OK);
    let other = app
        .post_json(
            &path(&overridden),
            Some(&marketplace),
            &json!({"final": "accepted"}),
        )
        .await?;
    other.assert_error(StatusCode::CONFLICT, "feedback_conflict", None);

    // In the explanation.
    let explained = app
        .get(&format!("/v1/decisions/{overridden}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(explained["feedback"]["note"], json!("office staff refused"));
    assert_eq!(
        explained["feedback"]["given_by"]
            .as_str()
            .map(|by| by.starts_with("marketplace")),
        Some(true)
    );
    let plain = app
        .get(&format!("/v1/decisions/{accepted}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(plain["feedback"]["final"], json!("accepted"));

    // Counted: three decisions of the one version, two with feedback, one overridden.
    let seller = app.seller_token(SHOP).await?;
    let counted = app
        .get(&format!("/v1/shops/{SHOP}/feedback"), Some(&seller))
        .await?
        .json()?;
    let versions = counted["versions"].as_array().cloned().unwrap_or_default();
    assert_eq!(versions.len(), 1, "{counted}");
    assert_eq!(versions[0]["settings_version"], json!(0));
    assert_eq!(versions[0]["decisions"], json!(3));
    assert_eq!(versions[0]["feedback"], json!(2));
    assert_eq!(versions[0]["overridden"], json!(1));
    assert_eq!(versions[0]["override_rate"], json!(0.5));
    Ok(())
}

#[tokio::test]
async fn bad_feedback_is_refused_naming_the_field() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let id = decision(&app, &marketplace, "fb-bad").await?;
    let path = format!("/v1/decisions/{id}/feedback");
    let cases: [(Value, &str); 5] = [
        (json!({"final": "maybe"}), "final"),
        (
            json!({"final": "overridden", "final_outcome": "refund"}),
            "final_outcome",
        ),
        (
            json!({"final": "overridden", "final_money": {"RUB": -5}}),
            "final_money.RUB",
        ),
        (
            json!({"final": "overridden", "final_money": {"rub": 5}}),
            "final_money.rub",
        ),
        (
            json!({"final": "accepted", "note": "x".repeat(2_001)}),
            "note",
        ),
    ];
    for (body, field) in cases {
        let refused = app.post_json(&path, Some(&marketplace), &body).await?;
        refused.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(field));
    }
    let unknown = app
        .post_json(
            "/v1/decisions/d-unknown/feedback",
            Some(&marketplace),
            &json!({"final": "accepted"}),
        )
        .await?;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let seller = app.seller_token("fb-shop").await?;
    let forbidden = app
        .post_json(&path, Some(&seller), &json!({"final": "accepted"}))
        .await?;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    // Nothing of it was stored.
    let explained = app
        .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(explained["feedback"], Value::Null);
    Ok(())
}
