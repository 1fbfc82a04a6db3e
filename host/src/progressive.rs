//! Progressive rollout: a candidate version serves a growing share of a shop's claims in
//! steps. Once a step has enough candidate decisions, its figures are judged against the
//! active version's: every guard holds, the next step (the last one promotes); a guard
//! breaks, the candidate is rolled back. Pure: the plan, the figures, the judgement.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The steps a plan takes when none are given, in percent of claims.
pub const DEFAULT_STEPS: [f64; 4] = [5.0, 25.0, 50.0, 100.0];
/// Candidate decisions a step needs before it is judged, when not given.
pub const DEFAULT_STEP_MIN_DECISIONS: u64 = 100;
/// The most steps a plan may have.
pub const MAX_STEPS: usize = 20;
/// The most candidate decisions a step may ask for.
pub const MAX_STEP_MIN_DECISIONS: u64 = 1_000_000;

/// The largest rise of money per claim a guard may allow (a share: 1,000,000 is
/// 100,000,000%, no limit in practice).
pub const MAX_MONEY_INCREASE: f64 = 1_000_000.0;

/// What a step's candidate figures may not exceed, against the active version's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Guards {
    /// Escalations per decision may rise by at most this much (0.05: five points).
    #[schema(minimum = 0, maximum = 1)]
    pub max_escalation_rate_increase: f64,
    /// Money given per decided claim may rise by at most this share (0.10: 10%), per
    /// currency; at most 1,000,000.
    #[schema(minimum = 0, maximum = 1000000)]
    pub max_money_per_claim_increase: f64,
    /// The candidate's module may fail on at most this share of its decisions.
    #[schema(minimum = 0, maximum = 1)]
    pub max_failure_rate: f64,
    /// The marketplace may override at most this share of the candidate's decisions it
    /// gave feedback on.
    #[schema(minimum = 0, maximum = 1)]
    pub max_override_rate: f64,
}

impl Default for Guards {
    fn default() -> Self {
        Self {
            max_escalation_rate_increase: 0.05,
            max_money_per_claim_increase: 0.10,
            max_failure_rate: 0.01,
            max_override_rate: 0.10,
        }
    }
}

/// How a candidate is rolled out: the shares it serves, how many decisions each step
/// needs, and the guards each step is judged by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressivePlan {
    /// Percent of claims (by the stable canary hash) per step, increasing.
    pub steps: Vec<f64>,
    pub step_min_decisions: u64,
    pub guards: Guards,
}

/// A plan that cannot run: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PlanError {
    pub field: String,
    pub message: String,
}

fn plan_error(field: &str, message: impl Into<String>) -> PlanError {
    PlanError {
        field: field.to_owned(),
        message: message.into(),
    }
}

impl ProgressivePlan {
    /// A plan from what a request gave (defaults for what it left out), checked.
    pub fn new(
        steps: Option<Vec<f64>>,
        step_min_decisions: Option<u64>,
        guards: Option<Guards>,
    ) -> Result<Self, PlanError> {
        let plan = Self {
            steps: steps.unwrap_or_else(|| DEFAULT_STEPS.to_vec()),
            step_min_decisions: step_min_decisions.unwrap_or(DEFAULT_STEP_MIN_DECISIONS),
            guards: guards.unwrap_or_default(),
        };
        plan.check()?;
        Ok(plan)
    }

    fn check(&self) -> Result<(), PlanError> {
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(plan_error(
                "steps",
                format!("a plan needs 1 to {MAX_STEPS} steps"),
            ));
        }
        let mut previous = 0.0;
        for (index, &percent) in self.steps.iter().enumerate() {
            if !(percent > previous && percent <= 100.0) {
                return Err(plan_error(
                    &format!("steps[{index}]"),
                    "each step is a percent above the one before it, at most 100",
                ));
            }
            previous = percent;
        }
        if !(1..=MAX_STEP_MIN_DECISIONS).contains(&self.step_min_decisions) {
            return Err(plan_error(
                "step_min_decisions",
                format!("from 1 to {MAX_STEP_MIN_DECISIONS}"),
            ));
        }
        let guards = &self.guards;
        for (name, value, max) in [
            (
                "max_escalation_rate_increase",
                guards.max_escalation_rate_increase,
                1.0,
            ),
            (
                "max_money_per_claim_increase",
                guards.max_money_per_claim_increase,
                MAX_MONEY_INCREASE,
            ),
            ("max_failure_rate", guards.max_failure_rate, 1.0),
            ("max_override_rate", guards.max_override_rate, 1.0),
        ] {
            if !(value.is_finite() && (0.0..=max).contains(&value)) {
                return Err(plan_error(
                    &format!("guards.{name}"),
                    format!("from 0 to {max}"),
                ));
            }
        }
        Ok(())
    }

    /// The share of claims step `step` serves, in hundredths of a percent.
    pub fn basis_points(&self, step: usize) -> u32 {
        let percent = self.steps.get(step).copied().unwrap_or(0.0);
        // Checked to lie in 0..=100, so the product fits.
        (percent * 100.0).round().clamp(0.0, 10_000.0) as u32
    }

    /// Whether `step` is the plan's last.
    pub fn is_last(&self, step: usize) -> bool {
        step + 1 >= self.steps.len()
    }
}

