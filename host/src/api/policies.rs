//! A shop's policy versions: `PUT`/`GET /v1/shops/{shop}/policy`, its versions,
//! rollback and promotion; the platform's own policies.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{may_manage_shop, operator_only};
use super::extract::{JsonObject, ShopId};
use super::rollouts::rollout_json;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::ledger::{FailurePolicy, PolicyVersion, Rollout, RolloutRecord, ShopRollout};
use crate::progressive::{Guards, ProgressivePlan};
use crate::service::{PlatformPolicy, RolloutFigures, rollout_label};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyRequest {
    module: String,
    #[serde(default = "empty_object")]
    settings: Value,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    canary_percent: Option<f64>,
    /// A progressive rollout's steps, in percent of claims.
    #[serde(default)]
    steps: Option<Vec<f64>>,
    #[serde(default)]
    step_min_decisions: Option<u64>,
    #[serde(default)]
    guards: Option<Guards>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Active,
    Shadow,
    Canary,
    Progressive,
}

impl PolicyRequest {
    /// How the request rolls its version out; a field that does not fit its mode is
    /// refused, naming it.
    fn rollout(&mut self) -> Result<Rollout, ApiError> {
        if self.mode != Mode::Progressive {
            let given = [
                ("steps", self.steps.is_some()),
                ("step_min_decisions", self.step_min_decisions.is_some()),
                ("guards", self.guards.is_some()),
            ];
            if let Some((field, _)) = given.iter().find(|(_, given)| *given) {
                return Err(ApiError::BadRequest {
                    field: (*field).into(),
                    message: format!(
                        "only a progressive rollout (`mode: progressive`) takes {field}"
                    ),
                });
            }
        }
        match (self.mode, self.canary_percent) {
            (Mode::Active, None) => Ok(Rollout::Active),
            (Mode::Shadow, None) => Ok(Rollout::Shadow),
            (Mode::Canary, Some(percent)) if (0.0..=100.0).contains(&percent) => {
                Ok(Rollout::Canary {
                    basis_points: (percent * 100.0).round() as u32,
                })
            }
            (Mode::Canary, _) => Err(ApiError::BadRequest {
                field: "canary_percent".into(),
                message: "a canary needs canary_percent from 0 to 100".into(),
            }),
            (Mode::Progressive, None) => {
                let plan =
                    ProgressivePlan::new(self.steps.take(), self.step_min_decisions, self.guards)
                        .map_err(|error| ApiError::BadRequest {
                        field: error.field,
                        message: error.message,
                    })?;
                Ok(Rollout::Progressive { plan, step: 0 })
            }
            (_, Some(_)) => Err(ApiError::BadRequest {
                field: "canary_percent".into(),
                message: "only a canary takes canary_percent".into(),
            }),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RollbackRequest {
    to: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlatformPolicyRequest {
    #[serde(default)]
    module: Option<String>,
    #[serde(default = "empty_object")]
    settings: Value,
}

fn empty_object() -> Value {
    json!({})
}

fn version_body(version: &PolicyVersion) -> Value {
    json!({
        "version": version.version,
        "module": version.module_digest,
        "settings": serde_json::from_str::<Value>(&version.settings_json).unwrap_or(json!({})),
        "created_by": version.created_by,
        "created_at": crate::contract::Timestamp::from_unix_millis(version.created_at_ms)
            .map(|at| at.to_string()),
    })
}

/// The shop's rollout as the API shows it: the active version, the candidate with its
/// tracked rollout (step, counts and both sides' figures), and the last rollout that
/// ended (how, and why).
fn rollout_body(
    shop_id: &str,
    rollout: &ShopRollout,
    tracked: Option<&(RolloutRecord, RolloutFigures)>,
    last_ended: Option<&RolloutRecord>,
) -> Value {
    let candidate = rollout.candidate.as_ref().map(|(version, candidate)| {
        let (mode, percent) = rollout_label(candidate);
        let mut body = version_body(version);
        body["mode"] = json!(mode);
        body["canary_percent"] = json!(percent);
        body["rollout"] = tracked
            .map(|(record, figures)| rollout_json(record, Some(figures)))
            .unwrap_or(Value::Null);
        body
    });
    json!({
        "shop_id": shop_id,
        "active": version_body(&rollout.active),
        "candidate": candidate,
        "last_rollout": last_ended.map(|record| rollout_json(record, None)),
    })
}

/// The shop's rollout, read and shown.
async fn shop_rollout_body(state: &AppState, shop_id: &str) -> Result<Value, ApiError> {
    let rollout = state.service.shop_rollout(shop_id).await?;
    let tracked = match &rollout.rollout_id {
        Some(rollout_id) => state.service.rollout(rollout_id).await?,
        None => None,
    };
    let last_ended = state.service.last_ended_rollout(shop_id).await?;
    let mut body = rollout_body(shop_id, &rollout, tracked.as_ref(), last_ended.as_ref());
    // What a version naming no module runs, so a client can read that module's schema.
    body["platform_module"] = json!(
        state
            .service
            .platform_compensation_digest()
            .await?
            .to_string()
    );
    Ok(body)
}

pub(super) async fn put_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(mut request): JsonObject<PolicyRequest>,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let rollout = request.rollout()?;
    let version = state
        .service
        .put_policy(
            &shop_id,
            &request.module,
            &request.settings,
            rollout.clone(),
            &principal.actor(),
        )
        .await?;
    let mut body = version_body(&version);
    body["shop_id"] = json!(shop_id);
    let (mode, percent) = rollout_label(&rollout);
    body["mode"] = json!(mode);
    if let Rollout::Progressive { plan, .. } = &rollout {
        body["canary_percent"] = json!(percent);
        body["steps"] = json!(plan.steps);
        body["step_min_decisions"] = json!(plan.step_min_decisions);
        body["guards"] = json!(plan.guards);
    }
    Ok(axum::Json(body))
}

pub(super) async fn get_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    Ok(axum::Json(shop_rollout_body(&state, &shop_id).await?))
}

pub(super) async fn versions(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let versions = state.service.policy_versions(&shop_id).await?;
    Ok(axum::Json(json!({
        "shop_id": shop_id,
        "versions": versions.iter().map(version_body).collect::<Vec<_>>(),
    })))
}

pub(super) async fn rollback(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(request): JsonObject<RollbackRequest>,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    state
        .service
        .rollback(&shop_id, request.to, &principal.actor())
        .await?;
    Ok(axum::Json(shop_rollout_body(&state, &shop_id).await?))
}

pub(super) async fn promote(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    state.service.promote(&shop_id, &principal.actor()).await?;
    Ok(axum::Json(shop_rollout_body(&state, &shop_id).await?))
}

fn platform_policy(name: &str) -> Result<PlatformPolicy, ApiError> {
    match name {
        "compensation" => Ok(PlatformPolicy::Compensation),
        "fraud_screen" => Ok(PlatformPolicy::FraudScreen),
        other => Err(ApiError::NotFound(format!(
            "platform policy `{other}` not found (compensation, fraud_screen)"
        ))),
    }
}

pub(super) async fn get_platform_policy(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    operator_only(&principal)?;
    let which = platform_policy(&name)?;
    let (module, settings) = state.service.platform_policy(which).await?;
    Ok(axum::Json(json!({
        "name": which.name(),
        "module": module,
        "settings": serde_json::from_str::<Value>(&settings).unwrap_or(json!({})),
    })))
}

pub(super) async fn put_platform_policy(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    JsonObject(request): JsonObject<PlatformPolicyRequest>,
) -> Result<axum::Json<Value>, ApiError> {
    operator_only(&principal)?;
    let which = platform_policy(&name)?;
    state
        .service
        .put_platform_policy(
            which,
            request.module.as_deref(),
            &request.settings,
            &principal.actor(),
        )
        .await?;
    Ok(axum::Json(json!({
        "name": which.name(), "module": request.module, "settings": request.settings,
    })))
}

pub(super) async fn audit(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    operator_only(&principal)?;
    let entries = state.service.audit_entries().await?;
    Ok(axum::Json(json!({"entries": entries})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FailurePolicyRequest {
    failure_policy: FailurePolicy,
}

pub(super) async fn get_failure_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let policy = state.service.failure_policy(&shop_id).await?;
    Ok(axum::Json(
        json!({"shop_id": shop_id, "failure_policy": policy}),
    ))
}

pub(super) async fn put_failure_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(request): JsonObject<FailurePolicyRequest>,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    state
        .service
        .put_failure_policy(&shop_id, request.failure_policy, &principal.actor())
        .await?;
    Ok(axum::Json(
        json!({"shop_id": shop_id, "failure_policy": request.failure_policy}),
    ))
}
