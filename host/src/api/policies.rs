//! A shop's policy versions: `PUT`/`GET /v1/shops/{shop}/policy`, its versions,
//! rollback and promotion; the platform's own policies.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::auth::{may_manage_shop, operator_only};
use super::extract::{JsonObject, ShopId};
use super::rollouts::RolloutBody;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{Id, ModuleDigestText, ShopIdText, Timestamp};
use crate::ledger::{
    AuditEntry, FailurePolicy, PolicyVersion, Rollout, RolloutRecord, ShopRollout,
};
use crate::progressive::{Guards, ProgressivePlan};
use crate::service::{PlatformPolicy, RolloutFigures, rollout_label};

/// A new policy version for a shop. The handler reads it as one struct and refuses a
/// field that does not fit its `mode`, naming it; the description says the same with
/// one variant per mode ([`PolicyRequestShape`]).
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

/// A new policy version: a module with settings, rolled out one of four ways. The
/// settings are checked by *that* module's `validate-settings` (422 naming the key).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // Describes PolicyRequest's rules; never built.
#[serde(untagged)]
#[schema(as = PolicyRequest)]
pub(super) enum PolicyRequestShape {
    Active(#[schema(inline)] ActivePolicyRequest),
    Shadow(#[schema(inline)] ShadowPolicyRequest),
    Canary(#[schema(inline)] CanaryPolicyRequest),
    Progressive(#[schema(inline)] ProgressivePolicyRequest),
}

/// Serves the next decision (`mode` may be left out).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(title = "ActivePolicyRequest")]
pub(super) struct ActivePolicyRequest {
    #[schema(value_type = ModuleDigestText)]
    module: String,
    #[schema(value_type = Object, required = false)]
    settings: Value,
    #[schema(required = false, pattern = "^active$")]
    mode: String,
}

/// Runs beside the active version and is only recorded.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(title = "ShadowPolicyRequest")]
pub(super) struct ShadowPolicyRequest {
    #[schema(value_type = ModuleDigestText)]
    module: String,
    #[schema(value_type = Object, required = false)]
    settings: Value,
    #[schema(pattern = "^shadow$")]
    mode: String,
}

/// Serves `canary_percent` of the claims (a stable hash of `claim_id`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(title = "CanaryPolicyRequest")]
pub(super) struct CanaryPolicyRequest {
    #[schema(value_type = ModuleDigestText)]
    module: String,
    #[schema(value_type = Object, required = false)]
    settings: Value,
    #[schema(pattern = "^canary$")]
    mode: String,
    #[schema(minimum = 0, maximum = 100)]
    canary_percent: f64,
}

/// Serves more claims step by step while its figures stay within the guards; rolled
/// back by itself when they do not.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(title = "ProgressivePolicyRequest")]
pub(super) struct ProgressivePolicyRequest {
    #[schema(value_type = ModuleDigestText)]
    module: String,
    #[schema(value_type = Object, required = false)]
    settings: Value,
    #[schema(pattern = "^progressive$")]
    mode: String,
    /// Percent of claims per step, each above the one before, at most 100 (default
    /// 1, 5, 25, 50, 100).
    #[schema(required = false, min_items = 1, max_items = 20, value_type = Vec<StepPercent>)]
    steps: Vec<f64>,
    /// Candidate decisions a step needs before it is judged (default 100).
    #[schema(required = false, minimum = 1, maximum = 1000000)]
    step_min_decisions: u64,
    #[schema(required = false)]
    guards: Guards,
}

/// One step's share of claims, as the description shows it: above 0, at most 100
/// percent.
#[derive(Debug)]
pub(super) struct StepPercent;

impl utoipa::PartialSchema for StepPercent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .exclusive_minimum(Some(0))
            .maximum(Some(100))
            .description(Some("Percent of claims; above the step before."))
            .into()
    }
}

impl ToSchema for StepPercent {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("StepPercent")
    }
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

/// Which version to make active again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RollbackRequest {
    /// A version number of the shop's; 0 is the platform's default policy.
    #[schema(maximum = 9223372036854775807_u64)]
    to: u64,
}

/// A platform policy's module and settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PlatformPolicyRequest {
    /// An uploaded module of the policy's world; null: the built-in one.
    #[serde(default)]
    #[schema(value_type = Option<ModuleDigestText>)]
    module: Option<String>,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    settings: Value,
}