/// Which version a counted decision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Active,
    Candidate,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Candidate => "candidate",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "candidate" => Some(Self::Candidate),
            _ => None,
        }
    }
}

/// What one side decided during a step (or a whole rollout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub decisions: u64,
    pub escalations: u64,
    /// Decisions on which the module failed.
    pub failures: u64,
    /// Decisions the marketplace gave feedback on, and how many of those it overrode.
    pub feedback: u64,
    pub overrides: u64,
    /// Per currency: the decisions in it and the money they gave (minor units).
    pub by_currency: BTreeMap<String, CurrencyFigures>,
}

/// A side's decisions in one currency and the money they gave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurrencyFigures {
    pub decisions: u64,
    pub money: i64,
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Figures {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Self) {
        self.decisions += other.decisions;
        self.escalations += other.escalations;
        self.failures += other.failures;
        self.feedback += other.feedback;
        self.overrides += other.overrides;
        for (currency, figures) in &other.by_currency {
            let mine = self.by_currency.entry(currency.clone()).or_default();
            mine.decisions += figures.decisions;
            mine.money = mine.money.saturating_add(figures.money);
        }
    }

    pub fn escalation_rate(&self) -> Option<f64> {
        share(self.escalations, self.decisions)
    }

    pub fn failure_rate(&self) -> Option<f64> {
        share(self.failures, self.decisions)
    }

    /// Overridden decisions as a share of those the marketplace gave feedback on.
    pub fn override_rate(&self) -> Option<f64> {
        share(self.overrides, self.feedback)
    }

    /// Money given per decided claim, per currency (minor units).
    pub fn money_per_claim(&self) -> BTreeMap<String, f64> {
        self.by_currency
            .iter()
            .filter(|(_, figures)| figures.decisions > 0)
            .map(|(currency, figures)| {
                (
                    currency.clone(),
                    figures.money as f64 / figures.decisions as f64,
                )
            })
            .collect()
    }

    /// The figures as the API shows them.
    pub fn view(&self) -> FiguresView {
        FiguresView {
            decisions: self.decisions,
            escalations: self.escalations,
            escalation_rate: self.escalation_rate(),
            failures: self.failures,
            failure_rate: self.failure_rate(),
            feedback: self.feedback,
            overrides: self.overrides,
            override_rate: self.override_rate(),
            money: self
                .by_currency
                .iter()
                .map(|(currency, figures)| (currency.clone(), figures.money))
                .collect(),
            money_per_claim: self.money_per_claim(),
        }
    }

    /// [`Self::view`] as JSON (a rollout's ending keeps it).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.view()).unwrap_or_default()
    }
}

/// One side's figures as the API shows them: counts, rates (null before any decision)
/// and money per currency.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RolloutSideFigures)]
pub struct FiguresView {
    pub decisions: u64,
    pub escalations: u64,
    pub escalation_rate: Option<f64>,
    pub failures: u64,
    pub failure_rate: Option<f64>,
    pub feedback: u64,
    pub overrides: u64,
    pub override_rate: Option<f64>,
    /// Minor units given, per currency.
    pub money: BTreeMap<String, i64>,
    /// Minor units per decided claim, per currency.
    pub money_per_claim: BTreeMap<String, f64>,
}

/// A guard the candidate broke: which, its limit, what was seen, in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    pub guard: &'static str,
    pub limit: f64,
    /// What the guard measured (none where it is unbounded: money where the active
    /// version gave none).
    pub observed: Option<f64>,
    pub explanation: String,
}

