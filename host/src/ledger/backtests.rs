//! Backtests as the ledger keeps them: what was asked, how far it got, and its report
//! (see `service::backtest`). A backtest that was running when its server stopped is
//! marked failed when the next one opens the ledger (it does not resume).

use sqlx::Row;

macro_rules! backtest_columns {
    () => {
        "backtest_id, shop_id, module_digest, settings_json, from_ms, to_ms, status, done,
         total, report_json, error, created_by, created_at_ms, finished_at_ms"
    };
}

use super::shop_decisions::DecisionScope;
use super::{Ledger, LedgerError, to_i64, to_u64};

/// The `shop_id` of a platform backtest: the platform's default policy over every shop
/// it decides for (`*` is never a shop's id).
pub const PLATFORM_BACKTEST: &str = "*";

/// A backtest's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacktestRecord {
    pub backtest_id: String,
    /// The shop backtested, or [`PLATFORM_BACKTEST`].
    pub shop_id: String,
    /// The candidate module; none: each decision's recorded module.
    pub module_digest: Option<String>,
    /// The candidate settings; none: each decision's recorded settings.
    pub settings_json: Option<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub status: BacktestStatus,
    pub done: u64,
    pub total: u64,
    pub report_json: Option<String>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

impl BacktestRecord {
    /// The decisions the backtest re-decides.
    pub fn scope(&self) -> DecisionScope<'_> {
        DecisionScope::of_backtest(&self.shop_id)
    }
}

impl<'a> DecisionScope<'a> {
    /// The decisions a backtest of `shop_id` (or of [`PLATFORM_BACKTEST`]) re-decides.
    pub fn of_backtest(shop_id: &'a str) -> Self {
        if shop_id == PLATFORM_BACKTEST {
            Self::PlatformDefault
        } else {
            Self::Shop(shop_id)
        }
    }
}

/// Where a backtest stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BacktestStatus {
    Running,
    Done,
    Failed,
}

/// What a backtest that was running when its server stopped is marked failed with.
pub const INTERRUPTED: &str = "the server stopped while the backtest ran; start it again";

impl Ledger {
    pub async fn insert_backtest(&self, record: &BacktestRecord) -> Result<(), LedgerError> {
        self.write_statement(
            sqlx::query(
                "INSERT INTO backtests (backtest_id, shop_id, module_digest, settings_json,
                     from_ms, to_ms, status, done, total, report_json, error, created_by,
                     created_at_ms, finished_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&record.backtest_id)
            .bind(&record.shop_id)
            .bind(&record.module_digest)
            .bind(&record.settings_json)
            .bind(record.from_ms)
            .bind(record.to_ms)
            .bind(super::label(&record.status))
            .bind(to_i64(record.done))
            .bind(to_i64(record.total))
            .bind(&record.report_json)
            .bind(&record.error)
            .bind(&record.created_by)
            .bind(record.created_at_ms)
            .bind(record.finished_at_ms),
        )
        .await
        .map(drop)
    }

    /// Records how many of its decisions a running backtest has re-decided.
    pub async fn backtest_progress(&self, backtest_id: &str, done: u64) -> Result<(), LedgerError> {
        self.write_statement(
            sqlx::query(
                "UPDATE backtests SET done = $2 WHERE backtest_id = $1 AND status = 'running'",
            )
            .bind(backtest_id)
            .bind(to_i64(done)),
        )
        .await
        .map(drop)
    }

    /// Ends a running backtest: done with its report, or failed with the reason.
    pub async fn finish_backtest(
        &self,
        backtest_id: &str,
        outcome: Result<(u64, &str), &str>,
        at_ms: i64,
    ) -> Result<(), LedgerError> {
        let (status, done, report, error) = match outcome {
            Ok((done, report)) => (BacktestStatus::Done, Some(to_i64(done)), Some(report), None),
            Err(error) => (BacktestStatus::Failed, None, None, Some(error)),
        };
        self.write_statement(
            sqlx::query(
                "UPDATE backtests SET status = $2, done = COALESCE($3, done), report_json = $4,
                     error = $5, finished_at_ms = $6
                 WHERE backtest_id = $1 AND status = 'running'",
            )
            .bind(backtest_id)
            .bind(super::label(&status))
            .bind(done)
            .bind(report)
            .bind(error)
            .bind(at_ms),
        )
        .await
        .map(drop)
    }

    /// Marks every backtest still running as failed ([`INTERRUPTED`]): at start, when
    /// none can be running, since none runs outside a server.
    ///
    /// On a store several replicas share, a replica that starts while another runs a
    /// backtest would mark that one failed too; backtests are then run by one replica.
    pub async fn fail_interrupted_backtests(&self, at_ms: i64) -> Result<u64, LedgerError> {
        self.write_statement(
            sqlx::query(
                "UPDATE backtests SET status = 'failed', error = $1, finished_at_ms = $2
                 WHERE status = 'running'",
            )
            .bind(INTERRUPTED)
            .bind(at_ms),
        )
        .await
    }

    pub async fn backtest(&self, backtest_id: &str) -> Result<Option<BacktestRecord>, LedgerError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            backtest_columns!(),
            " FROM backtests WHERE backtest_id = $1"
        ))
        .bind(backtest_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(backtest_record).transpose()
    }

    /// A shop's backtests, newest first (at most `limit`).
    pub async fn shop_backtests(
        &self,
        shop_id: &str,
        limit: u32,
    ) -> Result<Vec<BacktestRecord>, LedgerError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            backtest_columns!(),
            " FROM backtests WHERE shop_id = $1 ORDER BY created_at_ms DESC, backtest_id DESC LIMIT $2"
        ))
        .bind(shop_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(backtest_record).collect()
    }

    /// How many decisions `shop_id` made in `[from_ms, to_ms)`.
    pub async fn count_shop_decisions(
        &self,
        shop_id: &str,
        (from_ms, to_ms): (i64, i64),
    ) -> Result<u64, LedgerError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS decisions FROM decisions
             WHERE shop_id = $1 AND decided_at_ms >= $2 AND decided_at_ms < $3",
        )
        .bind(shop_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(to_u64(row.try_get("decisions")?))
    }
}

fn backtest_record(row: &sqlx::any::AnyRow) -> Result<BacktestRecord, LedgerError> {
    Ok(BacktestRecord {
        backtest_id: row.try_get("backtest_id")?,
        shop_id: row.try_get("shop_id")?,
        module_digest: row.try_get("module_digest")?,
        settings_json: row.try_get("settings_json")?,
        from_ms: row.try_get("from_ms")?,
        to_ms: row.try_get("to_ms")?,
        status: super::parse_label(&row.try_get::<String, _>("status")?)?,
        done: to_u64(row.try_get("done")?),
        total: to_u64(row.try_get("total")?),
        report_json: row.try_get("report_json")?,
        error: row.try_get("error")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at_ms")?,
        finished_at_ms: row.try_get("finished_at_ms")?,
    })
}