fn empty_object() -> Value {
    json!({})
}

/// A policy version: a module with settings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PolicyVersion)]
pub(super) struct VersionBody {
    /// Numbered from 1 per shop; 0 is the platform's default policy.
    version: u64,
    /// Null: the platform's default module (see `platform_module`).
    #[schema(value_type = Option<ModuleDigestText>)]
    module: Option<String>,
    #[schema(value_type = Object)]
    settings: Value,
    created_by: String,
    created_at: Option<Timestamp>,
}

impl VersionBody {
    fn new(version: &PolicyVersion) -> Self {
        Self {
            version: version.version,
            module: version.module_digest.as_ref().map(ToString::to_string),
            settings: serde_json::from_str::<Value>(&version.settings_json).unwrap_or(json!({})),
            created_by: version.created_by.clone(),
            created_at: Timestamp::from_unix_millis(version.created_at_ms),
        }
    }
}

/// A shadow, canary or progressive candidate beside the active version.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CandidateBody {
    #[serde(flatten)]
    version: VersionBody,
    /// `shadow`, `canary` or `progressive`.
    mode: &'static str,
    /// The share of claims it serves now (canary and progressive).
    canary_percent: Option<f64>,
    /// Its tracked rollout, with both sides' figures.
    rollout: Option<RolloutBody>,
}

/// A shop's policy: the active version, the candidate, and the last rollout that
/// ended (how, and why).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ShopPolicy)]
pub(super) struct ShopPolicyBody {
    #[schema(value_type = Id)]
    shop_id: String,
    active: VersionBody,
    candidate: Option<CandidateBody>,
    last_rollout: Option<RolloutBody>,
    /// What a version naming no module runs, so a client can read that module's schema.
    #[schema(value_type = ModuleDigestText)]
    platform_module: String,
}

/// The version just made, and how it is rolled out.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PutPolicyReply {
    #[serde(flatten)]
    version: VersionBody,
    #[schema(value_type = Id)]
    shop_id: String,
    /// `active`, `shadow`, `canary` or `progressive`.
    mode: &'static str,
    /// A progressive rollout's plan (absent for other modes).
    #[serde(flatten)]
    plan: PlanReply,
}

/// A progressive rollout's plan as it starts; every field is absent for other modes.
#[derive(Debug, Default, Serialize, ToSchema)]
pub(super) struct PlanReply {
    /// The first step's share of claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    canary_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step_min_decisions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    guards: Option<Guards>,
}

/// A shop's versions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PolicyVersions)]
pub(super) struct VersionsBody {
    #[schema(value_type = Id)]
    shop_id: String,
    versions: Vec<VersionBody>,
}

/// One of the platform's own policies.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PlatformPolicy)]
pub(super) struct PlatformPolicyBody {
    /// `compensation` or `fraud_screen`.
    name: &'static str,
    /// Null: the built-in module.
    #[schema(value_type = Option<ModuleDigestText>)]
    module: Option<String>,
    #[schema(value_type = Object)]
    settings: Value,
}

/// The audit trail, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AuditTrail {
    entries: Vec<AuditEntry>,
}

/// What happens to a shop's claims when its module fails.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FailurePolicyBody {
    #[schema(value_type = Id)]
    shop_id: String,
    failure_policy: FailurePolicy,
}

/// The shop's rollout as the API shows it: the active version, the candidate with its
/// tracked rollout (step, counts and both sides' figures), and the last rollout that
/// ended (how, and why).
fn rollout_body(
    shop_id: &str,
    rollout: &ShopRollout,
    tracked: Option<&(RolloutRecord, RolloutFigures)>,
    last_ended: Option<&RolloutRecord>,
    platform_module: String,
) -> ShopPolicyBody {
    let candidate = rollout.candidate.as_ref().map(|(version, candidate)| {
        let (mode, canary_percent) = rollout_label(candidate);
        CandidateBody {
            version: VersionBody::new(version),
            mode,
            canary_percent,
            rollout: tracked.map(|(record, figures)| RolloutBody::new(record, Some(figures))),
        }
    });
    ShopPolicyBody {
        shop_id: shop_id.to_owned(),
        active: VersionBody::new(&rollout.active),
        candidate,
        last_rollout: last_ended.map(|record| RolloutBody::new(record, None)),
        platform_module,
    }
}

