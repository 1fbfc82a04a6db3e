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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::{may_manage_shop, operator_only};
use super::extract::{BacktestId, JsonObject, ShopId};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{Id, ModuleDigestText, ShopIdText, Timestamp};
use crate::ledger::{BacktestRecord, BacktestStatus, DecisionScope, PLATFORM_BACKTEST};
use crate::service::{BacktestReport, BacktestSpec};

/// A candidate to try on past decisions. Both null: a replay audit (every decision
/// must reproduce exactly).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BacktestRequest {
    /// The candidate module; null: each decision's recorded module.
    #[serde(default)]
    #[schema(value_type = Option<ModuleDigestText>)]
    module: Option<String>,
    /// The candidate settings, checked by the candidate module's `validate-settings`
    /// (422 naming the key); null: each decision's recorded settings.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    /// The first decision time re-decided; null: the first.
    #[serde(default)]
    from: Option<Timestamp>,
    /// Decisions before this time; null: up to now.
    #[serde(default)]
    to: Option<Timestamp>,
}

/// Which changed decisions a report shows.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ChangesPage {
    /// The first changed decision shown (from 0).
    #[serde(default)]
    #[param(minimum = 0, maximum = 4294967295_u64)]
    changes_offset: Option<u32>,
    /// How many are shown; default 50, at most 1,000 (more is cut to 1,000).
    #[serde(default)]
    #[param(minimum = 0, maximum = 4294967295_u64)]
    changes_limit: Option<u32>,
}

/// How far a backtest has got.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Progress {
    done: u64,
    total: u64,
}

/// A backtest just started.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BacktestStarted {
    backtest_id: String,
    /// The shop, or `*` for the platform's default policy.
    shop_id: String,
    /// `shop` or `platform`.
    scope: &'static str,
    status: BacktestStatus,
    progress: Progress,
}

/// A backtest without its report.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BacktestSummary {
    backtest_id: String,
    /// The shop, or `*` for the platform's default policy.
    shop_id: String,
    /// `shop` or `platform`.
    scope: &'static str,
    status: BacktestStatus,
    progress: Progress,
    /// The candidate module; null: each decision's recorded one.
    #[schema(value_type = Option<ModuleDigestText>)]
    module: Option<String>,
    /// The candidate settings; null: each decision's recorded ones.
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    /// Why it failed.
    error: Option<String>,
    created_by: String,
    created_at: Option<Timestamp>,
    finished_at: Option<Timestamp>,
}

/// A backtest with its report, once done.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Backtest {
    #[serde(flatten)]
    summary: BacktestSummary,
    report: Option<ReportPage>,
}

/// A report with one page of its changed decisions.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ReportPage {
    #[serde(flatten)]
    report: BacktestReport,
    changes_page: ChangesShown,
}

/// Which changed decisions the report shows, of how many kept.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ChangesShown {
    offset: usize,
    limit: usize,
    kept: usize,
}

/// A list of backtests.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BacktestList {
    /// The shop's (absent for the platform's list).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Id>)]
    shop_id: Option<String>,
    /// `platform` for the platform's list (absent for a shop's).
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    backtests: Vec<BacktestSummary>,
}

/// Changed decisions shown per page unless asked otherwise, and at most.
const CHANGES_LIMIT: usize = 50;
const MAX_CHANGES_LIMIT: usize = 1_000;

/// Backtest a candidate on a shop's own past decisions.
///
/// Every recorded decision of the shop in the range is re-decided in the background
/// with its recorded request, history and fraud assessment and the candidate; today's
/// envelope and guardrails apply to both sides.
#[utoipa::path(
    post,
    path = "/v1/shops/{shop_id}/backtests",
    tag = "backtests",
    operation_id = "start_backtest",
    params(("shop_id" = ShopIdText, Path)),
    request_body = BacktestRequest,
    responses(
        (status = 202, description = "Started.", body = BacktestStarted),
        (status = 422, description = "`settings_rejected`: the candidate module refused \
            the settings.", body = super::error::ErrorBody),
    )
)]
pub(super) async fn start(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonObject(request): JsonObject<BacktestRequest>,
) -> Result<(StatusCode, axum::Json<BacktestStarted>), ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    start_on(&state, &principal, &shop_id, request).await
}

/// Backtest a candidate for the platform's default policy (operators) on every shop's
/// decisions it made.
#[utoipa::path(
    post,
    path = "/v1/platform/backtests",
    tag = "backtests",
    operation_id = "start_platform_backtest",
    request_body = BacktestRequest,
    responses(
        (status = 202, description = "Started.", body = BacktestStarted),
        (status = 404, description = "`not_found`: no such module.",
            body = super::error::ErrorBody),
        (status = 422, description = "`settings_rejected`: the candidate module refused \
            the settings.", body = super::error::ErrorBody),
    )
)]
pub(super) async fn start_platform(
    State(state): State<AppState>,
    principal: Principal,
    JsonObject(request): JsonObject<BacktestRequest>,
) -> Result<(StatusCode, axum::Json<BacktestStarted>), ApiError> {
    operator_only(&principal)?;
    start_on(&state, &principal, PLATFORM_BACKTEST, request).await
}

