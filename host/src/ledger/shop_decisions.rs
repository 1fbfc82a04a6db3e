//! A shop's recorded decisions in the order they were made, a page at a time, or every
//! shop's made by the platform's default module: what a replay or a backtest walks
//! (the served decisions only; shadows are kept apart).

use super::records::{stored_decision, stored_decision_columns};
use super::{Ledger, LedgerError, StoredDecision};

/// Where the next page starts: after the decision made at `decided_at_ms` with
/// `decision_id` (ties at one millisecond are ordered by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionCursor {
    pub decided_at_ms: i64,
    pub decision_id: String,
}

impl DecisionCursor {
    /// The time and id a page starts after: before every decision when none.
    fn bounds(after: Option<&Self>) -> (i64, &str) {
        match after {
            Some(cursor) => (cursor.decided_at_ms, cursor.decision_id.as_str()),
            None => (i64::MIN, ""),
        }
    }
}

impl From<&StoredDecision> for DecisionCursor {
    fn from(decision: &StoredDecision) -> Self {
        Self {
            decided_at_ms: decision.decided_at_ms,
            decision_id: decision.decision_id.clone(),
        }
    }
}

/// Whose decisions a walk takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionScope<'a> {
    /// One shop's, whatever decided them.
    Shop(&'a str),
    /// Every shop's decided by the platform's default module: shops on version 0 (the
    /// platform's settings too) or on a version of their own naming no module.
    PlatformDefault,
}

/// The condition [`DecisionScope::PlatformDefault`] puts on `decisions d`.
macro_rules! by_platform_default {
    () => {
        "(d.settings_version = 0 OR EXISTS (
             SELECT 1 FROM policy_versions v
             WHERE v.shop_id = d.shop_id AND v.version = d.settings_version
               AND v.module_digest IS NULL))"
    };
}

impl Ledger {
    /// Up to `limit` decisions of `scope` made in `[from_ms, to_ms)`, after `after` if
    /// given, oldest first.
    pub async fn scope_decisions(
        &self,
        scope: DecisionScope<'_>,
        range: (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, LedgerError> {
        match scope {
            DecisionScope::Shop(shop_id) => self.shop_decisions(shop_id, range, after, limit).await,
            DecisionScope::PlatformDefault => {
                self.platform_default_decisions(range, after, limit).await
            }
        }
    }

    /// How many decisions of `scope` were made in `[from_ms, to_ms)`.
    pub async fn count_scope_decisions(
        &self,
        scope: DecisionScope<'_>,
        (from_ms, to_ms): (i64, i64),
    ) -> Result<u64, LedgerError> {
        match scope {
            DecisionScope::Shop(shop_id) => {
                self.count_shop_decisions(shop_id, (from_ms, to_ms)).await
            }
            DecisionScope::PlatformDefault => {
                let row = sqlx::query(concat!(
                    "SELECT COUNT(*) AS decisions FROM decisions d
                     WHERE d.decided_at_ms >= $1 AND d.decided_at_ms < $2 AND ",
                    by_platform_default!()
                ))
                .bind(from_ms)
                .bind(to_ms)
                .fetch_one(self.pool())
                .await?;
                Ok(super::to_u64(sqlx::Row::try_get(&row, "decisions")?))
            }
        }
    }

    /// Up to `limit` decisions of every shop made by the platform's default module in
    /// `[from_ms, to_ms)`, after `after`: a seek in `decisions_by_time`.
    async fn platform_default_decisions(
        &self,
        (from_ms, to_ms): (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, LedgerError> {
        let (after_ms, after_id) = DecisionCursor::bounds(after);
        let rows = sqlx::query(concat!(
            "SELECT ",
            stored_decision_columns!(),
            " FROM decisions d
              WHERE d.decided_at_ms >= $1 AND d.decided_at_ms < $2
                AND (d.decided_at_ms > $3 OR (d.decided_at_ms = $3 AND d.decision_id > $4))
                AND ",
            by_platform_default!(),
            " ORDER BY d.decided_at_ms, d.decision_id
              LIMIT $5"
        ))
        .bind(from_ms)
        .bind(to_ms)
        .bind(after_ms)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_decision).collect()
    }

    /// Up to `limit` of `shop_id`'s decisions made in `[from_ms, to_ms)`, after `after`
    /// if given, oldest first: a seek in `decisions_by_shop` (shop, decided_at_ms).
    pub async fn shop_decisions(
        &self,
        shop_id: &str,
        (from_ms, to_ms): (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, LedgerError> {
        let (after_ms, after_id) = DecisionCursor::bounds(after);
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

    /// Up to `limit` decisions of every shop made in `[from_ms, to_ms)`, after `after`
    /// if given, oldest first: a seek in `decisions_by_time` (the decision log export).
    pub async fn every_decision(
        &self,
        (from_ms, to_ms): (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, LedgerError> {
        let (after_ms, after_id) = DecisionCursor::bounds(after);
        let rows = sqlx::query(concat!(
            "SELECT ",
            stored_decision_columns!(),
            " FROM decisions
              WHERE decided_at_ms >= $1 AND decided_at_ms < $2
                AND (decided_at_ms > $3 OR (decided_at_ms = $3 AND decision_id > $4))
              ORDER BY decided_at_ms, decision_id
              LIMIT $5"
        ))
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
