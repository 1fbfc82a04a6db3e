//! Backtests: `POST /v1/shops/{shop_id}/backtests` starts one (202), `GET
//! /v1/shops/{shop_id}/backtests` lists a shop's, `GET /v1/backtests/{backtest_id}`
//! shows one with its progress and, once done, its report (the changed decisions paged
//! by `changes_offset` and `changes_limit`). A seller sees its own shop's only; another
//! shop's backtest is not found. `POST /v1/platform/backtests` (operators) tries a
//! candidate for the platform's default policy on every shop's decisions it made;
//! `GET /v1/platform/backtests` lists those.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{may_manage_shop, operator_only};
use super::extract::{BacktestId, JsonObject, ShopId};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::Timestamp;
use crate::ledger::{BacktestRecord, DecisionScope, PLATFORM_BACKTEST};
use crate::service::{BacktestReport, BacktestSpec};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BacktestRequest {
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    from: Option<Timestamp>,
    #[serde(default)]
    to: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangesPage {
    #[serde(default)]
    changes_offset: Option<usize>,
    #[serde(default)]
    changes_limit: Option<usize>,
}

/// Changed decisions shown per page unless asked otherwise, and at most.
const CHANGES_LIMIT: usize = 50;
const MAX_CHANGES_LIMIT: usize = 1_000;

pub(super) async fn start(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(request): JsonObject<BacktestRequest>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    start_on(&state, &principal, &shop_id, request).await
}

pub(super) async fn start_platform(
    State(state): State<AppState>,
    principal: Principal,
    JsonObject(request): JsonObject<BacktestRequest>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    operator_only(&principal)?;
    start_on(&state, &principal, PLATFORM_BACKTEST, request).await
}

pub(super) async fn list_platform(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    operator_only(&principal)?;
    let backtests = state.service.shop_backtests(PLATFORM_BACKTEST).await?;
    let listed: Vec<Value> = backtests.iter().map(summary).collect();
    Ok(axum::Json(
        json!({"scope": "platform", "backtests": listed}),
    ))
}

/// Starts a backtest of `shop_id` (or of [`PLATFORM_BACKTEST`]): 202 and where it stands.
async fn start_on(
    state: &AppState,
    principal: &Principal,
    shop_id: &str,
    request: BacktestRequest,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let spec = BacktestSpec {
        module: request.module,
        settings: request.settings,
        from_ms: request.from.map(Timestamp::unix_millis),
        to_ms: request.to.map(Timestamp::unix_millis),
    };
    let record = state
        .service
        .start_backtest(shop_id, spec, &principal.actor())
        .await?;
    let body = json!({
        "backtest_id": record.backtest_id,
        "shop_id": record.shop_id,
        "scope": scope_name(&record),
        "status": record.status,
        "progress": {"done": record.done, "total": record.total},
    });
    Ok((StatusCode::ACCEPTED, axum::Json(body)))
}

pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let backtests = state.service.shop_backtests(&shop_id).await?;
    let listed: Vec<Value> = backtests.iter().map(summary).collect();
    Ok(axum::Json(json!({"shop_id": shop_id, "backtests": listed})))
}

pub(super) async fn show(
    State(state): State<AppState>,
    principal: Principal,
    BacktestId(backtest_id): BacktestId,
    page: Result<Query<ChangesPage>, QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let Query(page) = page.map_err(|rejection| ApiError::BadRequest {
        field: "query".into(),
        message: rejection.body_text(),
    })?;
    let record = state.service.backtest(&backtest_id, None).await?;
    // Another shop's backtest is not found, as the shop itself would not be.
    may_manage_shop(&principal, &record.shop_id)
        .map_err(|_| ApiError::NotFound(format!("backtest `{backtest_id}` not found")))?;
    let offset = page.changes_offset.unwrap_or(0);
    let limit = page
        .changes_limit
        .unwrap_or(CHANGES_LIMIT)
        .min(MAX_CHANGES_LIMIT);
    let body = backtest_body(&record, offset, limit)
        .map_err(|error| ApiError::Internal(Box::new(error)))?;
    Ok(axum::Json(body))
}

/// A backtest as `GET /v1/backtests/{id}` answers it: its summary, and its report (once
/// done) with the changed decisions from `offset`, at most `limit` of them. Also what
/// `arbiter backtest --ledger` prints from.
pub fn backtest_body(
    record: &BacktestRecord,
    offset: usize,
    limit: usize,
) -> Result<Value, serde_json::Error> {
    let mut body = summary(record);
    let report: Option<BacktestReport> = record
        .report_json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?;
    body["report"] = match report {
        Some(mut report) => {
            let kept = report.changes.len();
            report.changes = report
                .changes
                .into_iter()
                .skip(offset)
                .take(limit)
                .collect();
            let mut report = serde_json::to_value(report)?;
            report["changes_page"] = json!({"offset": offset, "limit": limit, "kept": kept});
            report
        }
        None => Value::Null,
    };
    Ok(body)
}

/// `shop` for one shop's backtest, `platform` for the platform default's.
fn scope_name(record: &BacktestRecord) -> &'static str {
    match record.scope() {
        DecisionScope::Shop(_) => "shop",
        DecisionScope::PlatformDefault => "platform",
    }
}

/// A backtest without its report.
fn summary(record: &BacktestRecord) -> Value {
    let at = |ms: i64| Timestamp::from_unix_millis(ms).map(|at| at.to_string());
    let bound = |ms: i64| (ms != i64::MIN && ms != i64::MAX).then(|| at(ms)).flatten();
    json!({
        "backtest_id": record.backtest_id,
        "shop_id": record.shop_id,
        "scope": scope_name(record),
        "status": record.status,
        "progress": {"done": record.done, "total": record.total},
        "module": record.module_digest,
        "settings": record
            .settings_json
            .as_deref()
            .and_then(|text| serde_json::from_str::<Value>(text).ok()),
        "from": bound(record.from_ms),
        "to": bound(record.to_ms),
        "error": record.error,
        "created_by": record.created_by,
        "created_at": at(record.created_at_ms),
        "finished_at": record.finished_at_ms.and_then(at),
    })
}
