//! `GET`/`PUT /v1/shops/{shop_id}/settings`.

use axum::extract::State;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::auth::may_manage_shop;
use super::extract::{JsonValue, ShopId};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{Id, ShopIdText};
use crate::ledger::ShopSettings;

/// A shop's settings for its policy, and their version (0: never set).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ShopSettings)]
pub(super) struct SettingsBody {
    #[schema(value_type = Id)]
    shop_id: String,
    version: u64,
    /// As the shop's module's `settings-schema` describes them.
    #[schema(value_type = Object)]
    settings: Value,
}

impl SettingsBody {
    fn new(shop_id: String, settings: &ShopSettings) -> Self {
        Self {
            shop_id,
            version: settings.version,
            settings: serde_json::from_str::<Value>(&settings.settings_json).unwrap_or(json!({})),
        }
    }
}

/// A shop's settings.
#[utoipa::path(
    get,
    path = "/v1/shops/{shop_id}/settings",
    tag = "shops",
    operation_id = "get_settings",
    params(("shop_id" = ShopIdText, Path)),
    responses((status = 200, description = "The settings in force.", body = SettingsBody))
)]
pub(super) async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
) -> Result<axum::Json<SettingsBody>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let settings = state.service.settings(&shop_id).await?;
    Ok(axum::Json(SettingsBody::new(shop_id, &settings)))
}

/// Set a shop's settings.
///
/// Checked by the `validate-settings` of the module the shop runs (422
/// `settings_rejected`, `error.field` naming the key); the next decision uses them.
#[utoipa::path(
    put,
    path = "/v1/shops/{shop_id}/settings",
    tag = "shops",
    operation_id = "put_settings",
    params(("shop_id" = ShopIdText, Path)),
    request_body(content = Object, description = "The settings, as the shop's module's \
        `settings-schema` describes them (`GET /v1/modules/{digest}`)."),
    responses(
        (status = 200, description = "Stored; the new version.", body = SettingsBody),
        (status = 422, description = "`settings_rejected`: the module refused them; \
            `error.field` is the key at fault.", body = super::error::ErrorBody),
    )
)]
pub(super) async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    ShopId(shop_id): ShopId,
    JsonValue(settings): JsonValue,
) -> Result<axum::Json<SettingsBody>, ApiError> {
    may_manage_shop(&principal, &shop_id)?;
    let stored = state
        .service
        .put_settings(&shop_id, &settings, &principal.actor())
        .await?;
    Ok(axum::Json(SettingsBody::new(shop_id, &stored)))
}
