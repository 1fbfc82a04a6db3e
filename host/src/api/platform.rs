//! Operator endpoints: the hard-fraud list, spending guardrails and API tokens.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::operator_only;
use super::decisions::body_or_error;
use super::{ApiError, AppState};
use crate::access::{Principal, Role};
use crate::envelope::Guardrails;
use crate::service::now_ms;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FraudListEntry {
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    role: Role,
    #[serde(default)]
    shop_id: Option<String>,
    #[serde(default)]
    label: String,
}

/// Parses a JSON body, naming the field at fault.
pub(super) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        // serde names a missing field only in its message; the path stops at the parent.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_owned(),
            (_, Some(name)) => format!("{path}.{name}"),
            (".", None) => String::new(),
            (_, None) => path,
        };
        ApiError::BadRequest {
            field,
            message: message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        }
    })
}

pub(super) async fn add_to_fraud_list(
    State(state): State<AppState>,
    principal: Principal,
    Path(customer_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    operator_only(&principal)?;
    let entry: FraudListEntry = parse_body(&body_or_error(body)?)?;
    if entry.reason.trim().is_empty() {
        return Err(ApiError::BadRequest {
            field: "reason".into(),
            message: "say why the customer is on the list".into(),
        });
    }
    state
        .service
        .ledger()
        .add_to_fraud_list(&customer_id, &entry.reason, &principal.actor(), now_ms())
        .await?;
    Ok(axum::Json(
        json!({"customer_id": customer_id, "reason": entry.reason}),
    ))
}

pub(super) async fn remove_from_fraud_list(
    State(state): State<AppState>,
    principal: Principal,
    Path(customer_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    operator_only(&principal)?;
    if state
        .service
        .ledger()
        .remove_from_fraud_list(&customer_id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "customer `{customer_id}` is not on the hard-fraud list"
        )))
    }
}

pub(super) async fn issue_token(
    State(state): State<AppState>,
    principal: Principal,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    operator_only(&principal)?;
    let request: TokenRequest = parse_body(&body_or_error(body)?)?;
    let shop_id = match (request.role, request.shop_id) {
        (Role::Seller, Some(shop_id)) if !shop_id.trim().is_empty() => Some(shop_id),
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
    Ok(axum::Json(state.service.ledger().guardrails().await?))
}

pub(super) async fn put_guardrails(
    State(state): State<AppState>,
    principal: Principal,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<Guardrails>, ApiError> {
    operator_only(&principal)?;
    let guardrails: Guardrails = parse_body(&body_or_error(body)?)?;
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
        .ledger()
        .put_guardrails(&guardrails, &principal.actor(), now_ms())
        .await?;
    Ok(axum::Json(guardrails))
}