/// What a step's figures call for.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Fewer candidate decisions than the step needs.
    Wait,
    /// Every guard holds: on to step `to` (or promote, after the last step).
    Advance {
        to: usize,
    },
    Promote,
    /// Guards broke: roll the candidate back.
    RollBack(Vec<Breach>),
}

/// Judges step `step` of `plan`: the candidate's figures in the step against the
/// active version's `baseline`. The comparison guards (escalations, money) need a
/// baseline with decisions; without one only the candidate's own rates are judged.
pub fn judge(
    plan: &ProgressivePlan,
    step: usize,
    candidate: &Figures,
    baseline: &Figures,
) -> Verdict {
    if candidate.decisions < plan.step_min_decisions {
        return Verdict::Wait;
    }
    let breaches = breaches(&plan.guards, candidate, baseline);
    if !breaches.is_empty() {
        Verdict::RollBack(breaches)
    } else if plan.is_last(step) {
        Verdict::Promote
    } else {
        Verdict::Advance { to: step + 1 }
    }
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// Every guard `candidate` breaks against `baseline`.
pub fn breaches(guards: &Guards, candidate: &Figures, baseline: &Figures) -> Vec<Breach> {
    let mut found = Vec::new();
    if let Some(rate) = candidate.failure_rate()
        && rate > guards.max_failure_rate
    {
        found.push(Breach {
            guard: "max_failure_rate",
            limit: guards.max_failure_rate,
            observed: Some(rate),
            explanation: format!(
                "the candidate's module failed on {} of its {} decisions ({}), above the {} allowed",
                candidate.failures,
                candidate.decisions,
                percent(rate),
                percent(guards.max_failure_rate)
            ),
        });
    }
    if let (Some(after), Some(before)) = (candidate.escalation_rate(), baseline.escalation_rate()) {
        let increase = after - before;
        if increase > guards.max_escalation_rate_increase {
            found.push(Breach {
                guard: "max_escalation_rate_increase",
                limit: guards.max_escalation_rate_increase,
                observed: Some(increase),
                explanation: format!(
                    "the candidate escalated {} of its decisions against {} for the active version, {} points more than the {} allowed",
                    percent(after),
                    percent(before),
                    format_args!("{:.1}", increase * 100.0),
                    percent(guards.max_escalation_rate_increase)
                ),
            });
        }
    }
    if baseline.decisions > 0 {
        let before = baseline.money_per_claim();
        for (currency, after) in candidate.money_per_claim() {
            let was = before.get(&currency).copied().unwrap_or(0.0);
            let observed = (was > 0.0).then(|| (after - was) / was);
            let broken = match observed {
                Some(increase) => increase > guards.max_money_per_claim_increase,
                None => after > 0.0,
            };
            if broken {
                found.push(Breach {
                    guard: "max_money_per_claim_increase",
                    limit: guards.max_money_per_claim_increase,
                    observed,
                    explanation: format!(
                        "the candidate gave {:.2} {currency} (minor units) per claim against {:.2} for the active version, more than the {} increase allowed",
                        after,
                        was,
                        percent(guards.max_money_per_claim_increase)
                    ),
                });
            }
        }
    }
    if let Some(rate) = candidate.override_rate()
        && rate > guards.max_override_rate
    {
        found.push(Breach {
            guard: "max_override_rate",
            limit: guards.max_override_rate,
            observed: Some(rate),
            explanation: format!(
                "the marketplace overrode {} of the {} candidate decisions it gave feedback on ({}), above the {} allowed",
                candidate.overrides,
                candidate.feedback,
                percent(rate),
                percent(guards.max_override_rate)
            ),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(decisions: u64, escalations: u64, failures: u64, money: i64) -> Figures {
        Figures {
            decisions,
            escalations,
            failures,
            by_currency: BTreeMap::from([("RUB".to_owned(), CurrencyFigures { decisions, money })]),
            ..Figures::default()
        }
    }

    fn plan(steps: &[f64]) -> ProgressivePlan {
        ProgressivePlan::new(Some(steps.to_vec()), Some(10), None).unwrap_or_else(|error| {
            panic!("{error}");
        })
    }

    #[test]
    fn defaults_fill_what_is_left_out() {
        let plan = ProgressivePlan::new(None, None, None).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(plan.steps, DEFAULT_STEPS.to_vec());
        assert_eq!(plan.step_min_decisions, 100);
        assert_eq!(plan.guards, Guards::default());
        assert_eq!(plan.basis_points(0), 500);
        assert_eq!(plan.basis_points(3), 10_000);
        assert!(plan.is_last(3) && !plan.is_last(2));
    }

    #[test]
    fn a_bad_plan_names_its_field() {
        let field = |steps: Option<Vec<f64>>, min: Option<u64>, guards: Option<Guards>| {
            ProgressivePlan::new(steps, min, guards)
                .err()
                .map(|error| error.field)
        };
        assert_eq!(field(Some(vec![]), None, None).as_deref(), Some("steps"));
        assert_eq!(
            field(Some(vec![10.0, 5.0]), None, None).as_deref(),
            Some("steps[1]")
        );
        assert_eq!(
            field(Some(vec![0.0]), None, None).as_deref(),
            Some("steps[0]")
        );
        assert_eq!(
            field(Some(vec![50.0, 120.0]), None, None).as_deref(),
            Some("steps[1]")
        );
        assert_eq!(
            field(Some(vec![f64::NAN]), None, None).as_deref(),
            Some("steps[0]")
        );
        assert_eq!(
            field(None, Some(0), None).as_deref(),
            Some("step_min_decisions")
        );
        let guards = Guards {
            max_failure_rate: 1.5,
            ..Guards::default()
        };
        assert_eq!(
            field(None, None, Some(guards)).as_deref(),
            Some("guards.max_failure_rate")
        );
    }

    #[test]
    fn a_step_waits_for_its_decisions_then_advances_and_the_last_promotes() {
        let plan = plan(&[10.0, 100.0]);
        let baseline = figures(100, 10, 0, 50_000);
        assert_eq!(
            judge(&plan, 0, &figures(9, 1, 0, 5_000), &baseline),
            Verdict::Wait
        );
        assert_eq!(
            judge(&plan, 0, &figures(10, 1, 0, 5_000), &baseline),
            Verdict::Advance { to: 1 }
        );
        assert_eq!(
            judge(&plan, 1, &figures(10, 1, 0, 5_000), &baseline),
            Verdict::Promote
        );
    }

    #[test]
    fn escalating_everything_breaks_the_escalation_guard() {
        let verdict = judge(
            &plan(&[5.0, 100.0]),
            0,
            &figures(10, 10, 0, 0),
            &figures(200, 10, 0, 100_000),
        );
        let Verdict::RollBack(breaches) = verdict else {
            panic!("expected a rollback, got {verdict:?}");
        };
        assert_eq!(breaches[0].guard, "max_escalation_rate_increase");
        assert_eq!(breaches[0].observed, Some(0.95));
        assert!(breaches[0].explanation.contains("100.0%"));
    }

    #[test]
    fn money_guards_compare_per_claim_and_per_currency() {
        let guards = Guards::default();
        // 10% more per claim is allowed; 10.1% is not.
        let baseline = figures(100, 0, 0, 100_000);
        assert!(breaches(&guards, &figures(10, 0, 0, 11_000), &baseline).is_empty());
        let broken = breaches(&guards, &figures(10, 0, 0, 11_010), &baseline);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].guard, "max_money_per_claim_increase");
        // Money where the active version gave none is an unbounded increase.
        let none_before = figures(100, 0, 0, 0);
        let broken = breaches(&guards, &figures(10, 0, 0, 1), &none_before);
        assert_eq!(broken[0].observed, None);
        // Without a baseline only the candidate's own rates are judged.
        assert!(breaches(&guards, &figures(10, 5, 0, 1_000_000), &Figures::default()).is_empty());
    }

    #[test]
    fn failures_and_overrides_are_judged_on_the_candidate_alone() {
        let guards = Guards::default();
        let mut candidate = figures(100, 0, 2, 0);
        let broken = breaches(&guards, &candidate, &Figures::default());
        assert_eq!(broken[0].guard, "max_failure_rate");
        candidate.failures = 1;
        candidate.feedback = 10;
        candidate.overrides = 2;
        let broken = breaches(&guards, &candidate, &Figures::default());
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].guard, "max_override_rate");
    }

    #[test]
    fn figures_add_up_and_show_their_rates() {
        let mut total = figures(10, 1, 0, 1_000);
        total.add(&figures(30, 3, 3, 3_000));
        assert_eq!(total.decisions, 40);
        assert_eq!(total.escalation_rate(), Some(0.1));
        assert_eq!(total.money_per_claim()["RUB"], 100.0);
        let json = total.to_json();
        assert_eq!(json["money"]["RUB"], 4_000);
        assert_eq!(json["override_rate"], serde_json::Value::Null);
    }
}
