//! Operator endpoints: the hard-fraud list, spending guardrails and API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::operator_only;
use super::extract::{CustomerId, JsonObject};
use super::{ApiError, AppState};
use crate::access::{Principal, Role};
use crate::clock::now_ms;
use crate::contract::check_shop_id;
use crate::guardrails::Guardrails;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FraudListEntry {
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenRequest {
    role: Role,
    #[serde(default)]
    shop_id: Option<String>,
    #[serde(default)]
    label: String,
}

pub(super) async fn add_to_fraud_list(
    State(state): State<AppState>,
    principal: Principal,
    CustomerId(customer_id): CustomerId,
    JsonObject(entry): JsonObject<FraudListEntry>,
) -> Result<axum::Json<Value>, ApiError> {
    operator_only(&principal)?;
    if entry.reason.trim().is_empty() {
        return Err(ApiError::BadRequest {
            field: "reason".into(),
            message: "say why the customer is on the list".into(),
        });
    }
    state
        .service
        .add_to_fraud_list(&customer_id, &entry.reason, &principal.actor())
        .await?;
    Ok(axum::Json(
        json!({"customer_id": customer_id, "reason": entry.reason}),
    ))
}

/// `GET /v1/platform/fraud-list`: the list, newest first.
pub(super) async fn fraud_list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    operator_only(&principal)?;
    let entries: Vec<Value> = state
        .service
        .fraud_list()
        .await?
        .iter()
        .map(|entry| {
            json!({
                "customer_id": entry.customer_id,
                "reason": entry.reason,
                "added_by": entry.added_by,
                "added_at": crate::contract::Timestamp::from_unix_millis(entry.added_at_ms)
                    .map(|at| at.to_string()),
            })
        })
        .collect();
    Ok(axum::Json(
        json!({"entries": entries, "limit": crate::service::FRAUD_LIST_PAGE}),
    ))
}

pub(super) async fn remove_from_fraud_list(
    State(state): State<AppState>,
    principal: Principal,
    CustomerId(customer_id): CustomerId,
) -> Result<StatusCode, ApiError> {
    operator_only(&principal)?;
    state.service.remove_from_fraud_list(&customer_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn issue_token(
    State(state): State<AppState>,
    principal: Principal,
    JsonObject(request): JsonObject<TokenRequest>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    operator_only(&principal)?;
    let shop_id = match (request.role, request.shop_id) {
        (Role::Seller, Some(shop_id)) if !shop_id.trim().is_empty() => {
            // Scoped by the same rule as a claim's shop id.
            check_shop_id("shop_id", &shop_id)?;
            Some(shop_id)
        }
        (Role::Seller, _) => {
            return Err(ApiError::BadRequest {
                field: "shop_id".into(),
                message: "a seller token is bound to one shop".into(),
            });
        }
        (Role::Marketplace, Some(_)) => {
            return Err(ApiError::BadRequest {
                field: "shop_id".into(),
                message: "a marketplace token is not bound to a shop".into(),
            });
        }
        (Role::Marketplace, None) => None,
    };
    let issued = state
        .access
        .issue(
            request.role,
            shop_id,
            request.label,
            &principal.actor(),
            now_ms(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::to_value(issued).unwrap_or_default()),
    ))
}

pub(super) async fn get_guardrails(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Guardrails>, ApiError> {
    operator_only(&principal)?;
    Ok(axum::Json(state.service.guardrails().await?))
}

pub(super) async fn put_guardrails(
    State(state): State<AppState>,
    principal: Principal,
    JsonObject(guardrails): JsonObject<Guardrails>,
) -> Result<axum::Json<Guardrails>, ApiError> {
    operator_only(&principal)?;
    for (field, cap) in [
        ("shop_daily_cap", guardrails.shop_daily_cap),
        ("customer_30d_cap", guardrails.customer_30d_cap),
    ] {
        if cap.is_some_and(|cap| cap < 0) {
            return Err(ApiError::BadRequest {
                field: field.into(),
                message: "a cap is 0 or more minor units, or null for none".into(),
            });
        }
    }
    state
        .service
        .put_guardrails(&guardrails, &principal.actor())
        .await?;
    Ok(axum::Json(guardrails))
}
