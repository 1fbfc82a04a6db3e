//! `GET /v1/shops/{shop_id}/insights` and `GET /v1/platform/insights`: where claims come
//! from and what they cost, over whole UTC days, from the ledger's aggregates.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{may_manage_shop, operator_only};
use super::extract::ShopId;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::clock::now_ms;
use crate::contract::{ShopIdText, Timestamp};
use crate::insights::{Bucket, DayRange, Insights, MAX_RANGE_DAYS};
use crate::ledger::InsightScope;

/// How many days a range without `from` covers, ending with `to`'s day.
const DEFAULT_DAYS: i64 = 30;

/// The days an insights report covers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct InsightsQuery {
    /// The first day (its UTC day); default: 30 days before `to`. At most 732 days.
    #[param(value_type = Option<Timestamp>)]
    from: Option<String>,
    /// The last day (its UTC day); default: today.
    #[param(value_type = Option<Timestamp>)]
    to: Option<String>,
    /// The series' buckets; default `day`.
    #[param(value_type = Option<Bucket>)]
    bucket: Option<String>,
}

impl InsightsQuery {
    /// The days and bucket asked for: by default the 30 days ending today, by day.
    fn range(&self) -> Result<(DayRange, Bucket), ApiError> {
        let time = |field: &str, text: &str| {
            Timestamp::parse(text).map_err(|message| ApiError::BadRequest {
                field: field.into(),
                message,
            })
        };
        let to = match &self.to {
            Some(text) => time("to", text)?,
            None => Timestamp::from_unix_millis(now_ms()).ok_or_else(|| ApiError::BadRequest {
                field: "to".into(),
                message: "the server's clock is out of range".into(),
            })?,
        };
        let range = match &self.from {
            Some(text) => DayRange::covering(time("from", text)?, to),
            None => {
                let last = DayRange::covering(to, to);
                DayRange {
                    from_day: last.to_day - DEFAULT_DAYS,
                    to_day: last.to_day,
                }
            }
        };
        if range.days() <= 0 {
            return Err(ApiError::BadRequest {
                field: "from".into(),
                message: "must not be after `to`".into(),
            });
        }
        if range.days() > MAX_RANGE_DAYS {
            return Err(ApiError::BadRequest {
                field: "from".into(),
                message: format!("the range may cover at most {MAX_RANGE_DAYS} days"),
            });
        }
        let bucket = match self.bucket.as_deref() {
            None => Bucket::Day,
            Some(text) => Bucket::parse(text).ok_or_else(|| ApiError::BadRequest {
                field: "bucket".into(),
                message: "must be `day` or `week`".into(),
            })?,
        };
        Ok((range, bucket))
    }
}

fn query(query: Result<Query<InsightsQuery>, QueryRejection>) -> Result<InsightsQuery, ApiError> {
    query
        .map(|Query(query)| query)
        .map_err(|rejection| ApiError::BadRequest {
            field: "query".into(),
            message: rejection.body_text(),
        })
}

/// Where a shop's claims come from and what they cost.
///
/// Over whole UTC days: totals, a series by day or ISO week, by kind, by category, the
/// top SKUs by claims and by money, and repeat customers.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/insights",
    tag = "shops",
    operation_id = "shop_insights",
    params(("shop_id" = ShopIdText, Path), InsightsQuery),
    responses((status = 200, description = "The report.", body = Insights))
)]
pub(super) async fn shop(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    asked: Result<Query<InsightsQuery>, QueryRejection>,
) -> Result<axum::Json<Insights>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let (range, bucket) = query(asked)?.range()?;
    let insights = state
        .service
        .insights(InsightScope::Shop(&shop_id), range, bucket)
        .await?;
    Ok(axum::Json(insights))
}

/// Where the platform's claims come from and what they cost (operators), with a table
/// of shops.
#[utoipa::path(
    get,
    path = "/v1/platform/insights",
    tag = "platform",
    operation_id = "platform_insights",
    params(InsightsQuery),
    responses((status = 200, description = "The report.", body = Insights))
)]
pub(super) async fn platform(
    State(state): State<AppState>,
    principal: Principal,
    asked: Result<Query<InsightsQuery>, QueryRejection>,
) -> Result<axum::Json<Insights>, ApiError> {
    operator_only(&principal)?;
    let (range, bucket) = query(asked)?.range()?;
    let insights = state
        .service
        .insights(InsightScope::Platform, range, bucket)
        .await?;
    Ok(axum::Json(insights))
}
