//! Candidate rollouts tracked: each shadow, canary or progressive candidate's history
//! and how it ended (`rollouts`), the running figures of both sides per step
//! (`rollout_figures`, `rollout_money`, counted in each decision's own transaction),
//! and a progressive rollout's moves (next step, promotion, rollback), each taken only
//! by the first host to ask.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::statements::{Param, Statements, StoreError};
use super::{Ledger, LedgerError, to_i64, to_u64};
use crate::progressive::{CurrencyFigures, Figures, ProgressivePlan, Side};

/// Where a decision is counted: its rollout, the step it was made in, and the side that
/// made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutTag {
    pub rollout_id: String,
    pub step: u64,
    pub side: Side,
}

/// What one decision adds to its side's figures.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counted<'a> {
    pub(super) escalated: bool,
    pub(super) failed: bool,
    pub(super) money: i64,
    pub(super) currency: &'a str,
}

/// One tracked rollout, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutRecord {
    pub rollout_id: String,
    pub shop_id: String,
    pub candidate_version: u64,
    /// `shadow`, `canary` or `progressive`.
    pub mode: String,
    pub plan: Option<ProgressivePlan>,
    pub step: u64,
    pub step_started_at_ms: i64,
    /// `running`, `promoted`, `rolled_back` or `replaced`.
    pub status: String,
    /// Why it ended: who or which guard, with the figures that decided.
    pub ending: Option<serde_json::Value>,
    pub started_by: String,
    pub started_at_ms: i64,
    pub ended_at_ms: Option<i64>,
}

/// How a progressive rollout moves on.
#[derive(Debug, Clone)]
pub enum RolloutMove<'a> {
    /// To step `to`, serving `basis_points` of claims.
    Step { to: u64, basis_points: u32 },
    /// The candidate becomes active.
    Promote { ending: &'a serde_json::Value },
    /// The candidate is dropped; the active version serves every claim.
    RollBack { ending: &'a serde_json::Value },
}

/// The most rollouts one listing shows.
const ROLLOUTS_PAGE: i64 = 100;

macro_rules! rollout_columns {
    () => {
        "rollout_id, shop_id, candidate_version, mode, plan_json, step, step_started_at_ms,
         status, ending_json, started_by, started_at_ms, ended_at_ms"
    };
}

/// The `shop_rollouts` assignments that leave a shop without a candidate, for `concat!`
/// into a static statement.
macro_rules! no_candidate {
    () => {
        "candidate_version = NULL, candidate_mode = NULL, canary_basis_points = NULL,
         rollout_id = NULL, plan_json = NULL, step = NULL"
    };
}
pub(super) use no_candidate;

fn corrupt(what: &str, error: impl std::fmt::Display) -> LedgerError {
    LedgerError::Corrupt(format!("{what}: {error}"))
}

/// A progressive plan as stored (`plan_json`).
pub(super) fn plan_to_json(plan: &ProgressivePlan) -> Result<String, LedgerError> {
    serde_json::to_string(plan).map_err(|error| corrupt("a rollout's plan", error))
}

/// A progressive plan read back from `plan_json`.
pub(super) fn plan_from_json(text: &str) -> Result<ProgressivePlan, LedgerError> {
    serde_json::from_str(text).map_err(|error| corrupt("a rollout's plan", error))
}

fn rollout_from_row(row: &AnyRow) -> Result<RolloutRecord, LedgerError> {
    let plan: Option<String> = row.try_get("plan_json")?;
    let ending: Option<String> = row.try_get("ending_json")?;
    Ok(RolloutRecord {
        rollout_id: row.try_get("rollout_id")?,
        shop_id: row.try_get("shop_id")?,
        candidate_version: to_u64(row.try_get("candidate_version")?),
        mode: row.try_get("mode")?,
        plan: plan.as_deref().map(plan_from_json).transpose()?,
        step: to_u64(row.try_get("step")?),
        step_started_at_ms: row.try_get("step_started_at_ms")?,
        status: row.try_get("status")?,
        ending: ending
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|error| corrupt("how a rollout ended", error))?,
        started_by: row.try_get("started_by")?,
        started_at_ms: row.try_get("started_at_ms")?,
        ended_at_ms: row.try_get("ended_at_ms")?,
    })
}

