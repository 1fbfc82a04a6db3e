//! A shop's decisions as people browse them: newest first, a page at a time, filtered
//! by outcome, kind, time, claim and whether a shadow version decided otherwise.

use sqlx::Row;

use super::{DecisionCursor, Ledger, LedgerError};

/// What a listing keeps; `None` and `false` keep everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecisionFilter<'a> {
    pub outcome: Option<&'a str>,
    pub kind: Option<&'a str>,
    /// Decided at or after, in milliseconds.
    pub from_ms: Option<i64>,
    /// Decided before, in milliseconds.
    pub to_ms: Option<i64>,
    pub claim_id: Option<&'a str>,
    /// Only decisions beside which a shadow version decided another outcome.
    pub changed_by_shadow: bool,
}

/// One decision in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDecision {
    pub decision_id: String,
    pub claim_id: String,
    pub revision: i64,
    pub decided_at_ms: i64,
    pub kind: String,
    pub outcome: String,
    pub risk: String,
    pub module_digest: String,
    pub settings_version: i64,
    pub failure: Option<String>,
    pub response_json: String,
    pub changed_by_shadow: bool,
}

impl Ledger {
    /// Up to `limit` of the shop's decisions kept by `filter`, newest first, made before
    /// `before` (the last of the previous page) when given: a walk down
    /// `decisions_by_shop` (or `decisions_by_claim` for one claim).
    pub async fn list_decisions(
        &self,
        shop_id: &str,
        filter: DecisionFilter<'_>,
        before: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<ListedDecision>, LedgerError> {
        let (before_ms, before_id) = match before {
            Some(cursor) => (cursor.decided_at_ms, cursor.decision_id.as_str()),
            None => (i64::MAX, ""),
        };
        let rows = sqlx::query(
            "SELECT d.decision_id, d.claim_id, d.revision, d.decided_at_ms, d.kind, d.outcome,
                 d.risk, d.module_digest, d.settings_version, d.failure, d.response_json,
                 CAST(CASE WHEN EXISTS (
                     SELECT 1 FROM shadow_decisions s
                     WHERE s.decision_id = d.decision_id AND s.outcome <> d.outcome
                 ) THEN 1 ELSE 0 END AS BIGINT) AS changed_by_shadow
             FROM decisions d
             WHERE d.shop_id = $1
               AND (d.decided_at_ms < $2 OR (d.decided_at_ms = $2 AND d.decision_id < $3))
               AND (CAST($4 AS TEXT) IS NULL OR d.outcome = $4)
               AND (CAST($5 AS TEXT) IS NULL OR d.kind = $5)
               AND d.decided_at_ms >= $6 AND d.decided_at_ms < $7
               AND (CAST($8 AS TEXT) IS NULL OR d.claim_id = $8)
               AND ($9 = 0 OR EXISTS (
                   SELECT 1 FROM shadow_decisions s
                   WHERE s.decision_id = d.decision_id AND s.outcome <> d.outcome))
             ORDER BY d.decided_at_ms DESC, d.decision_id DESC
             LIMIT $10",
        )
        .bind(shop_id)
        .bind(before_ms)
        .bind(before_id)
        .bind(filter.outcome)
        .bind(filter.kind)
        .bind(filter.from_ms.unwrap_or(i64::MIN))
        .bind(filter.to_ms.unwrap_or(i64::MAX))
        .bind(filter.claim_id)
        .bind(i64::from(filter.changed_by_shadow))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ListedDecision {
                    decision_id: row.try_get("decision_id")?,
                    claim_id: row.try_get("claim_id")?,
                    revision: row.try_get("revision")?,
                    decided_at_ms: row.try_get("decided_at_ms")?,
                    kind: row.try_get("kind")?,
                    outcome: row.try_get("outcome")?,
                    risk: row.try_get("risk")?,
                    module_digest: row.try_get("module_digest")?,
                    settings_version: row.try_get("settings_version")?,
                    failure: row.try_get("failure")?,
                    response_json: row.try_get("response_json")?,
                    changed_by_shadow: row.try_get::<i64, _>("changed_by_shadow")? != 0,
                })
            })
            .collect()
    }
}
