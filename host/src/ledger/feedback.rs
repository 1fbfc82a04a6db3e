//! The marketplace's feedback on decisions (`POST /v1/decisions/{id}/feedback`): one per
//! decision, and the override rate of each module and settings version of a shop.

use sqlx::{Connection as _, Row};

use super::rollouts::count_feedback;
use super::{Ledger, LedgerError, to_i64, to_u64};

/// Feedback on one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub decision_id: String,
    pub shop_id: String,
    pub module_digest: String,
    pub settings_version: u64,
    /// `accepted` or `overridden`.
    pub verdict: String,
    pub final_outcome: Option<String>,
    /// `{"RUB": minor}` as canonical JSON text (keys sorted).
    pub final_money_json: Option<String>,
    pub note: Option<String>,
    pub given_by: String,
    pub given_at_ms: i64,
}

impl Feedback {
    /// Whether `other` says the same (who gave it and when aside).
    pub fn says_the_same(&self, other: &Self) -> bool {
        (
            &self.verdict,
            &self.final_outcome,
            &self.final_money_json,
            &self.note,
        ) == (
            &other.verdict,
            &other.final_outcome,
            &other.final_money_json,
            &other.note,
        )
    }
}

/// The feedback on a shop's decisions made by one module and settings version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFeedback {
    pub module_digest: String,
    pub settings_version: u64,
    pub decisions: u64,
    pub feedback: u64,
    pub overridden: u64,
}

macro_rules! feedback_columns {
    () => {
        "decision_id, shop_id, module_digest, settings_version, verdict, final_outcome,
         final_money_json, note, given_by, given_at_ms"
    };
}

impl Ledger {
    /// Stores `feedback` unless its decision has some already; the feedback stored, and
    /// whether it is the one given now.
    pub async fn put_feedback(&self, feedback: &Feedback) -> Result<(Feedback, bool), LedgerError> {
        let mut writer = self.write_connection().await?;
        let written = async {
            let mut tx = writer.connection().begin().await?;
            let inserted = sqlx::query(concat!(
                "INSERT INTO decision_feedback (",
                feedback_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (decision_id) DO NOTHING"
            ))
            .bind(&feedback.decision_id)
            .bind(&feedback.shop_id)
            .bind(&feedback.module_digest)
            .bind(to_i64(feedback.settings_version))
            .bind(&feedback.verdict)
            .bind(&feedback.final_outcome)
            .bind(&feedback.final_money_json)
            .bind(&feedback.note)
            .bind(&feedback.given_by)
            .bind(feedback.given_at_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted > 0 {
                sqlx::query(
                    "UPDATE version_counts SET feedback = feedback + 1,
                         overridden = overridden + $4
                     WHERE shop_id = $1 AND module_digest = $2 AND settings_version = $3",
                )
                .bind(&feedback.shop_id)
                .bind(&feedback.module_digest)
                .bind(to_i64(feedback.settings_version))
                .bind(i64::from(feedback.verdict == "overridden"))
                .execute(&mut *tx)
                .await?;
                // Counted where its decision was: a rollout's override rate.
                count_feedback(
                    &mut tx,
                    &feedback.decision_id,
                    feedback.verdict == "overridden",
                )
                .await?;
            }
            tx.commit().await?;
            Ok::<_, LedgerError>(inserted)
        }
        .await;
        let inserted = writer.done(written)?;
        if inserted > 0 {
            return Ok((feedback.clone(), true));
        }
        let stored = self.feedback(&feedback.decision_id).await?.ok_or_else(|| {
            LedgerError::Corrupt(format!(
                "feedback on `{}` conflicts but none is stored",
                feedback.decision_id
            ))
        })?;
        Ok((stored, false))
    }

    pub async fn feedback(&self, decision_id: &str) -> Result<Option<Feedback>, LedgerError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            feedback_columns!(),
            " FROM decision_feedback WHERE decision_id = $1"
        ))
        .bind(decision_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(Feedback {
                decision_id: row.try_get("decision_id")?,
                shop_id: row.try_get("shop_id")?,
                module_digest: row.try_get("module_digest")?,
                settings_version: to_u64(row.try_get("settings_version")?),
                verdict: row.try_get("verdict")?,
                final_outcome: row.try_get("final_outcome")?,
                final_money_json: row.try_get("final_money_json")?,
                note: row.try_get("note")?,
                given_by: row.try_get("given_by")?,
                given_at_ms: row.try_get("given_at_ms")?,
            })
        })
        .transpose()
    }

    /// Per module and settings version of `shop_id`: its decisions, the feedback on
    /// them, and how much of it overrode the decision (kept in `version_counts` by each
    /// decision and feedback as it is written: one seek, whatever the shop's history).
    pub async fn feedback_by_version(
        &self,
        shop_id: &str,
    ) -> Result<Vec<VersionFeedback>, LedgerError> {
        let rows = sqlx::query(
            "SELECT module_digest, settings_version, decisions, feedback, overridden
             FROM version_counts WHERE shop_id = $1
             ORDER BY module_digest, settings_version",
        )
        .bind(shop_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(VersionFeedback {
                    module_digest: row.try_get("module_digest")?,
                    settings_version: to_u64(row.try_get("settings_version")?),
                    decisions: to_u64(row.try_get("decisions")?),
                    feedback: to_u64(row.try_get("feedback")?),
                    overridden: to_u64(row.try_get("overridden")?),
                })
            })
            .collect()
    }
}
