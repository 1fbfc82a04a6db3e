//! The host's checks on a policy's answer, applied to the SDK's types: how a decision
//! reads to the shared contract rules, and the check the native test runtime runs.

use arbiter_contract_rules as rules;

pub use arbiter_contract_rules::{
    MAX_AMOUNT, MAX_ETA_DAYS, MAX_RULE_BYTES, OutputCaps, Violation, ViolationKind,
};

use crate::{Action, Assessment, Claim, ClaimKind, Decision, Money, Outcome, Reason, Signal};

/// Checks `decision` for `claim` exactly as the host's envelope does, with the host's
/// default caps: the error is the `invalid_decision` (or `output_too_large`) the host
/// would record instead of using the decision.
pub fn check_decision(decision: &Decision, claim: &Claim) -> Result<(), Violation> {
    rules::check_decision(&decision.view(), claim_view(claim), &OutputCaps::DEFAULT)
}

/// Checks a fraud screen's `assessment` for `claim` exactly as the host does.
pub fn check_assessment(assessment: &Assessment, claim: &Claim) -> Result<(), Violation> {
    let view = rules::AssessmentView {
        signals: assessment.signals.iter().map(signal_view).collect(),
        extra_actions: assessment.extra_actions.iter().map(Action::view).collect(),
        platform_decision: assessment.platform_decision.as_ref().map(Decision::view),
    };
    rules::check_assessment(&view, claim_view(claim), &OutputCaps::DEFAULT)
}

impl Decision {
    /// The decision as the contract rules read it.
    pub(crate) fn view(&self) -> rules::DecisionView<'_> {
        rules::DecisionView {
            outcome: outcome(self.outcome),
            actions: self.actions.iter().map(Action::view).collect(),
            payer_named: self.payer.is_some(),
            eta_days: self.eta_days,
            reasons: self.reasons.iter().map(reason_view).collect(),
        }
    }
}

impl Action {
    /// The action as the contract rules read it.
    pub(crate) fn view(&self) -> rules::ActionView<'_> {
        match self {
            Action::PromoCode(amount) => rules::ActionView::PromoCode(money(amount)),
            Action::SorryCoupon(amount) => rules::ActionView::SorryCoupon(money(amount)),
            Action::ReturnShippingRefund(amount) => {
                rules::ActionView::ReturnShippingRefund(money(amount))
            }
            Action::Refund(refund) => rules::ActionView::Refund {
                money: rules::MoneyView {
                    amount: refund.amount,
                    currency: &refund.currency,
                },
                requires_return: refund.requires_return,
            },
            Action::Replacement => rules::ActionView::Replacement,
            Action::RequestEvidence(items) => rules::ActionView::RequestEvidence(items),
            Action::Escalate(escalation) => rules::ActionView::Escalate {
                note: &escalation.note,
            },
            Action::RequestConfirmation(_)
            | Action::RequestRefundApplication
            | Action::SendDocument(_)
            | Action::FollowUp
            | Action::ExplainCorrectItem
            | Action::StartReturn(_)
            | Action::OfferReorder
            | Action::UpdateProductCard
            | Action::CancelOrder
            | Action::BlockAccount
            | Action::RelabelTicket => rules::ActionView::Other,
        }
    }
}

fn money(money: &Money) -> rules::MoneyView<'_> {
    rules::MoneyView {
        amount: money.amount,
        currency: &money.currency,
    }
}

fn claim_view(claim: &Claim) -> rules::ClaimView<'_> {
    rules::ClaimView {
        currency: &claim.order.currency,
        kind: match claim.kind {
            ClaimKind::Return => rules::ClaimKind::Return,
            ClaimKind::ShortShipment => rules::ClaimKind::ShortShipment,
            _ => rules::ClaimKind::Other,
        },
    }
}

fn outcome(outcome: Outcome) -> rules::Outcome {
    match outcome {
        Outcome::Compensate => rules::Outcome::Compensate,
        Outcome::Pending => rules::Outcome::Pending,
        Outcome::Escalate => rules::Outcome::Escalate,
        Outcome::Reject => rules::Outcome::Reject,
        Outcome::Close => rules::Outcome::Close,
        Outcome::Inform => rules::Outcome::Inform,
    }
}

fn reason_view(reason: &Reason) -> rules::ReasonView<'_> {
    rules::ReasonView {
        rule: &reason.rule,
        text: &reason.text,
    }
}

fn signal_view(signal: &Signal) -> rules::ReasonView<'_> {
    rules::ReasonView {
        rule: &signal.rule,
        text: &signal.text,
    }
}
