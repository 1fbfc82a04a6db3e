//! The platform's policies (the default compensation module and the fraud screen, with
//! their settings) and each shop's failure policy.

use sqlx::Row;

use super::{Ledger, LedgerError, stored_digest};
use crate::engine::ModuleDigest;

impl Ledger {
    /// A platform policy (`compensation` default or `fraud_screen`): module digest (none:
    /// the built-in) and settings.
    pub async fn platform_policy(
        &self,
        name: &str,
    ) -> Result<(Option<ModuleDigest>, String), LedgerError> {
        let row = sqlx::query("SELECT value_json FROM platform_settings WHERE name = $1")
            .bind(format!("policy:{name}"))
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok((None, "{}".to_owned()));
        };
        let value: serde_json::Value =
            serde_json::from_str(&row.try_get::<String, _>("value_json")?).map_err(|error| {
                LedgerError::Corrupt(format!("platform policy {name}: {error}"))
            })?;
        Ok((
            value["module"].as_str().map(stored_digest).transpose()?,
            value["settings"].to_string(),
        ))
    }

    /// Sets a platform policy.
    pub async fn put_platform_policy(
        &self,
        name: &str,
        module: Option<&ModuleDigest>,
        settings_json: &str,
        updated_by: &str,
        updated_at_ms: i64,
    ) -> Result<(), LedgerError> {
        let settings: serde_json::Value = serde_json::from_str(settings_json)
            .map_err(|error| LedgerError::Corrupt(format!("settings: {error}")))?;
        let value = serde_json::json!({"module": module, "settings": settings});
        let statement = sqlx::query(
            "INSERT INTO platform_settings (name, value_json, updated_by, updated_at_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET value_json = excluded.value_json,
                 updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(format!("policy:{name}"))
        .bind(value.to_string())
        .bind(updated_by)
        .bind(updated_at_ms);
        self.write_statement(statement).await?;
        self.config_changed().await
    }

    /// The shop's failure policy.
    pub async fn failure_policy(&self, shop_id: &str) -> Result<FailurePolicy, LedgerError> {
        let row = sqlx::query("SELECT policy FROM shop_failure_policies WHERE shop_id = $1")
            .bind(shop_id)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => super::parse_label(&row.try_get::<String, _>("policy")?),
            None => Ok(FailurePolicy::default()),
        }
    }

    /// Sets the shop's failure policy.
    pub async fn put_failure_policy(
        &self,
        shop_id: &str,
        policy: FailurePolicy,
        updated_by: &str,
        updated_at_ms: i64,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO shop_failure_policies (shop_id, policy, updated_by, updated_at_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (shop_id) DO UPDATE SET policy = excluded.policy,
                 updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(shop_id)
        .bind(super::label(&policy))
        .bind(updated_by)
        .bind(updated_at_ms);
        self.write_statement(statement).await?;
        self.config_changed().await
    }
}

/// What happens to a claim when the shop's module fails.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Office staff decide (the default).
    #[default]
    FailClosed,
    /// The platform's default policy decides instead.
    FallbackToPlatformDefault,
}