/// The platform default policy's backtests (operators).
#[utoipa::path(
    get,
    path = "/v1/platform/backtests",
    tag = "backtests",
    operation_id = "list_platform_backtests",
    responses((status = 200, description = "Newest first.", body = BacktestList))
)]
pub(super) async fn list_platform(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<BacktestList>, ApiError> {
    operator_only(&principal)?;
    let backtests = state.service.shop_backtests(PLATFORM_BACKTEST).await?;
    Ok(axum::Json(BacktestList {
        shop_id: None,
        scope: Some("platform"),
        backtests: backtests.iter().map(summary).collect(),
    }))
}

/// Starts a backtest of `shop_id` (or of [`PLATFORM_BACKTEST`]): 202 and where it stands.
async fn start_on(
    state: &AppState,
    principal: &Principal,
    shop_id: &str,
    request: BacktestRequest,
) -> Result<(StatusCode, axum::Json<BacktestStarted>), ApiError> {
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
    let body = BacktestStarted {
        scope: scope_name(&record),
        backtest_id: record.backtest_id,
        shop_id: record.shop_id,
        status: record.status,
        progress: Progress {
            done: record.done,
            total: record.total,
        },
    };
    Ok((StatusCode::ACCEPTED, axum::Json(body)))
}

/// A shop's backtests, newest first.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/backtests",
    tag = "backtests",
    operation_id = "list_backtests",
    params(("shop_id" = ShopIdText, Path)),
    responses((status = 200, description = "Newest first.", body = BacktestList))
)]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<BacktestList>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let backtests = state.service.shop_backtests(&shop_id).await?;
    Ok(axum::Json(BacktestList {
        shop_id: Some(shop_id),
        scope: None,
        backtests: backtests.iter().map(summary).collect(),
    }))
}

/// A backtest: its progress and, once done, its report with a page of the changed
/// decisions. Another shop's backtest is not found.
#[utoipa::path(
    get,
    path = "/v1/backtests/{backtest_id}",
    tag = "backtests",
    operation_id = "show_backtest",
    params(("backtest_id" = Id, Path), ChangesPage),
    responses((status = 200, description = "The backtest.", body = Backtest))
)]
pub(super) async fn show(
    State(state): State<AppState>,
    principal: Principal,
    BacktestId(backtest_id): BacktestId,
    page: Result<Query<ChangesPage>, QueryRejection>,
) -> Result<axum::Json<Backtest>, ApiError> {
    let Query(page) = page.map_err(|rejection| ApiError::BadRequest {
        field: "query".into(),
        message: rejection.body_text(),
    })?;
    let record = state.service.backtest(&backtest_id, None).await?;
    // Another shop's backtest is not found, as the shop itself would not be.
    may_manage_shop(&principal, &record.shop_id)
        .map_err(|_| ApiError::NotFound(format!("backtest `{backtest_id}` not found")))?;
    let offset = page.changes_offset.map_or(0, |offset| offset as usize);
    let limit = page
        .changes_limit
        .map_or(CHANGES_LIMIT, |limit| limit as usize)
        .min(MAX_CHANGES_LIMIT);
    let body =
        backtest(&record, offset, limit).map_err(|error| ApiError::Internal(Box::new(error)))?;
    Ok(axum::Json(body))
}

/// A backtest as `GET /v1/backtests/{id}` answers it: its summary, and its report (once
/// done) with the changed decisions from `offset`, at most `limit` of them.
fn backtest(
    record: &BacktestRecord,
    offset: usize,
    limit: usize,
) -> Result<Backtest, serde_json::Error> {
    let report: Option<BacktestReport> = record
        .report_json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?;
    let report = report.map(|mut report| {
        let kept = report.changes.len();
        report.changes = report
            .changes
            .into_iter()
            .skip(offset)
            .take(limit)
            .collect();
        ReportPage {
            report,
            changes_page: ChangesShown {
                offset,
                limit,
                kept,
            },
        }
    });
    Ok(Backtest {
        summary: summary(record),
        report,
    })
}

/// [`backtest`] as JSON: what `arbiter backtest --ledger` prints from.
pub fn backtest_body(
    record: &BacktestRecord,
    offset: usize,
    limit: usize,
) -> Result<Value, serde_json::Error> {
    serde_json::to_value(backtest(record, offset, limit)?)
}

/// `shop` for one shop's backtest, `platform` for the platform default's.
fn scope_name(record: &BacktestRecord) -> &'static str {
    match record.scope() {
        DecisionScope::Shop(_) => "shop",
        DecisionScope::PlatformDefault => "platform",
    }
}

/// A backtest without its report.
fn summary(record: &BacktestRecord) -> BacktestSummary {
    let bound = |ms: i64| {
        (ms != i64::MIN && ms != i64::MAX)
            .then(|| Timestamp::from_unix_millis(ms))
            .flatten()
    };
    BacktestSummary {
        backtest_id: record.backtest_id.clone(),
        shop_id: record.shop_id.clone(),
        scope: scope_name(record),
        status: record.status,
        progress: Progress {
            done: record.done,
            total: record.total,
        },
        module: record.module_digest.clone(),
        settings: record
            .settings_json
            .as_deref()
            .and_then(|text| serde_json::from_str::<Value>(text).ok()),
        from: bound(record.from_ms),
        to: bound(record.to_ms),
        error: record.error.clone(),
        created_by: record.created_by.clone(),
        created_at: Timestamp::from_unix_millis(record.created_at_ms),
        finished_at: record.finished_at_ms.and_then(Timestamp::from_unix_millis),
    }
}
