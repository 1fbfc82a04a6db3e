//! A shop's recorded decisions in the order they were made, a page at a time: what a
//! replay or a backtest walks (the served decisions only; shadows are kept apart).

use super::records::{stored_decision, stored_decision_columns};
use super::{Ledger, LedgerError, StoredDecision};

/// Where the next page starts: after the decision made at `decided_at_ms` with
/// `decision_id` (ties at one millisecond are ordered by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionCursor {
    pub decided_at_ms: i64,
    pub decision_id: String,
}

impl From<&StoredDecision> for DecisionCursor {
    fn from(decision: &StoredDecision) -> Self {
        Self {
            decided_at_ms: decision.decided_at_ms,
            decision_id: decision.decision_id.clone(),
        }
    }
}

impl Ledger {
    /// Up to `limit` of `shop_id`'s decisions made in `[from_ms, to_ms)`, after `after`
    /// if given, oldest first: a seek in `decisions_by_shop` (shop, decided_at_ms).
    pub async fn shop_decisions(
        &self,
        shop_id: &str,
        (from_ms, to_ms): (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, LedgerError> {
        let (after_ms, after_id) = match after {
            Some(cursor) => (cursor.decided_at_ms, cursor.decision_id.as_str()),
            None => (i64::MIN, ""),
        };
        let rows = sqlx::query(concat!(
            "SELECT ",
            stored_decision_columns!(),
            " FROM decisions
              WHERE shop_id = $1 AND decided_at_ms >= $2 AND decided_at_ms < $3
                AND (decided_at_ms > $4 OR (decided_at_ms = $4 AND decision_id > $5))
              ORDER BY decided_at_ms, decision_id
              LIMIT $6"
        ))
        .bind(shop_id)
        .bind(from_ms)
        .bind(to_ms)
        .bind(after_ms)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_decision).collect()
    }
}
