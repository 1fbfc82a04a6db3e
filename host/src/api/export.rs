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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::decisions::FraudScreenUsed;
use super::paging::{Cursor, cursor_text, cut_page, parse_cursor};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{
    DecisionRequest, DecisionResponse, Id, ModuleDigestText, Reason, Timestamp, check_id,
};
use crate::ledger::StoredDecision;

/// The header naming the next page's cursor.
pub const NEXT_CURSOR: &str = "arbiter-next-cursor";

/// Decisions per page unless asked, and at most.
const PAGE: u32 = 1_000;
const MAX_PAGE: u32 = 10_000;

/// Which decisions to export, a page at a time.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ExportQuery {
    /// One shop's decisions; operators may leave it out for every shop's. A seller's
    /// token exports its own shop (another shop is not found).
    #[param(value_type = Option<Id>)]
    shop_id: Option<String>,
    /// Decisions made at or after this time.
    #[param(value_type = Option<Timestamp>)]
    from: Option<String>,
    /// Decisions made before this time (not before `from`).
    #[param(value_type = Option<Timestamp>)]
    to: Option<String>,
    /// The `Arbiter-Next-Cursor` of the page before.
    #[param(value_type = Option<Cursor>)]
    cursor: Option<String>,
    /// Decisions per page: 1 to 10,000, default 1,000.
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<u32>,
}

/// One line of the decision log: a decision with everything that made it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DecisionLogLine)]
pub(super) struct LogLine {
    #[schema(value_type = Id)]
    decision_id: String,
    #[schema(value_type = Id)]
    shop_id: String,
    decided_at: Option<Timestamp>,
    /// The `x-request-id` of the request that made it.
    request_id: Option<String>,
    #[schema(value_type = DecisionRequest)]
    request: Value,
    #[schema(value_type = DecisionResponse)]
    response: Value,
    #[schema(value_type = Object)]
    history: Value,
    /// The fraud screen's signals: each rule that fired, in words.
    #[schema(value_type = Vec<Reason>)]
    signals: Value,
    #[schema(value_type = Object)]
    guardrails: Value,
    #[schema(value_type = ModuleDigestText)]
    module: String,
    settings_version: u64,
    #[schema(value_type = Object)]
    settings: Value,
    fraud_screen: FraudScreenUsed,
    failure: Option<String>,
    failure_detail: Option<String>,
    guest_output: Option<String>,
    latency_us: u64,
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
fn log_line(decision: StoredDecision) -> Bytes {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let line = LogLine {
        decided_at: Timestamp::from_unix_millis(decision.decided_at_ms),
        request: parse(&decision.request_json),
        response: parse(&decision.response_json),
        history: parse(&decision.history_json),
        signals: parse(&decision.signals_json),
        guardrails: parse(&decision.guardrails_json),
        settings: parse(&decision.settings_json),
        fraud_screen: FraudScreenUsed::of(&decision),
        decision_id: decision.decision_id,
        shop_id: decision.shop_id,
        request_id: decision.request_id,
        module: decision.module_digest,
        settings_version: decision.settings_version,
        failure: decision.failure,
        failure_detail: decision.failure_detail,
        guest_output: decision.guest_output,
        latency_us: decision.latency_us,
    };
    let mut text = serde_json::to_vec(&line).unwrap_or_default();
    text.push(b'\n');
    Bytes::from(text)
}

/// The decision log (operators: every shop's or one; a seller: its own), as NDJSON.
///
/// One decision per line with everything that made it (OPA's decision logs are the
/// model), oldest first. The next page's cursor is in the `Arbiter-Next-Cursor` header,
/// absent on the last page.
#[utoipa::path(
    get,
    path = "/v1/decisions",
    tag = "decisions",
    operation_id = "export_decisions",
    params(ExportQuery),
    responses(
        (status = 200, description = "A page of the log, one JSON object per line.",
            content_type = "application/x-ndjson", body = LogLine,
            headers(("Arbiter-Next-Cursor" = String,
                description = "The next page's cursor; absent on the last page."))),
    )
)]
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
            .map(|decision| Ok::<_, Infallible>(log_line(decision))),
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
