//! A shop's policy versions: `PUT`/`GET /v1/shops/{shop}/policy`, its versions,
//! rollback and promotion; the platform's own policies.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{may_manage_shop, operator_only};
use super::extract::{JsonObject, ShopId};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::ledger::{FailurePolicy, PolicyVersion, Rollout, ShopRollout};
use crate::service::{PlatformPolicy, rollout_label};

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
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Active,
    Shadow,
    Canary,
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

fn rollout_body(shop_id: &str, rollout: &ShopRollout) -> Value {
    let candidate = rollout.candidate.as_ref().map(|(version, rollout)| {
        let (mode, percent) = rollout_label(*rollout);
        let mut body = version_body(version);
        body["mode"] = json!(mode);
        body["canary_percent"] = json!(percent);
        body
    });
    json!({"shop_id": shop_id, "active": version_body(&rollout.active), "candidate": candidate})
}

pub(super) async fn put_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(request): JsonObject<PolicyRequest>,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let rollout = match (request.mode, request.canary_percent) {
        (Mode::Active, None) => Rollout::Active,
        (Mode::Shadow, None) => Rollout::Shadow,
        (Mode::Canary, Some(percent)) if (0.0..=100.0).contains(&percent) => Rollout::Canary {
            basis_points: (percent * 100.0).round() as u32,
        },
        (Mode::Canary, _) => {
            return Err(ApiError::BadRequest {
                field: "canary_percent".into(),
                message: "a canary needs canary_percent from 0 to 100".into(),
            });
        }
        (_, Some(_)) => {
            return Err(ApiError::BadRequest {
                field: "canary_percent".into(),
                message: "only a canary takes canary_percent".into(),
            });
        }
    };
    let version = state
        .service
        .put_policy(
            &shop_id,
            &request.module,
            &request.settings,
            rollout,
            &principal.actor(),
        )
        .await?;
    let mut body = version_body(&version);
    body["shop_id"] = json!(shop_id);
    body["mode"] = json!(rollout_label(rollout).0);
    Ok(axum::Json(body))
}

pub(super) async fn get_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let rollout = state.service.shop_rollout(&shop_id).await?;
    Ok(axum::Json(rollout_body(&shop_id, &rollout)))
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
    let rollout = state.service.shop_rollout(&shop_id).await?;
    Ok(axum::Json(rollout_body(&shop_id, &rollout)))
}

pub(super) async fn promote(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    state.service.promote(&shop_id, &principal.actor()).await?;
    let rollout = state.service.shop_rollout(&shop_id).await?;
    Ok(axum::Json(rollout_body(&shop_id, &rollout)))
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
