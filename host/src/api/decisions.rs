//! `POST /v1/decisions` and `GET /v1/decisions/{id}`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{may_decide, may_manage_shop};
use super::extract::{DecisionId, body_bytes};
use super::observe::RequestId;
use super::{ApiError, AppState};
use crate::access::Principal;

pub(super) async fn decide(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    request_id: Option<Extension<RequestId>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    may_decide(&principal)?;
    let body = body_bytes(body)?;
    let key = match headers.get("idempotency-key") {
        Some(value) => Some(value.to_str().map_err(|_| ApiError::BadRequest {
            field: "Idempotency-Key".into(),
            message: "must be printable ASCII".into(),
        })?),
        None => None,
    };
    let request_id = request_id.map(|Extension(RequestId(id))| id);
    let reply = state
        .service
        .decide(&body, key, request_id.as_deref())
        .await?;
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
    DecisionId(decision_id): DecisionId,
) -> Result<Response, ApiError> {
    let stored = state.service.decision(&decision_id).await?;
    // Another shop's decision is not found, like one that does not exist.
    may_manage_shop(&principal, &stored.shop_id).map_err(|error| match error {
        ApiError::NotFound(_) => ApiError::NotFound(format!("decision `{decision_id}` not found")),
        other => other,
    })?;
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let shadow: Vec<Value> = state
        .service
        .shadow_decisions(&decision_id)
        .await?
        .iter()
        .map(|text| parse(text))
        .collect();
    let feedback = state
        .service
        .feedback(&decision_id)
        .await?
        .as_ref()
        .map(super::feedback::feedback_body);
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
        "feedback": feedback,
        "failure": stored.failure,
        "failure_detail": stored.failure_detail,
        "guest_output": stored.guest_output,
        "latency_us": stored.latency_us,
        "request_id": stored.request_id,
        "decided_at": crate::contract::Timestamp::from_unix_millis(stored.decided_at_ms)
            .map(|at| at.to_string()),
    });
    Ok(axum::Json(body).into_response())
}