/// Starts tracking a candidate rolled out in `mode` (a progressive one with its plan,
/// as stored); its new id.
pub(super) async fn start_rollout(
    tx: &mut sqlx::AnyConnection,
    shop_id: &str,
    candidate_version: u64,
    (mode, plan_json): (&str, Option<&str>),
    by: &str,
    at_ms: i64,
) -> Result<String, LedgerError> {
    let rollout_id = format!("r-{}", ulid::Ulid::new());
    sqlx::query(concat!(
        "INSERT INTO rollouts (",
        rollout_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, 0, $6, 'running', NULL, $7, $6, NULL)"
    ))
    .bind(&rollout_id)
    .bind(shop_id)
    .bind(to_i64(candidate_version))
    .bind(mode)
    .bind(plan_json)
    .bind(at_ms)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    Ok(rollout_id)
}

/// Ends the shop's running rollout, if any, as `status`, saying why.
pub(super) async fn end_running_rollout(
    tx: &mut sqlx::AnyConnection,
    shop_id: &str,
    status: &str,
    ending: &serde_json::Value,
    at_ms: i64,
) -> Result<(), LedgerError> {
    sqlx::query(
        "UPDATE rollouts SET status = $2, ending_json = $3, ended_at_ms = $4
         WHERE rollout_id = (SELECT rollout_id FROM shop_rollouts WHERE shop_id = $1)
           AND status = 'running'",
    )
    .bind(shop_id)
    .bind(status)
    .bind(ending.to_string())
    .bind(at_ms)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Adds one decision to its side's figures, in the transaction open on `store`.
pub(super) async fn count_decision<S: Statements>(
    store: &mut S,
    tag: &RolloutTag,
    counted: Counted<'_>,
) -> Result<(), StoreError> {
    let step = to_i64(tag.step);
    store
        .execute(
            "INSERT INTO rollout_figures (rollout_id, step, side, decisions, escalations,
                 failures, feedback, overrides)
             VALUES ($1, $2, $3, 1, $4, $5, 0, 0)
             ON CONFLICT (rollout_id, step, side) DO UPDATE SET
                 decisions = rollout_figures.decisions + 1,
                 escalations = rollout_figures.escalations + excluded.escalations,
                 failures = rollout_figures.failures + excluded.failures",
            &[
                Param::Text(&tag.rollout_id),
                Param::Int(step),
                Param::Text(tag.side.name()),
                Param::Int(i64::from(counted.escalated)),
                Param::Int(i64::from(counted.failed)),
            ],
        )
        .await?;
    store
        .execute(
            "INSERT INTO rollout_money (rollout_id, step, side, currency, decisions, money)
             VALUES ($1, $2, $3, $4, 1, $5)
             ON CONFLICT (rollout_id, step, side, currency) DO UPDATE SET
                 decisions = rollout_money.decisions + 1,
                 money = rollout_money.money + excluded.money",
            &[
                Param::Text(&tag.rollout_id),
                Param::Int(step),
                Param::Text(tag.side.name()),
                Param::Text(counted.currency),
                Param::Int(counted.money),
            ],
        )
        .await?;
    Ok(())
}

