//! A shop's recorded decisions in the order they were made, a page at a time, or every
//! shop's made by the platform's default module: what a replay or a backtest walks
//! (the served decisions only; shadows are kept apart).
//!
//! A page is one statement. On the embedded SQLite it runs as one job on one of the
//! store's reader threads (rusqlite, its statement cached there; see
//! [`super::embedded`]), not through sqlx, whose SQLite rows are copied value by value
//! into its `Any` rows on another thread: a backtest reads a page of 500 decisions
//! (about 2 MB of JSON) while its threads re-decide the previous one, and through sqlx
//! that read took longer than the re-deciding. On PostgreSQL it runs on a pooled
//! connection.

use super::records::{stored_decision, stored_decision_columns};
use super::statements::{Param, Statements, StoreError};
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
        range: (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, LedgerError> {
        const SQL: &str = concat!(
            "SELECT ",
            stored_decision_columns!(),
            " FROM decisions d
              WHERE d.decided_at_ms >= $1 AND d.decided_at_ms < $2
                AND (d.decided_at_ms > $3 OR (d.decided_at_ms = $3 AND d.decision_id > $4))
                AND ",
            by_platform_default!(),
            " ORDER BY d.decided_at_ms, d.decision_id
              LIMIT $5"
        );
        self.decision_page(PageQuery::new(SQL, None, range, after, limit))
            .await
    }

    /// Up to `limit` of `shop_id`'s decisions made in `[from_ms, to_ms)`, after `after`
    /// if given, oldest first: a seek in `decisions_by_shop` (shop, decided_at_ms).
    pub async fn shop_decisions(
        &self,
        shop_id: &str,
        range: (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, LedgerError> {
        const SQL: &str = concat!(
            "SELECT ",
            stored_decision_columns!(),
            " FROM decisions
              WHERE shop_id = $1 AND decided_at_ms >= $2 AND decided_at_ms < $3
                AND (decided_at_ms > $4 OR (decided_at_ms = $4 AND decision_id > $5))
              ORDER BY decided_at_ms, decision_id
              LIMIT $6"
        );
        self.decision_page(PageQuery::new(SQL, Some(shop_id), range, after, limit))
            .await
    }

    /// Up to `limit` decisions of every shop made in `[from_ms, to_ms)`, after `after`
    /// if given, oldest first: a seek in `decisions_by_time` (the decision log export).
    pub async fn every_decision(
        &self,
        range: (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, LedgerError> {
        const SQL: &str = concat!(
            "SELECT ",
            stored_decision_columns!(),
            " FROM decisions
              WHERE decided_at_ms >= $1 AND decided_at_ms < $2
                AND (decided_at_ms > $3 OR (decided_at_ms = $3 AND decision_id > $4))
              ORDER BY decided_at_ms, decision_id
              LIMIT $5"
        );
        self.decision_page(PageQuery::new(SQL, None, range, after, limit))
            .await
    }

    /// Runs `query`: on a reader thread of the embedded store, else on a pooled
    /// connection.
    async fn decision_page(&self, query: PageQuery) -> Result<Vec<StoredDecision>, LedgerError> {
        if let Some(embedded) = &self.embedded {
            return embedded
                .read(move |store| futures_executor::block_on(query.run(store)))
                .await;
        }
        let mut connection = self.pool().acquire().await?;
        Ok(query.run(&mut *connection).await?)
    }
}

/// One page's statement and what it is bound to, owned, so that it can go to a reader
/// thread. The statement takes the shop, when it has one, as `$1`, then the range, the
/// cursor and the limit.
struct PageQuery {
    sql: &'static str,
    shop_id: Option<String>,
    range: (i64, i64),
    after_ms: i64,
    after_id: String,
    limit: i64,
}

impl PageQuery {
    fn new(
        sql: &'static str,
        shop_id: Option<&str>,
        range: (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Self {
        let (after_ms, after_id) = DecisionCursor::bounds(after);
        Self {
            sql,
            shop_id: shop_id.map(str::to_owned),
            range,
            after_ms,
            after_id: after_id.to_owned(),
            limit: i64::from(limit),
        }
    }

    async fn run<S: Statements>(&self, store: &mut S) -> Result<Vec<StoredDecision>, StoreError> {
        let rest = [
            Param::Int(self.range.0),
            Param::Int(self.range.1),
            Param::Int(self.after_ms),
            Param::Text(&self.after_id),
            Param::Int(self.limit),
        ];
        let params: Vec<Param<'_>> = match &self.shop_id {
            Some(shop_id) => std::iter::once(Param::Text(shop_id)).chain(rest).collect(),
            None => rest.to_vec(),
        };
        store
            .fetch(self.sql, &params, |row| stored_decision(row))
            .await
    }
}
