//! A backtest's report, accumulated one re-decided decision at a time: how many
//! changed, the outcomes and the money before and after, and the changed decisions.
//!
//! Money is what each claim finally gave: summed over the latest revision of each claim
//! (a claim decided twice counts once, at its last revision), per currency, and the
//! same split by the type of the action that moves it.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::contract::{Action, DecisionResponse, Outcome, Reason};

/// Changed decisions a report keeps in full; the count goes on past it.
pub const MAX_CHANGES_KEPT: usize = 10_000;

/// The figures of both sides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BeforeAfter<T> {
    pub before: T,
    pub after: T,
}

/// Minor units per currency.
pub type Amounts = BTreeMap<String, i64>;

/// Money before and after, their difference, and the same per action type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MoneyReport {
    #[schema(inline)]
    pub before: Amounts,
    #[schema(inline)]
    pub after: Amounts,
    #[schema(inline)]
    pub delta: Amounts,
    pub by_action: BTreeMap<String, MoneySplit>,
}

/// One action type's money before and after.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MoneySplit {
    #[schema(inline)]
    pub before: Amounts,
    #[schema(inline)]
    pub after: Amounts,
    #[schema(inline)]
    pub delta: Amounts,
}

/// One side of a changed decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ChangedSide)]
pub struct Side {
    pub outcome: Outcome,
    pub actions: Vec<Action>,
    pub reasons: Vec<Reason>,
}

/// A decision the candidate decides otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub claim_id: String,
    pub revision: u32,
    pub decision_id: String,
    pub before: Side,
    pub after: Side,
}

/// What a backtest found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BacktestReport {
    /// Decisions re-decided.
    pub decisions: u64,
    /// Of those, decided otherwise by the candidate (in anything, reasons included).
    pub changed: u64,
    /// Of the changed, those whose outcome, actions, payer or eta differ (the rest
    /// differ in their reasons' words only, a threshold they quote, say).
    pub changed_actions: u64,
    /// Distinct claims among them.
    pub claims: u64,
    /// Decisions whose module had failed when they were made: not re-decided (a
    /// timeout or a suspension is a fact of that moment, not of the inputs).
    pub not_replayed: u64,
    pub outcomes: BeforeAfter<BTreeMap<String, u64>>,
    pub money: MoneyReport,
    /// Decisions escalated to people, as a share of the decisions.
    pub escalation_rate: BeforeAfter<f64>,
    /// The changed decisions, oldest first (at most [`MAX_CHANGES_KEPT`]).
    pub changes: Vec<Change>,
}

/// Builds a [`BacktestReport`].
#[derive(Debug, Default)]
pub struct ReportBuilder {
    report: BacktestReport,
    escalated: BeforeAfter<u64>,
    /// Each claim's latest revision seen, and what that revision gave on each side.
    latest: HashMap<String, (u32, BeforeAfter<Vec<Money>>)>,
}

/// One money action: its type, currency and amount.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Money {
    kind: &'static str,
    currency: String,
    amount: i64,
}

impl ReportBuilder {
    /// Counts a decision whose module had failed (not re-decided).
    pub fn not_replayed(&mut self) {
        self.report.not_replayed += 1;
    }

    /// Adds one re-decided decision: `before` is what stands (the recorded answer, or it
    /// under today's guardrails), `after` the candidate's.
    pub fn add(&mut self, before: &DecisionResponse, after: &DecisionResponse) {
        let report = &mut self.report;
        report.decisions += 1;
        *report
            .outcomes
            .before
            .entry(crate::ledger::label(&before.outcome))
            .or_default() += 1;
        *report
            .outcomes
            .after
            .entry(crate::ledger::label(&after.outcome))
            .or_default() += 1;
        self.escalated.before += u64::from(before.outcome == Outcome::Escalate);
        self.escalated.after += u64::from(after.outcome == Outcome::Escalate);

        let acts_otherwise = before.outcome != after.outcome
            || before.actions != after.actions
            || before.payer != after.payer
            || before.eta_days != after.eta_days;
        report.changed_actions += u64::from(acts_otherwise);
        if acts_otherwise || before.reasons != after.reasons {
            report.changed += 1;
            if report.changes.len() < MAX_CHANGES_KEPT {
                report.changes.push(Change {
                    claim_id: before.claim_id.clone(),
                    revision: before.revision,
                    decision_id: before.decision_id.clone(),
                    before: side(before),
                    after: side(after),
                });
            }
        }

        let given = BeforeAfter {
            before: money(&before.actions),
            after: money(&after.actions),
        };
        match self.latest.get_mut(&before.claim_id) {
            Some((revision, _)) if *revision > before.revision => {}
            Some(latest) => *latest = (before.revision, given),
            None => {
                self.latest
                    .insert(before.claim_id.clone(), (before.revision, given));
            }
        }
    }

    pub fn finish(mut self) -> BacktestReport {
        let report = &mut self.report;
        report.claims = u64::try_from(self.latest.len()).unwrap_or(u64::MAX);
        let rate = |escalated: u64| {
            if report.decisions == 0 {
                0.0
            } else {
                escalated as f64 / report.decisions as f64
            }
        };
        report.escalation_rate = BeforeAfter {
            before: rate(self.escalated.before),
            after: rate(self.escalated.after),
        };
        let mut money = MoneyReport::default();
        for (_, given) in self.latest.values() {
            for (side, amounts) in [(&given.before, true), (&given.after, false)] {
                for item in side {
                    let split = money.by_action.entry(item.kind.to_owned()).or_default();
                    let (total, by_kind) = if amounts {
                        (&mut money.before, &mut split.before)
                    } else {
                        (&mut money.after, &mut split.after)
                    };
                    add(total, &item.currency, item.amount);
                    add(by_kind, &item.currency, item.amount);
                }
            }
        }
        money.delta = delta(&money.before, &money.after);
        for split in money.by_action.values_mut() {
            split.delta = delta(&split.before, &split.after);
        }
        report.money = money;
        self.report
    }
}

fn side(decision: &DecisionResponse) -> Side {
    Side {
        outcome: decision.outcome,
        actions: decision.actions.clone(),
        reasons: decision.reasons.clone(),
    }
}

/// The money actions of a decision.
fn money(actions: &[Action]) -> Vec<Money> {
    actions
        .iter()
        .filter_map(|action| {
            let (kind, amount, currency) = match action {
                Action::PromoCode { amount, currency } => ("promo_code", amount, currency),
                Action::Refund {
                    amount, currency, ..
                } => ("refund", amount, currency),
                Action::SorryCoupon { amount, currency } => ("sorry_coupon", amount, currency),
                Action::ReturnShippingRefund { amount, currency } => {
                    ("return_shipping_refund", amount, currency)
                }
                _ => return None,
            };
            Some(Money {
                kind,
                currency: currency.clone(),
                amount: *amount,
            })
        })
        .collect()
}

fn add(amounts: &mut Amounts, currency: &str, amount: i64) {
    let total = amounts.entry(currency.to_owned()).or_default();
    *total = total.saturating_add(amount);
}

/// `after - before` for every currency either side has.
fn delta(before: &Amounts, after: &Amounts) -> Amounts {
    let mut delta = Amounts::new();
    for currency in before.keys().chain(after.keys()) {
        let change = after
            .get(currency)
            .copied()
            .unwrap_or_default()
            .saturating_sub(before.get(currency).copied().unwrap_or_default());
        delta.insert(currency.clone(), change);
    }
    delta
}