/// Counts new feedback on `decision_id` in the figures its decision was counted in.
pub(super) async fn count_feedback(
    tx: &mut sqlx::AnyConnection,
    decision_id: &str,
    overridden: bool,
) -> Result<(), LedgerError> {
    sqlx::query(
        "UPDATE rollout_figures SET feedback = feedback + 1, overrides = overrides + $2
         WHERE (rollout_id, step, side) =
             (SELECT rollout_id, rollout_step, rollout_side FROM decisions WHERE decision_id = $1)",
    )
    .bind(decision_id)
    .bind(i64::from(overridden))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Ledger {
    /// A rollout by id.
    pub async fn rollout(&self, rollout_id: &str) -> Result<Option<RolloutRecord>, LedgerError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            rollout_columns!(),
            " FROM rollouts WHERE rollout_id = $1"
        ))
        .bind(rollout_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(rollout_from_row).transpose()
    }

    /// The shop's rollouts, newest first.
    pub async fn rollouts(&self, shop_id: &str) -> Result<Vec<RolloutRecord>, LedgerError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            rollout_columns!(),
            " FROM rollouts WHERE shop_id = $1 ORDER BY started_at_ms DESC, rollout_id DESC LIMIT $2"
        ))
        .bind(shop_id)
        .bind(ROLLOUTS_PAGE)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(rollout_from_row).collect()
    }

    /// The newest of the shop's rollouts that has ended, if any.
    pub async fn last_ended_rollout(
        &self,
        shop_id: &str,
    ) -> Result<Option<RolloutRecord>, LedgerError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            rollout_columns!(),
            " FROM rollouts WHERE shop_id = $1 AND status <> 'running'
              ORDER BY started_at_ms DESC, rollout_id DESC LIMIT 1"
        ))
        .bind(shop_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(rollout_from_row).transpose()
    }

    /// A rollout's figures per step and side.
    pub async fn rollout_figures(
        &self,
        rollout_id: &str,
    ) -> Result<BTreeMap<(u64, Side), Figures>, LedgerError> {
        let mut figures: BTreeMap<(u64, Side), Figures> = BTreeMap::new();
        let side = |row: &AnyRow| -> Result<(u64, Side), LedgerError> {
            let name: String = row.try_get("side")?;
            let side = Side::parse(&name)
                .ok_or_else(|| corrupt("a rollout's side", format!("`{name}`")))?;
            Ok((to_u64(row.try_get("step")?), side))
        };
        let rows = sqlx::query(
            "SELECT step, side, decisions, escalations, failures, feedback, overrides
             FROM rollout_figures WHERE rollout_id = $1",
        )
        .bind(rollout_id)
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            let entry = figures.entry(side(row)?).or_default();
            entry.decisions = to_u64(row.try_get("decisions")?);
            entry.escalations = to_u64(row.try_get("escalations")?);
            entry.failures = to_u64(row.try_get("failures")?);
            entry.feedback = to_u64(row.try_get("feedback")?);
            entry.overrides = to_u64(row.try_get("overrides")?);
        }
        let rows = sqlx::query(
            "SELECT step, side, currency, decisions, money FROM rollout_money
             WHERE rollout_id = $1",
        )
        .bind(rollout_id)
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            figures.entry(side(row)?).or_default().by_currency.insert(
                row.try_get("currency")?,
                CurrencyFigures {
                    decisions: to_u64(row.try_get("decisions")?),
                    money: row.try_get("money")?,
                },
            );
        }
        Ok(figures)
    }

    /// Moves the shop's progressive rollout `rollout_id` on from step `from`, unless
    /// it has moved already (another decision or host got there first): `false` then.
    pub async fn move_rollout(
        &self,
        shop_id: &str,
        rollout_id: &str,
        from: u64,
        to: RolloutMove<'_>,
        at_ms: i64,
    ) -> Result<bool, LedgerError> {
        // The shop's rollout changes only if it is still at `from`: the first to ask wins.
        let (change, follow_up) = match &to {
            RolloutMove::Step { .. } => (
                "UPDATE shop_rollouts SET step = $4, canary_basis_points = $5, updated_at_ms = $6
                 WHERE shop_id = $1 AND rollout_id = $2 AND step = $3",
                "UPDATE rollouts SET step = $2, step_started_at_ms = $3 WHERE rollout_id = $1",
            ),
            RolloutMove::Promote { .. } => (
                concat!(
                    "UPDATE shop_rollouts SET active_version = candidate_version, ",
                    no_candidate!(),
                    ", updated_at_ms = $4
                     WHERE shop_id = $1 AND rollout_id = $2 AND step = $3"
                ),
                "UPDATE rollouts SET status = 'promoted', ending_json = $2, ended_at_ms = $3
                 WHERE rollout_id = $1",
            ),
            RolloutMove::RollBack { .. } => (
                concat!(
                    "UPDATE shop_rollouts SET ",
                    no_candidate!(),
                    ", updated_at_ms = $4
                     WHERE shop_id = $1 AND rollout_id = $2 AND step = $3"
                ),
                "UPDATE rollouts SET status = 'rolled_back', ending_json = $2, ended_at_ms = $3
                 WHERE rollout_id = $1",
            ),
        };
        let (step, ending) = match &to {
            RolloutMove::Step { to, basis_points } => (Some((to_i64(*to), *basis_points)), None),
            RolloutMove::Promote { ending } | RolloutMove::RollBack { ending } => {
                (None, Some(ending.to_string()))
            }
        };
        let mut writer = self.write_connection().await?;
        let moved = async {
            let mut tx = sqlx::Connection::begin(writer.connection()).await?;
            self.lock_config(&mut tx).await?;
            let change = sqlx::query(change)
                .bind(shop_id)
                .bind(rollout_id)
                .bind(to_i64(from));
            let change = match step {
                Some((to, basis_points)) => change.bind(to).bind(i64::from(basis_points)),
                None => change,
            };
            let changed = change.bind(at_ms).execute(&mut *tx).await?.rows_affected();
            if changed == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            let follow_up = sqlx::query(follow_up).bind(rollout_id);
            let follow_up = match (step, ending) {
                (Some((to, _)), _) => follow_up.bind(to),
                (None, ending) => follow_up.bind(ending),
            };
            follow_up.bind(at_ms).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, LedgerError>(true)
        }
        .await;
        let moved = writer.done(moved)?;
        if moved {
            self.config_changed().await?;
        }
        Ok(moved)
    }
}
