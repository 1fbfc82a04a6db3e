//! The rules of the policy contract (`wit/policy@0.1.0`) that every module's answer must
//! keep: what a valid decision or assessment is, what counts as compensation, money
//! shown to people.
//!
//! The host's envelope refuses an answer that breaks them (`invalid_decision`,
//! `output_too_large`); the SDK's native test runtime applies the same checks, so a
//! seller's unit test fails with the host's words. Each side maps its own bindings of the
//! WIT into the plain views here. No dependencies: the SDK links this into every guest.

pub mod money;

use std::fmt;

pub use money::{format_money, minor_unit_digits};

/// The largest amount accepted in a claim or an action, in minor units (10^15: ten
/// trillion roubles), so that sums never overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;
/// The longest rule id, in bytes.
pub const MAX_RULE_BYTES: usize = 64;
/// The furthest a module may set the next step, in days.
pub const MAX_ETA_DAYS: u32 = 365;

/// Caps on what one call may give back. Going over one is `output_too_large`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputCaps {
    /// Actions in one decision (or extra actions of one assessment).
    pub max_actions: usize,
    /// Reasons in one decision, signals in one assessment, items in one evidence request.
    pub max_reasons: usize,
    /// Bytes of any one text: a reason, a note, an evidence item.
    pub max_text_bytes: usize,
}

impl OutputCaps {
    /// The caps the host applies unless its operator sets others.
    pub const DEFAULT: Self = Self {
        max_actions: 32,
        max_reasons: 32,
        max_text_bytes: 2_000,
    };
}

impl Default for OutputCaps {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A decision's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Compensate,
    Pending,
    Escalate,
    Reject,
    Close,
    Inform,
}

/// A claim's kind, as far as a rule here looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    Return,
    ShortShipment,
    /// Every other kind: no rule here depends on which.
    Other,
}

/// The claim an answer is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimView<'a> {
    /// The order's currency: every amount must be in it.
    pub currency: &'a str,
    pub kind: ClaimKind,
}

/// An amount of minor units of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoneyView<'a> {
    pub amount: i64,
    pub currency: &'a str,
}

/// An action, with what the rules look at in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionView<'a> {
    PromoCode(MoneyView<'a>),
    SorryCoupon(MoneyView<'a>),
    Refund {
        money: MoneyView<'a>,
        requires_return: bool,
    },
    ReturnShippingRefund(MoneyView<'a>),
    Replacement,
    RequestEvidence(&'a [String]),
    Escalate {
        note: &'a str,
    },
    /// Any other action: it carries nothing to check and moves no money.
    Other,
}

impl<'a> ActionView<'a> {
    /// The money of a money action: promo code, sorry-coupon, refund, return shipping.
    pub fn money(&self) -> Option<MoneyView<'a>> {
        match *self {
            Self::PromoCode(money)
            | Self::SorryCoupon(money)
            | Self::ReturnShippingRefund(money)
            | Self::Refund { money, .. } => Some(money),
            _ => None,
        }
    }

    /// Whether the action gives the customer money or goods of value: a money action or
    /// a replacement. Only outcome `compensate` may carry one, and it needs a payer.
    pub fn is_compensation(&self) -> bool {
        self.money().is_some() || matches!(self, Self::Replacement)
    }
}

/// A reason (or a fraud signal): the rule id and its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonView<'a> {
    pub rule: &'a str,
    pub text: &'a str,
}

/// A decision, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionView<'a> {
    pub outcome: Outcome,
    pub actions: Vec<ActionView<'a>>,
    /// Whether the decision names who pays.
    pub payer_named: bool,
    pub eta_days: Option<u32>,
    pub reasons: Vec<ReasonView<'a>>,
}

impl DecisionView<'_> {
    /// Whether any action moves money or goods of value.
    pub fn moves_money(&self) -> bool {
        self.actions.iter().any(ActionView::is_compensation)
    }
}

/// A fraud screen's assessment, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentView<'a> {
    pub signals: Vec<ReasonView<'a>>,
    pub extra_actions: Vec<ActionView<'a>>,
    /// The decision the platform takes instead of the shop's policy, if any.
    pub platform_decision: Option<DecisionView<'a>>,
}

/// Which rule an answer broke: a wrong value, or too much of something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// A value breaks the contract (`invalid_decision`).
    InvalidDecision,
    /// More actions, reasons or text than the caps allow (`output_too_large`).
    OutputTooLarge,
}

impl ViolationKind {
    /// The host's stable failure code for this kind.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidDecision => "invalid_decision",
            Self::OutputTooLarge => "output_too_large",
        }
    }
}

/// An answer that breaks the contract, with the words the host records for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: ViolationKind,
    pub detail: String,
}

impl Violation {
    fn invalid(detail: impl Into<String>) -> Self {
        Self {
            kind: ViolationKind::InvalidDecision,
            detail: detail.into(),
        }
    }

    fn too_large(detail: impl Into<String>) -> Self {
        Self {
            kind: ViolationKind::OutputTooLarge,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.detail)
    }
}

impl std::error::Error for Violation {}

