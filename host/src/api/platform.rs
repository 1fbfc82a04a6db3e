//! Operator endpoints: the hard-fraud list, spending guardrails and API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::operator_only;
use super::extract::{CustomerId, JsonObject};
use super::{ApiError, AppState};
use crate::access::{IssuedToken, Principal, Role};
use crate::clock::now_ms;
use crate::contract::{Id, MAX_AMOUNT, ShopIdText, Timestamp, check_shop_id};
use crate::guardrails::Guardrails;
use crate::service::FRAUD_LIST_PAGE;

/// Why a customer goes on the hard-fraud list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FraudListReason {
    /// Why, in words; not blank.
    #[schema(pattern = r"\S")]
    reason: String,
}

/// A customer put on the list.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FraudListed {
    #[schema(value_type = Id)]
    customer_id: String,
    reason: String,
}

/// A customer on the list, who put them there and when.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FraudListEntry {
    #[schema(value_type = Id)]
    customer_id: String,
    reason: String,
    added_by: String,
    added_at: Option<Timestamp>,
}

/// The hard-fraud list, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FraudList {
    entries: Vec<FraudListEntry>,
    /// The most entries shown.
    limit: u32,
}

/// A token to issue. The handler reads it as one struct (so a seller token without a
/// shop is a 400 naming `shop_id`); the description says the same with one variant per
/// role.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenRequest {
    role: Role,
    #[serde(default)]
    shop_id: Option<String>,
    #[serde(default)]
    label: String,
}

/// A token to issue: the marketplace's (no shop) or a seller's (bound to one shop).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // Describes TokenRequest's rules; never built.
#[serde(untagged)]
#[schema(as = TokenRequest)]
pub(super) enum TokenRequestShape {
    Marketplace(#[schema(inline)] MarketplaceTokenRequest),
    Seller(#[schema(inline)] SellerTokenRequest),
}

/// The marketplace's token: it decides claims and gives feedback.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(title = "MarketplaceTokenRequest")]
pub(super) struct MarketplaceTokenRequest {
    #[schema(pattern = "^marketplace$")]
    role: String,
    /// Free text to tell tokens apart.
    #[schema(required = false, default = "")]
    label: String,
}

/// A seller's token: it manages one shop.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(title = "SellerTokenRequest")]
pub(super) struct SellerTokenRequest {
    #[schema(pattern = "^seller$")]
    role: String,
    #[schema(value_type = ShopIdText)]
    shop_id: String,
    #[schema(required = false, default = "")]
    label: String,
}

/// Put a customer on the hard-fraud list (operators): their next claims are blocked.
#[utoipa::path(
    put,
    path = "/v1/platform/fraud-list/{customer_id}",
    tag = "platform",
    operation_id = "add_to_fraud_list",
    params(("customer_id" = Id, Path)),
    request_body = FraudListReason,
    responses((status = 200, description = "On the list.", body = FraudListed))
)]
pub(super) async fn add_to_fraud_list(
    State(state): State<AppState>,
    principal: Principal,
    CustomerId(customer_id): CustomerId,
    JsonObject(entry): JsonObject<FraudListReason>,
) -> Result<axum::Json<FraudListed>, ApiError> {
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
    Ok(axum::Json(FraudListed {
        customer_id,
        reason: entry.reason,
    }))
}

/// The hard-fraud list, newest first (operators).
#[utoipa::path(
    get,
    path = "/v1/platform/fraud-list",
    tag = "platform",
    operation_id = "fraud_list",
    responses((status = 200, description = "The list.", body = FraudList))
)]
pub(super) async fn fraud_list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<FraudList>, ApiError> {
    operator_only(&principal)?;
    let entries = state
        .service
        .fraud_list()
        .await?
        .into_iter()
        .map(|entry| FraudListEntry {
            added_at: Timestamp::from_unix_millis(entry.added_at_ms),
            customer_id: entry.customer_id,
            reason: entry.reason,
            added_by: entry.added_by,
        })
        .collect();
    Ok(axum::Json(FraudList {
        entries,
        limit: FRAUD_LIST_PAGE,
    }))
}

/// Take a customer off the hard-fraud list (operators).
#[utoipa::path(
    delete,
    path = "/v1/platform/fraud-list/{customer_id}",
    tag = "platform",
    operation_id = "remove_from_fraud_list",
    params(("customer_id" = Id, Path)),
    responses((status = 204, description = "Not on the list (any more)."))
)]
pub(super) async fn remove_from_fraud_list(
    State(state): State<AppState>,
    principal: Principal,
    CustomerId(customer_id): CustomerId,
) -> Result<StatusCode, ApiError> {
    operator_only(&principal)?;
    state.service.remove_from_fraud_list(&customer_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a marketplace or seller token (operators). The secret is shown this once.
#[utoipa::path(
    post,
    path = "/v1/tokens",
    tag = "platform",
    operation_id = "issue_token",
    request_body = TokenRequestShape,
    responses((status = 201, description = "Issued.", body = IssuedToken))
)]
pub(super) async fn issue_token(
    State(state): State<AppState>,
    principal: Principal,
    JsonObject(request): JsonObject<TokenRequest>,
) -> Result<(StatusCode, axum::Json<IssuedToken>), ApiError> {
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
    Ok((StatusCode::CREATED, axum::Json(issued)))
}

/// The spending caps (operators).
#[utoipa::path(
    get,
    path = "/v1/platform/guardrails",
    tag = "platform",
    operation_id = "get_guardrails",
    responses((status = 200, description = "The caps in force.", body = Guardrails))
)]
pub(super) async fn get_guardrails(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Guardrails>, ApiError> {
    operator_only(&principal)?;
    Ok(axum::Json(state.service.guardrails().await?))
}

/// Set the spending caps (operators); the envelope applies them to the next decision.
#[utoipa::path(
    put,
    path = "/v1/platform/guardrails",
    tag = "platform",
    operation_id = "put_guardrails",
    request_body = Guardrails,
    responses((status = 200, description = "Stored.", body = Guardrails))
)]
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
        if cap.is_some_and(|cap| !(0..=MAX_AMOUNT).contains(&cap)) {
            return Err(ApiError::BadRequest {
                field: field.into(),
                message: format!("a cap is 0 to {MAX_AMOUNT} minor units, or null for none"),
            });
        }
    }
    state
        .service
        .put_guardrails(&guardrails, &principal.actor())
        .await?;
    Ok(axum::Json(guardrails))
}
