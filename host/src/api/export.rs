//! `GET /v1/decisions`: the decision log for a warehouse or a SIEM, as NDJSON (one
//! decision per line with everything that made it, OPA's decision logs being the
//! model), oldest first, a page at a time. The next page's cursor is in the
//! `Arbiter-Next-Cursor` header, absent on the last page; cursors are opaque. A seller
//! sees its own shop's decisions only.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::paging::{cursor_text, cut_page, parse_cursor};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{Timestamp, check_id};
use crate::ledger::StoredDecision;

/// The header naming the next page's cursor.
pub const NEXT_CURSOR: &str = "arbiter-next-cursor";

/// Decisions per page unless asked, and at most.
const PAGE: u32 = 1_000;
const MAX_PAGE: u32 = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExportQuery {
    shop_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// Whose decisions `principal` exports: one shop's, or (operators only, with no
/// `shop_id`) every shop's.
fn scope<'a>(
    principal: &'a Principal,
    asked: Option<&'a str>,
) -> Result<Option<&'a str>, ApiError> {
    match (principal, asked) {
        (Principal::Marketplace { .. }, _) => Err(ApiError::Forbidden),
        (Principal::Operator, shop) => Ok(shop),
        (Principal::Seller { shop_id, .. }, None) => Ok(Some(shop_id)),
        (Principal::Seller { shop_id, .. }, Some(asked)) if asked == shop_id => Ok(Some(asked)),
        (Principal::Seller { .. }, Some(asked)) => {
            Err(ApiError::NotFound(format!("shop `{asked}` not found")))
        }
    }
}

/// One decision as a line of the log.
fn log_line(decision: &StoredDecision) -> Bytes {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let line = json!({
        "decision_id": decision.decision_id,
        "shop_id": decision.shop_id,
        "decided_at": Timestamp::from_unix_millis(decision.decided_at_ms).map(|at| at.to_string()),
        "request_id": decision.request_id,
        "request": parse(&decision.request_json),
        "response": parse(&decision.response_json),
        "history": parse(&decision.history_json),
        "signals": parse(&decision.signals_json),
        "guardrails": parse(&decision.guardrails_json),
        "module": decision.module_digest,
        "settings_version": decision.settings_version,
        "settings": parse(&decision.settings_json),
        "fraud_screen": {
            "module": decision.fraud_module_digest,
            "settings": parse(&decision.fraud_settings_json),
        },
        "failure": decision.failure,
        "failure_detail": decision.failure_detail,
        "guest_output": decision.guest_output,
        "latency_us": decision.latency_us,
    });
    let mut text = line.to_string();
    text.push('\n');
    Bytes::from(text)
}

pub(super) async fn export(
    State(state): State<AppState>,
    principal: Principal,
    asked: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(asked) =
        asked.map_err(|rejection| ApiError::bad_request("query", rejection.body_text()))?;
    if let Some(shop_id) = &asked.shop_id {
        check_id("shop_id", shop_id)?;
    }
    let shop_id = scope(&principal, asked.shop_id.as_deref())?;
    let time = |field: &str, text: &Option<String>, unset: i64| {
        text.as_deref().map_or(Ok(unset), |text| {
            Timestamp::parse(text)
                .map(Timestamp::unix_millis)
                .map_err(|message| ApiError::bad_request(field, message))
        })
    };
    let range = (
        time("from", &asked.from, i64::MIN)?,
        time("to", &asked.to, i64::MAX)?,
    );
    if range.0 > range.1 {
        return Err(ApiError::bad_request("to", "must not be before `from`"));
    }
    let limit = asked.limit.unwrap_or(PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            format!("must be from 1 to {MAX_PAGE}"),
        ));
    }
    let after = asked.cursor.as_deref().map(parse_cursor).transpose()?;
    // One more than the page, to know whether another page follows.
    let mut decisions = state
        .service
        .export_decisions(shop_id, range, after.as_ref(), limit + 1)
        .await?;
    let next_cursor = cut_page(&mut decisions, limit, |last| {
        cursor_text(last.decided_at_ms, &last.decision_id)
    });
    // Each line is encoded as the body is sent, not all at once.
    let lines = futures_util::stream::iter(
        decisions
            .into_iter()
            .map(|decision| Ok::<_, Infallible>(log_line(&decision))),
    );
    let mut response = (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(lines),
    )
        .into_response();
    if let Some(cursor) = next_cursor.and_then(|cursor| HeaderValue::from_str(&cursor).ok()) {
        response.headers_mut().insert(NEXT_CURSOR, cursor);
    }
    Ok(response)
}
