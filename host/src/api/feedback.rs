//! `POST /v1/decisions/{decision_id}/feedback` (the marketplace or an operator: 201, or
//! 200 for the same feedback again, 409 for other feedback) and `GET
//! /v1/shops/{shop_id}/feedback` (each module and settings version's override rate).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::{may_decide, may_manage_shop};
use super::extract::{DecisionId, JsonObject, ShopId};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{Id, ModuleDigestText, Money, ShopIdText, Timestamp};
use crate::ledger::{Feedback, VersionFeedback};
use crate::service::FeedbackInput;

/// Feedback as the API shows it (also in a decision's explanation).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Feedback)]
pub(super) struct FeedbackBody {
    #[schema(value_type = Id)]
    decision_id: String,
    /// `accepted` or `overridden`.
    #[serde(rename = "final")]
    verdict: String,
    final_outcome: Option<String>,
    #[schema(value_type = Option<Money>)]
    final_money: Option<Value>,
    note: Option<String>,
    /// The version the decision was made by.
    #[schema(value_type = ModuleDigestText)]
    module: String,
    settings_version: u64,
    given_by: String,
    given_at: Option<Timestamp>,
}

impl FeedbackBody {
    pub(super) fn new(feedback: &Feedback) -> Self {
        Self {
            decision_id: feedback.decision_id.clone(),
            verdict: feedback.verdict.clone(),
            final_outcome: feedback.final_outcome.clone(),
            final_money: feedback
                .final_money_json
                .as_deref()
                .and_then(|text| serde_json::from_str::<Value>(text).ok()),
            note: feedback.note.clone(),
            module: feedback.module_digest.clone(),
            settings_version: feedback.settings_version,
            given_by: feedback.given_by.clone(),
            given_at: Timestamp::from_unix_millis(feedback.given_at_ms),
        }
    }
}

/// A shop's feedback per module and settings version.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FeedbackByVersion {
    #[schema(value_type = Id)]
    shop_id: String,
    versions: Vec<VersionFeedbackBody>,
}

/// One version's decisions, the feedback on them and how often it overrode them.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct VersionFeedbackBody {
    #[schema(value_type = ModuleDigestText)]
    module: String,
    settings_version: u64,
    decisions: u64,
    feedback: u64,
    overridden: u64,
    /// Overridden over feedback; null before any feedback.
    override_rate: Option<f64>,
}

impl VersionFeedbackBody {
    fn new(version: &VersionFeedback) -> Self {
        Self {
            module: version.module_digest.clone(),
            settings_version: version.settings_version,
            decisions: version.decisions,
            feedback: version.feedback,
            overridden: version.overridden,
            override_rate: (version.feedback > 0)
                .then(|| version.overridden as f64 / version.feedback as f64),
        }
    }
}

/// Say what became of a decision (the marketplace or an operator).
///
/// `accepted`, or `overridden` with what was done instead. The same feedback again is
/// 200; other feedback on the same decision is 409 `feedback_conflict`.
#[utoipa::path(
    post,
    path = "/v1/decisions/{decision_id}/feedback",
    tag = "decisions",
    operation_id = "give_feedback",
    params(("decision_id" = Id, Path)),
    request_body = FeedbackInput,
    responses(
        (status = 201, description = "Recorded.", body = FeedbackBody),
        (status = 200, description = "The same feedback was already recorded.", body = FeedbackBody),
        (status = 409, description = "`feedback_conflict`: other feedback is recorded.",
            body = super::error::ErrorBody),
    )
)]
pub(super) async fn give(
    State(state): State<AppState>,
    principal: Principal,
    DecisionId(decision_id): DecisionId,
    JsonObject(input): JsonObject<FeedbackInput>,
) -> Result<(StatusCode, axum::Json<FeedbackBody>), ApiError> {
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
    Ok((status, axum::Json(FeedbackBody::new(&stored))))
}

/// Each module and settings version's override rate in a shop.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/feedback",
    tag = "shops",
    operation_id = "feedback_by_version",
    params(("shop_id" = ShopIdText, Path)),
    responses((status = 200, description = "Per version.", body = FeedbackByVersion))
)]
pub(super) async fn by_version(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<FeedbackByVersion>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let versions = state.service.feedback_by_version(&shop_id).await?;
    Ok(axum::Json(FeedbackByVersion {
        shop_id,
        versions: versions.iter().map(VersionFeedbackBody::new).collect(),
    }))
}
