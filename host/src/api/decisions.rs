//! `POST /v1/decisions` and `GET /v1/decisions/{id}`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::{may_decide, may_manage_shop};
use super::extract::{DecisionId, body_bytes};
use super::feedback::FeedbackBody;
use super::observe::RequestId;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{DecisionRequest, DecisionResponse, Id, ModuleDigestText, Reason, Timestamp};
use crate::ledger::StoredDecision;

/// Decide a claim (operator or marketplace token).
///
/// Runs the fraud screen, the shop's policy with the shop's current settings and the
/// platform envelope, records the decision in the ledger and answers it once it is
/// durable. Idempotent by key: the `Idempotency-Key` header, or `claim_id` + `revision`
/// without it. A repeat of the same request (whitespace and key order do not matter)
/// answers the stored decision byte for byte with `idempotent-replayed: true`; the same
/// key with a different request is 409.
#[utoipa::path(
    post,
    path = "/v1/decisions",
    tag = "decisions",
    operation_id = "decide",
    params(
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 256,
            pattern = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
            description = "1 to 256 characters of printable ASCII. Defaults to `claim_id` + \
                `#` + `revision`. An explicit key is a namespace of its own."),
    ),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "The decision, made now or replayed.", body = DecisionResponse,
            headers(("idempotent-replayed" = String,
                description = "Added to the contract: `true` when this answer is the stored \
                    decision for a repeated request; absent when it was made now."))),
        (status = 409, description = "`idempotency_conflict`: the key was already used with \
            a different request.", body = super::error::ErrorBody),
    )
)]
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

/// A decision with everything that made it, enough to replay it exactly.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Explanation {
    #[schema(value_type = DecisionResponse)]
    decision: Value,
    #[schema(value_type = DecisionRequest)]
    request: Value,
    /// The customer's earlier claims and the photos' other owners, as the policies saw
    /// them.
    #[schema(value_type = Object)]
    history: Value,
    /// The fraud screen's signals: each rule that fired, in words.
    #[schema(value_type = Vec<Reason>)]
    signals: Value,
    /// The guardrails in force.
    #[schema(value_type = Object)]
    guardrails: Value,
    policy: ExplainedPolicy,
    /// What shadow versions decided beside it (recorded only).
    #[schema(value_type = Vec<DecisionResponse>)]
    shadow: Vec<Value>,
    feedback: Option<FeedbackBody>,
    /// The module failure the host fell back from (`guest_timeout`, ...), if any.
    failure: Option<String>,
    failure_detail: Option<String>,
    /// What the module wrote to stdout and stderr, capped.
    guest_output: Option<String>,
    latency_us: u64,
    /// The `x-request-id` of the request that made it.
    request_id: Option<String>,
    decided_at: Option<Timestamp>,
}

/// The module and settings a decision ran with.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ExplainedPolicy {
    #[schema(value_type = ModuleDigestText)]
    module: String,
    settings_version: u64,
    #[schema(value_type = Object)]
    settings: Value,
    fraud_screen: FraudScreenUsed,
}

/// The fraud screen a decision ran with (in its explanation and its log line).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FraudScreenUsed {
    #[schema(value_type = ModuleDigestText)]
    module: String,
    #[schema(value_type = Object)]
    settings: Value,
}

impl FraudScreenUsed {
    /// The fraud screen `decision` recorded.
    pub(super) fn of(decision: &StoredDecision) -> Self {
        Self {
            module: decision.fraud_module_digest.clone(),
            settings: serde_json::from_str(&decision.fraud_settings_json).unwrap_or(Value::Null),
        }
    }
}

/// Explain a decision.
///
/// The request, the history the policies saw, the fraud signals, the guardrails in
/// force, the module and settings, what a shadow version decided beside it, the
/// feedback, the latency. A seller sees its own shop's decisions only.
#[utoipa::path(
    get,
    path = "/v1/decisions/{decision_id}",
    tag = "decisions",
    operation_id = "explain",
    params(("decision_id" = Id, Path)),
    responses((status = 200, description = "The decision and what made it.", body = Explanation))
)]
pub(super) async fn explain(
    State(state): State<AppState>,
    principal: Principal,
    DecisionId(decision_id): DecisionId,
) -> Result<axum::Json<Explanation>, ApiError> {
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
        .map(FeedbackBody::new);
    let fraud_screen = FraudScreenUsed::of(&stored);
    Ok(axum::Json(Explanation {
        decision: parse(&stored.response_json),
        request: parse(&stored.request_json),
        history: parse(&stored.history_json),
        signals: parse(&stored.signals_json),
        guardrails: parse(&stored.guardrails_json),
        policy: ExplainedPolicy {
            settings: parse(&stored.settings_json),
            module: stored.module_digest,
            settings_version: stored.settings_version,
            fraud_screen,
        },
        shadow,
        feedback,
        failure: stored.failure,
        failure_detail: stored.failure_detail,
        guest_output: stored.guest_output,
        latency_us: stored.latency_us,
        request_id: stored.request_id,
        decided_at: Timestamp::from_unix_millis(stored.decided_at_ms),
    }))
}
