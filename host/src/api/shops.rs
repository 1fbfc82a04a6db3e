//! `GET`/`PUT /v1/shops/{shop_id}/settings`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::auth::may_manage_shop;
use super::decisions::body_or_error;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::ledger::ShopSettings;

fn settings_body(shop_id: &str, settings: &ShopSettings) -> Value {
    json!({
        "shop_id": shop_id,
        "version": settings.version,
        "settings": serde_json::from_str::<Value>(&settings.settings_json).unwrap_or(json!({})),
    })
}

pub(super) async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
    Path(shop_id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let settings = state.service.settings(&shop_id).await?;
    Ok(axum::Json(settings_body(&shop_id, &settings)))
}

pub(super) async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    Path(shop_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let body = body_or_error(body)?;
    let settings: Value = serde_json::from_slice(&body).map_err(|error| ApiError::BadRequest {
        field: String::new(),
        message: format!("the body is not valid JSON: {error}"),
    })?;
    let stored = state
        .service
        .put_settings(&shop_id, &settings, &principal.actor())
        .await?;
    Ok(axum::Json(settings_body(&shop_id, &stored)))
}
