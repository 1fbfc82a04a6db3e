//! What shadow versions decided beside the answered decisions.

use sqlx::{Connection as _, Row};

use super::rollouts::{Counted, RolloutTag, count_decision};
use super::{Ledger, LedgerError, label, to_i64};
use crate::contract::{DecisionResponse, Outcome};
use crate::engine::ModuleDigest;

/// What a shadow version decided beside an answered decision.
#[derive(Debug, Clone, Copy)]
pub struct ShadowRecord<'a> {
    /// The answered decision it shadowed.
    pub decision_id: &'a str,
    pub module_digest: &'a ModuleDigest,
    pub settings_version: u64,
    pub response: &'a DecisionResponse,
    pub response_json: &'a str,
    /// The claim's currency.
    pub currency: &'a str,
    /// Where it is counted, when its rollout is tracked.
    pub rollout: Option<&'a RolloutTag>,
}

impl Ledger {
    /// Records what a shadow version decided beside the answered decision, counted in
    /// its rollout's figures when it has one.
    pub async fn record_shadow(&self, shadow: ShadowRecord<'_>) -> Result<(), LedgerError> {
        let ShadowRecord {
            decision_id,
            module_digest,
            settings_version,
            response,
            response_json,
            currency,
            rollout,
        } = shadow;
        let mut writer = self.write_connection().await?;
        let written = async {
            let mut tx = writer.connection().begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO shadow_decisions (decision_id, module_digest, settings_version,
                     outcome, failure, response_json)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(decision_id)
            .bind(module_digest.as_str())
            .bind(to_i64(settings_version))
            .bind(label(&response.outcome))
            .bind(response.failure.as_deref())
            .bind(response_json)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if let (1, Some(tag)) = (inserted, rollout) {
                let counted = Counted {
                    escalated: response.outcome == Outcome::Escalate,
                    failed: response.failure.is_some(),
                    money: response.money_given(),
                    currency,
                };
                count_decision(&mut *tx, tag, counted).await?;
            }
            tx.commit().await?;
            Ok::<_, LedgerError>(())
        }
        .await;
        writer.done(written)
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
