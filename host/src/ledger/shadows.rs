//! What shadow versions decided beside the answered decisions.

use sqlx::Row;

use super::{Ledger, LedgerError, to_i64};
use crate::engine::ModuleDigest;

impl Ledger {
    /// Records what a shadow version decided beside the answered decision.
    pub async fn record_shadow(
        &self,
        decision_id: &str,
        module_digest: &ModuleDigest,
        settings_version: u64,
        outcome: &str,
        failure: Option<&str>,
        response_json: &str,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO shadow_decisions (decision_id, module_digest, settings_version, outcome,
                 failure, response_json)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(decision_id)
        .bind(module_digest.as_str())
        .bind(to_i64(settings_version))
        .bind(outcome)
        .bind(failure)
        .bind(response_json);
        self.write_statement(statement).await?;
        Ok(())
    }

    /// The shadow decisions recorded beside `decision_id`, as response JSON.
    pub async fn shadow_decisions(&self, decision_id: &str) -> Result<Vec<String>, LedgerError> {
        let rows = sqlx::query(
            "SELECT response_json FROM shadow_decisions WHERE decision_id = $1 ORDER BY module_digest",
        )
        .bind(decision_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("response_json")?))
            .collect()
    }
}
