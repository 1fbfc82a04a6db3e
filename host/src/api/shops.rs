//! `GET`/`PUT /v1/shops/{shop_id}/settings`.

use axum::extract::State;
use serde_json::{Value, json};

use super::auth::may_manage_shop;
use super::extract::{JsonValue, ShopId};
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
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let settings = state.service.settings(&shop_id).await?;
    Ok(axum::Json(settings_body(&shop_id, &settings)))
}

pub(super) async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonValue(settings): JsonValue,
) -> Result<axum::Json<Value>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let stored = state
        .service
        .put_settings(&shop_id, &settings, &principal.actor())
        .await?;
    Ok(axum::Json(settings_body(&shop_id, &stored)))
}
