//! `POST /v1/decisions` and `GET /v1/decisions/{id}`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{may_decide, may_manage_shop};
use super::{ApiError, AppState, MAX_BODY_BYTES};
use crate::access::Principal;

pub(super) async fn decide(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    may_decide(&principal)?;
    let body = body_or_error(body)?;
    let key = match headers.get("idempotency-key") {
        Some(value) => Some(value.to_str().map_err(|_| ApiError::BadRequest {
            field: "Idempotency-Key".into(),
            message: "must be printable ASCII".into(),
        })?),
        None => None,
    };
    let reply = state.service.decide(&body, key).await?;
    let mut response = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        reply.body,
    )
        .into_response();
    if reply.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// A decision with what made it: the request, the history the policies saw, the fraud
/// signals, the guardrails in force, the module and settings, what a shadow version
/// decided beside it, the latency.
pub(super) async fn explain(
    State(state): State<AppState>,
    principal: Principal,
    Path(decision_id): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("decision `{decision_id}` not found"));
    let stored = state
        .service
        .decision(&decision_id)
        .await
        .map_err(|_| not_found())?;
    may_manage_shop(&principal, &stored.shop_id).map_err(|error| match error {
        ApiError::NotFound(_) => not_found(),
        other => other,
    })?;
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let shadow: Vec<Value> = state
        .service
        .ledger()
        .shadow_decisions(&decision_id)
        .await?
        .iter()
        .map(|text| parse(text))
        .collect();
    let body = json!({
        "decision": parse(&stored.response_json),
        "request": parse(&stored.request_json),
        "history": parse(&stored.history_json),
        "signals": parse(&stored.signals_json),
        "guardrails": parse(&stored.guardrails_json),
        "policy": {
            "module": stored.module_digest,
            "settings_version": stored.settings_version,
            "settings": parse(&stored.settings_json),
            "fraud_screen": {
                "module": stored.fraud_module_digest,
                "settings": parse(&stored.fraud_settings_json),
            },
        },
        "shadow": shadow,
        "failure": stored.failure,
        "failure_detail": stored.failure_detail,
        "guest_output": stored.guest_output,
        "latency_us": stored.latency_us,
        "decided_at": crate::contract::Timestamp::from_unix_millis(stored.decided_at_ms)
            .map(|at| at.to_string()),
    });
    Ok(axum::Json(body).into_response())
}

/// The body, or 413 / 400 in the API's error shape.
pub(super) fn body_or_error(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(MAX_BODY_BYTES)
        } else {
            ApiError::BadRequest {
                field: String::new(),
                message: rejection.body_text(),
            }
        }
    })
}