/// The shop's rollout, read and shown.
async fn shop_rollout_body(state: &AppState, shop_id: &str) -> Result<ShopPolicyBody, ApiError> {
    let rollout = state.service.shop_rollout(shop_id).await?;
    let tracked = match &rollout.rollout_id {
        Some(rollout_id) => state.service.rollout(rollout_id).await?,
        None => None,
    };
    let last_ended = state.service.last_ended_rollout(shop_id).await?;
    let platform_module = state
        .service
        .platform_compensation_digest()
        .await?
        .to_string();
    Ok(rollout_body(
        shop_id,
        &rollout,
        tracked.as_ref(),
        last_ended.as_ref(),
        platform_module,
    ))
}

/// Make a new policy version for a shop.
///
/// Checks the settings with *that* module's `validate-settings` (422 names the key) and
/// makes the next numbered version: `active` (the default) serves the next decision,
/// `shadow` runs beside the active one and is only recorded, `canary` serves
/// `canary_percent` of the claims, `progressive` steps up while its guards hold. A field
/// that does not fit the mode is a 400 naming it.
#[utoipa::path(
    put,
    path = "/v1/shops/{shop_id}/policy",
    tag = "policies",
    operation_id = "put_policy",
    params(("shop_id" = ShopIdText, Path)),
    request_body = PolicyRequestShape,
    responses(
        (status = 200, description = "The version made.", body = PutPolicyReply),
        (status = 422, description = "`settings_rejected`: the module refused the \
            settings; `error.field` is the key at fault.", body = super::error::ErrorBody),
    )
)]
pub(super) async fn put_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(mut request): JsonObject<PolicyRequest>,
) -> Result<axum::Json<PutPolicyReply>, ApiError> {
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
    let (mode, percent) = rollout_label(&rollout);
    let plan = match &rollout {
        Rollout::Progressive { plan, .. } => PlanReply {
            canary_percent: percent,
            steps: Some(plan.steps.clone()),
            step_min_decisions: Some(plan.step_min_decisions),
            guards: Some(plan.guards),
        },
        _ => PlanReply::default(),
    };
    Ok(axum::Json(PutPolicyReply {
        version: VersionBody::new(&version),
        shop_id,
        mode,
        plan,
    }))
}

/// A shop's policy: the active version, the candidate with its rollout's figures, and
/// the last rollout that ended.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/policy",
    tag = "policies",
    operation_id = "get_policy",
    params(("shop_id" = ShopIdText, Path)),
    responses((status = 200, description = "The policy.", body = ShopPolicyBody))
)]
pub(super) async fn get_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<ShopPolicyBody>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    Ok(axum::Json(shop_rollout_body(&state, &shop_id).await?))
}

/// Every version of a shop's policy: module, settings, who set it, when.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/policy/versions",
    tag = "policies",
    operation_id = "policy_versions",
    params(("shop_id" = ShopIdText, Path)),
    responses((status = 200, description = "The versions.", body = VersionsBody))
)]
pub(super) async fn versions(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<VersionsBody>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let versions = state.service.policy_versions(&shop_id).await?;
    Ok(axum::Json(VersionsBody {
        shop_id,
        versions: versions.iter().map(VersionBody::new).collect(),
    }))
}

/// Make an earlier version active again; any candidate is dropped.
#[utoipa::path(
    post,
    path = "/v1/shops/{shop_id}/policy/rollback",
    tag = "policies",
    operation_id = "rollback_policy",
    params(("shop_id" = ShopIdText, Path)),
    request_body = RollbackRequest,
    responses((status = 200, description = "The policy now.", body = ShopPolicyBody))
)]
pub(super) async fn rollback(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(request): JsonObject<RollbackRequest>,
) -> Result<axum::Json<ShopPolicyBody>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    state
        .service
        .rollback(&shop_id, request.to, &principal.actor())
        .await?;
    Ok(axum::Json(shop_rollout_body(&state, &shop_id).await?))
}

