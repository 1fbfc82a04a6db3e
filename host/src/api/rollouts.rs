//! Tracked rollouts as the API shows them: `GET /v1/shops/{shop_id}/rollouts`, and the
//! rollout inside `GET /v1/shops/{shop_id}/policy` (its step, counts and both sides'
//! figures).

use axum::extract::State;
use serde_json::{Value, json};

use super::auth::may_manage_shop;
use super::extract::ShopId;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::Timestamp;
use crate::ledger::RolloutRecord;
use crate::progressive::Side;
use crate::service::RolloutFigures;

fn at(unix_millis: i64) -> Option<String> {
    Timestamp::from_unix_millis(unix_millis).map(|at| at.to_string())
}

/// One rollout; with `figures`, the current step's and the whole rollout's, per side.
pub(super) fn rollout_json(record: &RolloutRecord, figures: Option<&RolloutFigures>) -> Value {
    let mut body = json!({
        "rollout_id": record.rollout_id,
        "mode": record.mode,
        "candidate_version": record.candidate_version,
        "status": record.status,
        "started_by": record.started_by,
        "started_at": at(record.started_at_ms),
        "ended_at": record.ended_at_ms.and_then(at),
        "ending": record.ending,
    });
    if let Some(plan) = &record.plan {
        let step = usize::try_from(record.step).unwrap_or(usize::MAX);
        body["step"] = json!(record.step);
        body["percent"] = json!(plan.steps.get(step));
        body["steps"] = json!(plan.steps);
        body["step_min_decisions"] = json!(plan.step_min_decisions);
        body["guards"] = json!(plan.guards);
        body["step_started_at"] = json!(at(record.step_started_at_ms));
    }
    if let Some(figures) = figures {
        let mut shown = json!({
            "step": {
                "candidate": figures.step(record.step, Side::Candidate).to_json(),
                "active": figures.step(record.step, Side::Active).to_json(),
            },
            "total": {
                "candidate": figures.total(Side::Candidate).to_json(),
                "active": figures.total(Side::Active).to_json(),
            },
        });
        if let Some(plan) = &record.plan {
            let (baseline, over) = figures.baseline(plan, record.step);
            shown["judged_against"] = json!({"over": over, "active": baseline.to_json()});
        }
        body["figures"] = shown;
    }
    body
}

/// `GET /v1/shops/{shop_id}/rollouts`: the shop's rollouts, newest first, each with
/// how it ended.
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let rollouts = state.service.rollouts(&shop_id).await?;
    Ok(axum::Json(json!({
        "shop_id": shop_id,
        "rollouts": rollouts.iter().map(|record| rollout_json(record, None)).collect::<Vec<_>>(),
    })))
}
