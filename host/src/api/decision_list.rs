//! `GET /v1/shops/{shop_id}/decisions`: a shop's decisions newest first, filtered and
//! paged by an opaque cursor (the console's decisions page).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::may_manage_shop;
use super::extract::ShopId;
use super::paging::{cursor_text, cut_page, parse_cursor};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{ClaimKind, DecisionResponse, Outcome, Timestamp, check_id};
use crate::ledger::{DecisionFilter, ListedDecision};

/// How many decisions a page holds unless asked, and at most.
const PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    outcome: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    claim_id: Option<String>,
    changed_by_shadow: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
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
fn money(response: &DecisionResponse) -> BTreeMap<&str, i64> {
    let mut money = BTreeMap::new();
    for action in &response.actions {
        let Some((amount, currency)) = action.money() else {
            continue;
        };
        let total: &mut i64 = money.entry(currency).or_default();
        *total = total.saturating_add(amount);
    }
    money
}

fn listed_json(decision: &ListedDecision) -> Value {
    let response: Option<DecisionResponse> = serde_json::from_str(&decision.response_json).ok();
    json!({
        "decision_id": decision.decision_id,
        "claim_id": decision.claim_id,
        "revision": decision.revision,
        "decided_at": Timestamp::from_unix_millis(decision.decided_at_ms).map(|at| at.to_string()),
        "kind": decision.kind,
        "outcome": decision.outcome,
        "risk": decision.risk,
        "money": response.as_ref().map(money).unwrap_or_default(),
        "module": decision.module_digest,
        "settings_version": decision.settings_version,
        "failure": decision.failure,
        "changed_by_shadow": decision.changed_by_shadow,
    })
}

pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    asked: Result<Query<ListQuery>, QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
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
    Ok(axum::Json(json!({
        "shop_id": shop_id,
        "decisions": decisions.iter().map(listed_json).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
    })))
}