/// Checks every value of `decision` for `claim`, its size against `caps`.
pub fn check_decision(
    decision: &DecisionView<'_>,
    claim: ClaimView<'_>,
    caps: &OutputCaps,
) -> Result<(), Violation> {
    check_actions(&decision.actions, claim, caps)?;
    if decision.reasons.is_empty() {
        return Err(Violation::invalid("the decision gives no reason"));
    }
    check_reasons(&decision.reasons, caps)?;
    if let Some(days) = decision.eta_days
        && days > MAX_ETA_DAYS
    {
        return Err(Violation::invalid(format!(
            "eta_days {days} is more than {MAX_ETA_DAYS}"
        )));
    }
    let moves_money = decision.moves_money();
    match (decision.outcome, moves_money) {
        (Outcome::Compensate, false) => {
            return Err(Violation::invalid(
                "outcome compensate without a compensation action",
            ));
        }
        (outcome, true) if outcome != Outcome::Compensate => {
            return Err(Violation::invalid(format!(
                "compensation actions with outcome {outcome:?}; only compensate gives money"
            )));
        }
        _ => {}
    }
    if moves_money != decision.payer_named {
        return Err(Violation::invalid(if moves_money {
            "money moves but no payer is named"
        } else {
            "a payer is named but no money moves"
        }));
    }
    Ok(())
}

/// Checks a fraud screen's `assessment` for `claim`, its size against `caps`.
pub fn check_assessment(
    assessment: &AssessmentView<'_>,
    claim: ClaimView<'_>,
    caps: &OutputCaps,
) -> Result<(), Violation> {
    check_reasons(&assessment.signals, caps)?;
    check_actions(&assessment.extra_actions, claim, caps)?;
    if assessment
        .extra_actions
        .iter()
        .any(ActionView::is_compensation)
    {
        return Err(Violation::invalid(
            "the fraud screen may not add compensation",
        ));
    }
    if let Some(decision) = &assessment.platform_decision {
        check_decision(decision, claim, caps)?;
    }
    Ok(())
}

fn check_actions(
    actions: &[ActionView<'_>],
    claim: ClaimView<'_>,
    caps: &OutputCaps,
) -> Result<(), Violation> {
    if actions.len() > caps.max_actions {
        return Err(Violation::too_large(format!(
            "{} actions, more than {}",
            actions.len(),
            caps.max_actions
        )));
    }
    for action in actions {
        match *action {
            ActionView::PromoCode(money)
            | ActionView::SorryCoupon(money)
            | ActionView::ReturnShippingRefund(money) => check_money(money, claim.currency)?,
            ActionView::Refund {
                money,
                requires_return,
            } => {
                check_money(money, claim.currency)?;
                check_refund_kind(requires_return, claim.kind)?;
            }
            ActionView::RequestEvidence(items) => {
                if items.len() > caps.max_reasons {
                    return Err(Violation::too_large(
                        "request_evidence lists too many items",
                    ));
                }
                for item in items {
                    check_text("request_evidence item", item, caps)?;
                }
            }
            ActionView::Escalate { note } => check_text("escalate note", note, caps)?,
            ActionView::Replacement | ActionView::Other => {}
        }
    }
    Ok(())
}

fn check_money(money: MoneyView<'_>, order_currency: &str) -> Result<(), Violation> {
    let MoneyView { amount, currency } = money;
    if amount < 0 {
        return Err(Violation::invalid(format!("negative amount {amount}")));
    }
    if amount > MAX_AMOUNT {
        return Err(Violation::invalid(format!(
            "amount {amount} is more than {MAX_AMOUNT}"
        )));
    }
    if currency != order_currency {
        return Err(Violation::invalid(format!(
            "amount in {currency}, but the order is in {order_currency}"
        )));
    }
    Ok(())
}

/// A return's refund pays for goods that come back; a short shipment's refund pays for
/// units that never arrived, so nothing can come back.
fn check_refund_kind(requires_return: bool, kind: ClaimKind) -> Result<(), Violation> {
    match (kind, requires_return) {
        (ClaimKind::Return, false) => Err(Violation::invalid(
            "a refund for a return must require the goods back",
        )),
        (ClaimKind::ShortShipment, true) => Err(Violation::invalid(
            "a refund for a short shipment cannot require a return: the units never arrived",
        )),
        _ => Ok(()),
    }
}

fn check_reasons(reasons: &[ReasonView<'_>], caps: &OutputCaps) -> Result<(), Violation> {
    if reasons.len() > caps.max_reasons {
        return Err(Violation::too_large(format!(
            "{} reasons, more than {}",
            reasons.len(),
            caps.max_reasons
        )));
    }
    for reason in reasons {
        if reason.rule.is_empty() || reason.rule.len() > MAX_RULE_BYTES {
            return Err(Violation::invalid(format!(
                "rule id must be 1 to {MAX_RULE_BYTES} bytes"
            )));
        }
        check_text("reason", reason.text, caps)?;
    }
    Ok(())
}

fn check_text(what: &str, text: &str, caps: &OutputCaps) -> Result<(), Violation> {
    if text.len() > caps.max_text_bytes {
        return Err(Violation::too_large(format!(
            "{what} of {} bytes, more than {}",
            text.len(),
            caps.max_text_bytes
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