/// Make the shadow or canary candidate the active version.
#[utoipa::path(
    post,
    path = "/v1/shops/{shop_id}/policy/promote",
    tag = "policies",
    operation_id = "promote_policy",
    params(("shop_id" = ShopIdText, Path)),
    responses((status = 200, description = "The policy now.", body = ShopPolicyBody))
)]
pub(super) async fn promote(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<ShopPolicyBody>, ApiError> {
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

/// One of the platform's own policies (operators): the default compensation policy or
/// the fraud screen.
#[utoipa::path(
    get,
    path = "/v1/platform/policies/{name}",
    tag = "platform",
    operation_id = "get_platform_policy",
    params(("name" = String, Path, pattern = "^(compensation|fraud_screen)$",
        description = "`compensation` or `fraud_screen`; another name is not found.")),
    responses((status = 200, description = "The policy.", body = PlatformPolicyBody))
)]
pub(super) async fn get_platform_policy(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> Result<axum::Json<PlatformPolicyBody>, ApiError> {
    operator_only(&principal)?;
    let which = platform_policy(&name)?;
    let (module, settings) = state.service.platform_policy(which).await?;
    Ok(axum::Json(PlatformPolicyBody {
        name: which.name(),
        module: module.as_ref().map(ToString::to_string),
        settings: serde_json::from_str::<Value>(&settings).unwrap_or(json!({})),
    }))
}

/// Set one of the platform's own policies (operators); the settings are checked by the
/// module's `validate-settings`.
#[utoipa::path(
    put,
    path = "/v1/platform/policies/{name}",
    tag = "platform",
    operation_id = "put_platform_policy",
    params(("name" = String, Path, pattern = "^(compensation|fraud_screen)$",
        description = "`compensation` or `fraud_screen`; another name is not found.")),
    request_body = PlatformPolicyRequest,
    responses(
        (status = 200, description = "Stored.", body = PlatformPolicyBody),
        (status = 422, description = "`settings_rejected`, or the module is of another \
            world (`wrong_world`).", body = super::error::ErrorBody),
    )
)]
pub(super) async fn put_platform_policy(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    JsonObject(request): JsonObject<PlatformPolicyRequest>,
) -> Result<axum::Json<PlatformPolicyBody>, ApiError> {
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
    Ok(axum::Json(PlatformPolicyBody {
        name: which.name(),
        module: request.module,
        settings: request.settings,
    }))
}

/// The audit trail (operators): who changed what, when, newest first.
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "platform",
    operation_id = "audit",
    responses((status = 200, description = "The trail.", body = AuditTrail))
)]
pub(super) async fn audit(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<AuditTrail>, ApiError> {
    operator_only(&principal)?;
    let entries = state.service.audit_entries().await?;
    Ok(axum::Json(AuditTrail { entries }))
}

/// What to do with a shop's claims when its module fails.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FailurePolicyRequest {
    failure_policy: FailurePolicy,
}

/// What happens to a shop's claims when its module fails.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/failure-policy",
    tag = "policies",
    operation_id = "get_failure_policy",
    params(("shop_id" = ShopIdText, Path)),
    responses((status = 200, description = "The failure policy.", body = FailurePolicyBody))
)]
pub(super) async fn get_failure_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<FailurePolicyBody>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let failure_policy = state.service.failure_policy(&shop_id).await?;
    Ok(axum::Json(FailurePolicyBody {
        shop_id,
        failure_policy,
    }))
}

/// Set what happens to a shop's claims when its module fails.
#[utoipa::path(
    put,
    path = "/v1/shops/{shop_id}/failure-policy",
    tag = "policies",
    operation_id = "put_failure_policy",
    params(("shop_id" = ShopIdText, Path)),
    request_body = FailurePolicyRequest,
    responses((status = 200, description = "Stored.", body = FailurePolicyBody))
)]
pub(super) async fn put_failure_policy(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(request): JsonObject<FailurePolicyRequest>,
) -> Result<axum::Json<FailurePolicyBody>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    state
        .service
        .put_failure_policy(&shop_id, request.failure_policy, &principal.actor())
        .await?;
    Ok(axum::Json(FailurePolicyBody {
        shop_id,
        failure_policy: request.failure_policy,
    }))
}
