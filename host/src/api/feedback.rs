//! `POST /v1/decisions/{decision_id}/feedback` (the marketplace or an operator: 201, or
//! 200 for the same feedback again, 409 for other feedback) and `GET
//! /v1/shops/{shop_id}/feedback` (each module and settings version's override rate).

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::{may_decide, may_manage_shop};
use super::extract::{DecisionId, JsonObject, ShopId};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::Timestamp;
use crate::ledger::Feedback;
use crate::service::FeedbackInput;

pub(super) async fn give(
    State(state): State<AppState>,
    principal: Principal,
    DecisionId(decision_id): DecisionId,
    JsonObject(input): JsonObject<FeedbackInput>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    may_decide(&principal)?;
    let (stored, new) = state
        .service
        .give_feedback(&decision_id, input, &principal.actor())
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(feedback_body(&stored))))
}

pub(super) async fn by_version(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let versions = state.service.feedback_by_version(&shop_id).await?;
    let versions: Vec<Value> = versions
        .iter()
        .map(|version| {
            let rate =
                (version.feedback > 0).then(|| version.overridden as f64 / version.feedback as f64);
            json!({
                "module": version.module_digest,
                "settings_version": version.settings_version,
                "decisions": version.decisions,
                "feedback": version.feedback,
                "overridden": version.overridden,
                "override_rate": rate,
            })
        })
        .collect();
    Ok(axum::Json(
        json!({"shop_id": shop_id, "versions": versions}),
    ))
}

/// Feedback as the API shows it (also in a decision's explanation).
pub(super) fn feedback_body(feedback: &Feedback) -> Value {
    json!({
        "decision_id": feedback.decision_id,
        "final": feedback.verdict,
        "final_outcome": feedback.final_outcome,
        "final_money": feedback
            .final_money_json
            .as_deref()
            .and_then(|text| serde_json::from_str::<Value>(text).ok()),
        "note": feedback.note,
        "module": feedback.module_digest,
        "settings_version": feedback.settings_version,
        "given_by": feedback.given_by,
        "given_at": Timestamp::from_unix_millis(feedback.given_at_ms).map(|at| at.to_string()),
    })
}
