//! Builders for decisions, actions and reasons, so a policy reads like the rulebook.

use crate::{Action, Decision, Escalation, EscalationTarget, Outcome, Payer, Reason, Refund};

impl Decision {
    /// A decision with `outcome` and nothing else yet.
    pub fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            actions: Vec::new(),
            payer: None,
            eta_days: None,
            reasons: Vec::new(),
        }
    }

    /// Office staff decide: outcome `escalate` with an `escalate` action carrying `note`,
    /// and `note` as the reason under `rule`.
    pub fn escalate(rule: &str, note: impl Into<String>) -> Self {
        let note = note.into();
        Self::new(Outcome::Escalate)
            .with(Action::escalate_to_office_staff(note.clone()))
            .because(rule, note)
    }

    /// Adds an action.
    pub fn with(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }

    /// Sets who pays.
    pub fn paid_by(mut self, payer: Payer) -> Self {
        self.payer = Some(payer);
        self
    }

    /// Sets the days until the next step is due.
    pub fn eta_days(mut self, days: u32) -> Self {
        self.eta_days = Some(days);
        self
    }

    /// Adds a reason under `rule`.
    pub fn because(mut self, rule: &str, text: impl Into<String>) -> Self {
        self.reasons.push(Reason::new(rule, text));
        self
    }

    /// Whether any action moves money or goods of value.
    pub fn moves_money(&self) -> bool {
        self.actions.iter().any(Action::is_money)
    }

    /// The ids of the rules behind this decision, in order.
    pub fn rules(&self) -> Vec<&str> {
        self.reasons
            .iter()
            .map(|reason| reason.rule.as_str())
            .collect()
    }
}

impl Action {
    /// An `escalate` action to office staff.
    pub fn escalate_to_office_staff(note: impl Into<String>) -> Self {
        Action::Escalate(Escalation {
            to: EscalationTarget::OfficeStaff,
            note: note.into(),
        })
    }

    /// A refund of `amount` minor units of `currency`.
    pub fn refund(amount: i64, currency: &str, requires_return: bool) -> Self {
        Action::Refund(Refund {
            amount,
            currency: currency.to_owned(),
            requires_return,
        })
    }

    /// Whether the action gives the customer money or goods of value: promo codes,
    /// sorry-coupons, refunds, return shipping and replacements (the contract's rules:
    /// only outcome `compensate` carries one, and it names a payer).
    pub fn is_money(&self) -> bool {
        self.view().is_compensation()
    }

    /// The amount of a money action, in minor units, with its currency.
    pub fn amount(&self) -> Option<(i64, &str)> {
        self.view()
            .money()
            .map(|money| (money.amount, money.currency))
    }
}

impl Reason {
    /// A reason under `rule`.
    pub fn new(rule: &str, text: impl Into<String>) -> Self {
        Self {
            rule: rule.to_owned(),
            text: text.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Money;

    #[test]
    fn escalate_carries_the_note_as_action_and_reason() {
        let decision = Decision::escalate("R11", "no rule covers this claim");
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(
            decision.actions,
            vec![Action::escalate_to_office_staff(
                "no rule covers this claim"
            )]
        );
        assert_eq!(decision.rules(), vec!["R11"]);
        assert!(!decision.moves_money());
    }

    #[test]
    fn money_actions_are_recognised() {
        let decision = Decision::new(Outcome::Compensate)
            .with(Action::PromoCode(Money::new(100, "RUB")))
            .paid_by(Payer::Seller);
        assert!(decision.moves_money());
        assert_eq!(decision.actions[0].amount(), Some((100, "RUB")));
        assert_eq!(Action::refund(5, "RUB", true).amount(), Some((5, "RUB")));
        assert_eq!(Action::FollowUp.amount(), None);
        assert!(Action::Replacement.is_money());
        assert_eq!(Action::Replacement.amount(), None);
        assert!(!Action::FollowUp.is_money());
    }
}
