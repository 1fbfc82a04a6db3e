//! Tracked rollouts as the API shows them: `GET /v1/shops/{shop_id}/rollouts`, and the
//! rollout inside `GET /v1/shops/{shop_id}/policy` (its step, counts and both sides'
//! figures).

use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::may_manage_shop;
use super::extract::ShopId;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{Id, ShopIdText, Timestamp};
use crate::ledger::RolloutRecord;
use crate::progressive::{FiguresView, Guards, Side};
use crate::service::RolloutFigures;

/// A tracked rollout of a candidate version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Rollout)]
pub(super) struct RolloutBody {
    rollout_id: String,
    /// `shadow`, `canary` or `progressive`.
    mode: String,
    candidate_version: u64,
    /// `running`, `promoted`, `rolled_back` or `replaced`.
    status: String,
    started_by: String,
    started_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
    /// Why it ended: who or which guard, with the figures that decided.
    #[schema(value_type = Option<Object>)]
    ending: Option<Value>,
    /// A progressive rollout's plan and where it stands (absent for other modes).
    #[serde(flatten)]
    plan: PlanProgress,
    /// The current step's and the whole rollout's figures, per side (in the shop's
    /// policy only).
    #[serde(skip_serializing_if = "Option::is_none")]
    figures: Option<RolloutFiguresBody>,
}

/// Where a progressive rollout stands; every field is absent for other modes.
#[derive(Debug, Default, Serialize, ToSchema)]
pub(super) struct PlanProgress {
    /// The current step (from 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<u64>,
    /// The share of claims the current step serves, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step_min_decisions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    guards: Option<Guards>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step_started_at: Option<Timestamp>,
}

/// Both sides' figures.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RolloutFiguresBody {
    step: SidesFigures,
    total: SidesFigures,
    /// What the current step's candidate is judged against (progressive rollouts).
    #[serde(skip_serializing_if = "Option::is_none")]
    judged_against: Option<JudgedAgainst>,
}

/// The candidate's and the active version's figures.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SidesFigures {
    candidate: FiguresView,
    active: FiguresView,
}

/// The active version's figures a step is judged against.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct JudgedAgainst {
    /// `step` (the same step's) or `rollout` (the whole rollout's, when the step has
    /// too few).
    over: &'static str,
    active: FiguresView,
}

/// A shop's rollouts.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct RolloutList {
    #[schema(value_type = Id)]
    shop_id: String,
    rollouts: Vec<RolloutBody>,
}

impl RolloutBody {
    /// One rollout; with `figures`, the current step's and the whole rollout's, per side.
    pub(super) fn new(record: &RolloutRecord, figures: Option<&RolloutFigures>) -> Self {
        let plan = record
            .plan
            .as_ref()
            .map(|plan| {
                let step = usize::try_from(record.step).unwrap_or(usize::MAX);
                PlanProgress {
                    step: Some(record.step),
                    percent: plan.steps.get(step).copied(),
                    steps: Some(plan.steps.clone()),
                    step_min_decisions: Some(plan.step_min_decisions),
                    guards: Some(plan.guards),
                    step_started_at: Timestamp::from_unix_millis(record.step_started_at_ms),
                }
            })
            .unwrap_or_default();
        let figures = figures.map(|figures| RolloutFiguresBody {
            step: SidesFigures {
                candidate: figures.step(record.step, Side::Candidate).view(),
                active: figures.step(record.step, Side::Active).view(),
            },
            total: SidesFigures {
                candidate: figures.total(Side::Candidate).view(),
                active: figures.total(Side::Active).view(),
            },
            judged_against: record.plan.as_ref().map(|plan| {
                let (baseline, over) = figures.baseline(plan, record.step);
                JudgedAgainst {
                    over,
                    active: baseline.view(),
                }
            }),
        });
        Self {
            rollout_id: record.rollout_id.clone(),
            mode: record.mode.clone(),
            candidate_version: record.candidate_version,
            status: record.status.clone(),
            started_by: record.started_by.clone(),
            started_at: Timestamp::from_unix_millis(record.started_at_ms),
            ended_at: record.ended_at_ms.and_then(Timestamp::from_unix_millis),
            ending: record.ending.clone(),
            plan,
            figures,
        }
    }
}

/// A shop's rollouts, newest first, each with how it ended.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/rollouts",
    tag = "policies",
    operation_id = "list_rollouts",
    params(("shop_id" = ShopIdText, Path)),
    responses((status = 200, description = "The rollouts.", body = RolloutList))
)]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<RolloutList>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let rollouts = state.service.rollouts(&shop_id).await?;
    Ok(axum::Json(RolloutList {
        shop_id,
        rollouts: rollouts
            .iter()
            .map(|record| RolloutBody::new(record, None))
            .collect(),
    }))
}
