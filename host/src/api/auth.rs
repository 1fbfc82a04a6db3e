//! The `Authorization: Bearer` extractor.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::{ApiError, AppState};
use crate::access::Principal;

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_secret)
            .filter(|secret| !secret.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        state
            .access
            .authenticate(secret)
            .await?
            .ok_or(ApiError::Unauthorized)
    }
}

/// The secret of an `Authorization: Bearer <secret>` header; the scheme name is
/// case-insensitive (RFC 9110).
fn bearer_secret(value: &str) -> Option<&str> {
    let (scheme, secret) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
}

/// Only operators and the marketplace may ask for decisions.
pub(super) fn may_decide(principal: &Principal) -> Result<(), ApiError> {
    match principal {
        Principal::Operator | Principal::Marketplace { .. } => Ok(()),
        Principal::Seller { .. } => Err(ApiError::Forbidden),
    }
}

/// Only operators run the platform.
pub(super) fn operator_only(principal: &Principal) -> Result<(), ApiError> {
    match principal {
        Principal::Operator => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

/// A shop's data: operators, and the seller of that shop. Anyone else learns nothing,
/// not even that the shop exists, so the answer is 404.
pub(super) fn may_manage_shop(principal: &Principal, shop_id: &str) -> Result<(), ApiError> {
    match principal {
        Principal::Marketplace { .. } => Err(ApiError::Forbidden),
        _ if principal.may_manage_shop(shop_id) => Ok(()),
        _ => Err(ApiError::NotFound(format!("shop `{shop_id}` not found"))),
    }
}
