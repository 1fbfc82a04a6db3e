//! Progressive rollouts judged as decisions arrive: after a candidate decision is
//! recorded, its step's figures are judged against the active version's, and the
//! rollout moves to its next step, promotes or rolls back, with an audit entry holding
//! the figures that decided. No timer: the decision that completes a step moves it.

use std::collections::BTreeMap;

use crate::clock::now_ms;
use crate::ledger::{RolloutMove, RolloutRecord};
use crate::progressive::{Figures, ProgressivePlan, Side, Verdict, judge};

use super::pipeline::Progress;
use super::{Service, ServiceError};

/// Who the audit trail names for the moves a rollout makes by itself.
pub const ROLLOUT_ACTOR: &str = "arbiter";

/// A rollout's figures per step and side, and both sides' totals.
#[derive(Debug, Clone, Default)]
pub struct RolloutFigures {
    pub by_step: BTreeMap<(u64, Side), Figures>,
}

impl RolloutFigures {
    /// One side's figures in one step.
    pub fn step(&self, step: u64, side: Side) -> Figures {
        self.by_step.get(&(step, side)).cloned().unwrap_or_default()
    }

    /// One side's figures over the whole rollout.
    pub fn total(&self, side: Side) -> Figures {
        let mut total = Figures::default();
        for ((_, of), figures) in &self.by_step {
            if *of == side {
                total.add(figures);
            }
        }
        total
    }

    /// What the candidate's step `step` is compared with: the active version's figures
    /// in the same step when it has as many decisions as the step needs, else its
    /// figures over the whole rollout (a late step, 100% say, leaves it few or none).
    pub fn baseline(&self, plan: &ProgressivePlan, step: u64) -> (Figures, &'static str) {
        let same_step = self.step(step, Side::Active);
        if same_step.decisions >= plan.step_min_decisions {
            (same_step, "step")
        } else {
            (self.total(Side::Active), "rollout")
        }
    }
}

impl Service {
    /// A rollout by id, with its figures.
    pub async fn rollout(
        &self,
        rollout_id: &str,
    ) -> Result<Option<(RolloutRecord, RolloutFigures)>, ServiceError> {
        let Some(record) = self.ledger.rollout(rollout_id).await? else {
            return Ok(None);
        };
        let figures = self.rollout_figures(rollout_id).await?;
        Ok(Some((record, figures)))
    }

    /// The shop's rollouts, newest first.
    pub async fn rollouts(&self, shop_id: &str) -> Result<Vec<RolloutRecord>, ServiceError> {
        Ok(self.ledger.rollouts(shop_id).await?)
    }

    /// The newest of the shop's rollouts that has ended, if any.
    pub async fn last_ended_rollout(
        &self,
        shop_id: &str,
    ) -> Result<Option<RolloutRecord>, ServiceError> {
        Ok(self.ledger.last_ended_rollout(shop_id).await?)
    }

    /// A rollout's figures per step and side.
    pub async fn rollout_figures(&self, rollout_id: &str) -> Result<RolloutFigures, ServiceError> {
        Ok(RolloutFigures {
            by_step: self.ledger.rollout_figures(rollout_id).await?,
        })
    }

    /// Judges the step a candidate decision was just counted in and moves the rollout
    /// as its figures call for. Never fails the decision (already recorded): a failure
    /// is logged, and the next candidate decision judges again.
    pub(super) async fn judge_rollout(&self, progress: &Progress) {
        if let Err(error) = self.try_judge_rollout(progress).await {
            tracing::warn!(%error, rollout_id = %progress.rollout_id, "could not judge the rollout's step");
        }
    }

    async fn try_judge_rollout(&self, progress: &Progress) -> Result<(), ServiceError> {
        let plan = &progress.plan;
        let step = u64::try_from(progress.step).unwrap_or(u64::MAX);
        let figures = self.rollout_figures(&progress.rollout_id).await?;
        let candidate = figures.step(step, Side::Candidate);
        let (baseline, compared_with) = figures.baseline(plan, step);
        let verdict = judge(plan, progress.step, &candidate, &baseline);
        let mut detail = serde_json::json!({
            "rollout_id": progress.rollout_id,
            "version": progress.candidate_version,
            "step": progress.step,
            "percent": plan.steps.get(progress.step),
            "figures": {"candidate": candidate.to_json(), "active": baseline.to_json()},
            "active_figures_over": compared_with,
        });
        let (action, next) = match &verdict {
            Verdict::Wait => return Ok(()),
            Verdict::Advance { to } => {
                detail["to_step"] = serde_json::json!(to);
                detail["to_percent"] = serde_json::json!(plan.steps.get(*to));
                ("policy.rollout.step", Some(*to))
            }
            Verdict::Promote => ("policy.rollout.promote", None),
            Verdict::RollBack(breaches) => {
                detail["guard"] = serde_json::json!(breaches.first().map(|breach| breach.guard));
                detail["breaches"] = serde_json::json!(breaches);
                ("policy.rollout.rollback", None)
            }
        };
        // The rollout's record keeps the same account of how it ended as the audit.
        let to = match (next, &verdict) {
            (Some(to), _) => RolloutMove::Step {
                to: u64::try_from(to).unwrap_or(u64::MAX),
                basis_points: plan.basis_points(to),
            },
            (None, Verdict::Promote) => RolloutMove::Promote { ending: &detail },
            (None, _) => RolloutMove::RollBack { ending: &detail },
        };
        let moved = self
            .ledger
            .move_rollout(&progress.shop_id, &progress.rollout_id, step, to, now_ms())
            .await?;
        if moved {
            tracing::info!(shop_id = %progress.shop_id, rollout_id = %progress.rollout_id, action, "rollout moved");
            self.audit(ROLLOUT_ACTOR, action, &progress.shop_id, detail)
                .await;
        }
        Ok(())
    }
}
