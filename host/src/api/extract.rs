//! What handlers take from a request besides the token: one strict JSON extractor for
//! every body (an object where an object is meant, unknown fields refused, the field's
//! path in the 400), and ids in paths checked like the claim's own ids.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::{ApiError, MAX_BODY_BYTES};
use crate::contract::{FieldError, check_id, check_shop_id, parse_json, parse_object};

/// A JSON object body read as a `T`: an array or any other value in its place is a 400
/// naming the body.
#[derive(Debug)]
pub(super) struct JsonObject<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonObject<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = body_bytes(Bytes::from_request(request, state).await)?;
        Ok(Self(parse_object(&body)?))
    }
}

/// Any JSON value (settings: their module says what is wrong with them).
#[derive(Debug)]
pub(super) struct JsonValue(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonValue {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = body_bytes(Bytes::from_request(request, state).await)?;
        Ok(Self(parse_json(&body)?))
    }
}

/// The body, or 413 / 400 in the API's error shape.
pub(super) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
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

/// Declares an extractor for a route's one path id, checked by `$check`.
macro_rules! path_id {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub(super) struct $name(pub String);

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                let Path(value) = Path::<String>::from_request_parts(parts, state)
                    .await
                    .map_err(|rejection| FieldError::new($field, rejection.body_text()))?;
                $check($field, &value)?;
                Ok(Self(value))
            }
        }
    };
}

path_id!(
    /// `{shop_id}`: a shop's id, as in a claim (and never `*`).
    ShopId,
    "shop_id",
    check_shop_id
);
path_id!(
    /// `{customer_id}`: a customer's id, as in a claim.
    CustomerId,
    "customer_id",
    check_id
);
path_id!(
    /// `{decision_id}`: a decision's id.
    DecisionId,
    "decision_id",
    check_id
);
path_id!(
    /// `{backtest_id}`: a backtest's id.
    BacktestId,
    "backtest_id",
    check_id
);
path_id!(
    /// `{digest}`: a module's digest (an unknown one is not found, a malformed one too).
    ModuleDigestId,
    "digest",
    check_id
);
