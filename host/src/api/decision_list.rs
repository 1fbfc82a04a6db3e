//! `GET /v1/shops/{shop_id}/decisions`: a shop's decisions newest first, filtered and
//! paged by an opaque cursor (the console's decisions page).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::may_manage_shop;
use super::extract::ShopId;
use super::paging::{Cursor, cursor_text, cut_page, parse_cursor};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{
    ClaimKind, DecisionResponse, Id, ModuleDigestText, Outcome, Risk, ShopIdText, Timestamp,
    check_id,
};
use crate::ledger::{DecisionFilter, ListedDecision};

/// How many decisions a page holds unless asked, and at most.
const PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

/// Which of a shop's decisions, a page at a time.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    #[param(value_type = Option<Outcome>)]
    outcome: Option<String>,
    #[param(value_type = Option<ClaimKind>)]
    kind: Option<String>,
    /// Decisions made at or after this time.
    #[param(value_type = Option<Timestamp>)]
    from: Option<String>,
    /// Decisions made before this time.
    #[param(value_type = Option<Timestamp>)]
    to: Option<String>,
    /// One claim's decisions (every revision).
    #[param(value_type = Option<Id>)]
    claim_id: Option<String>,
    /// Only decisions a shadow version decided otherwise.
    changed_by_shadow: Option<bool>,
    /// Decisions per page: 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the page before.
    #[param(value_type = Option<Cursor>)]
    cursor: Option<String>,
}

/// A decision as a list shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ListedDecision)]
pub(super) struct ListedDecisionBody {
    #[schema(value_type = Id)]
    decision_id: String,
    #[schema(value_type = Id)]
    claim_id: String,
    revision: i64,
    decided_at: Option<Timestamp>,
    #[schema(value_type = ClaimKind)]
    kind: String,
    #[schema(value_type = Outcome)]
    outcome: String,
    #[schema(value_type = Risk)]
    risk: String,
    /// Minor units given, per currency.
    money: BTreeMap<String, i64>,
    #[schema(value_type = ModuleDigestText)]
    module: String,
    settings_version: i64,
    /// The module failure the host fell back from, if any.
    failure: Option<String>,
    /// Whether a shadow version decided otherwise.
    changed_by_shadow: bool,
}

/// A page of a shop's decisions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DecisionPage {
    #[schema(value_type = Id)]
    shop_id: String,
    decisions: Vec<ListedDecisionBody>,
    /// The next page's cursor; null on the last page.
    next_cursor: Option<String>,
}

/// `value` if it names one of an enumeration's values (by its JSON name).
fn one_of<T: serde::de::DeserializeOwned>(
    field: &str,
    value: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(value) = value {
        serde_json::from_value::<T>(Value::String(value.to_owned())).map_err(|_| {
            ApiError::bad_request(field, format!("`{value}` is not one of its values"))
        })?;
    }
    Ok(())
}

/// Money a decision gives, per currency.
fn money(response: &DecisionResponse) -> BTreeMap<String, i64> {
    let mut money = BTreeMap::new();
    for action in &response.actions {
        let Some((amount, currency)) = action.money() else {
            continue;
        };
        let total: &mut i64 = money.entry(currency.to_owned()).or_default();
        *total = total.saturating_add(amount);
    }
    money
}

fn listed(decision: ListedDecision) -> ListedDecisionBody {
    let response: Option<DecisionResponse> = serde_json::from_str(&decision.response_json).ok();
    ListedDecisionBody {
        decided_at: Timestamp::from_unix_millis(decision.decided_at_ms),
        money: response.as_ref().map(money).unwrap_or_default(),
        decision_id: decision.decision_id,
        claim_id: decision.claim_id,
        revision: decision.revision,
        kind: decision.kind,
        outcome: decision.outcome,
        risk: decision.risk,
        module: decision.module_digest,
        settings_version: decision.settings_version,
        failure: decision.failure,
        changed_by_shadow: decision.changed_by_shadow,
    }
}

/// A shop's decisions, newest first, filtered and paged by an opaque cursor.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/decisions",
    tag = "shops",
    operation_id = "list_decisions",
    params(("shop_id" = ShopIdText, Path), ListQuery),
    responses((status = 200, description = "A page.", body = DecisionPage))
)]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    asked: Result<Query<ListQuery>, QueryRejection>,
) -> Result<axum::Json<DecisionPage>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let Query(asked) =
        asked.map_err(|rejection| ApiError::bad_request("query", rejection.body_text()))?;
    one_of::<Outcome>("outcome", asked.outcome.as_deref())?;
    one_of::<ClaimKind>("kind", asked.kind.as_deref())?;
    if let Some(claim_id) = &asked.claim_id {
        check_id("claim_id", claim_id)?;
    }
    let time = |field: &str, text: &Option<String>| {
        text.as_deref()
            .map(|text| {
                Timestamp::parse(text)
                    .map(Timestamp::unix_millis)
                    .map_err(|message| ApiError::bad_request(field, message))
            })
            .transpose()
    };
    let limit = asked.limit.unwrap_or(PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            format!("must be from 1 to {MAX_PAGE}"),
        ));
    }
    let before = asked.cursor.as_deref().map(parse_cursor).transpose()?;
    let filter = DecisionFilter {
        outcome: asked.outcome.as_deref(),
        kind: asked.kind.as_deref(),
        from_ms: time("from", &asked.from)?,
        to_ms: time("to", &asked.to)?,
        claim_id: asked.claim_id.as_deref(),
        changed_by_shadow: asked.changed_by_shadow.unwrap_or(false),
    };
    // One more than the page, to know whether another page follows.
    let mut decisions = state
        .service
        .list_decisions(&shop_id, filter, before.as_ref(), limit + 1)
        .await?;
    let next_cursor = cut_page(&mut decisions, limit, |last| {
        cursor_text(last.decided_at_ms, &last.decision_id)
    });
    Ok(axum::Json(DecisionPage {
        shop_id,
        decisions: decisions.into_iter().map(listed).collect(),
        next_cursor,
    }))
}
