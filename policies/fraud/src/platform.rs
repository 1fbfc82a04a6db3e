//! What the platform decides or adds itself, whatever the shop's policy says: the hard
//! fraud block, the unknown-order escalation and the relabelling of a false fraud mark.

use arbiter_sdk::prelude::*;

/// The customer says they never placed the order: possible fraud against the customer.
/// (Named as in the shared scenario `p21`; the rulebook gives the case no number.)
pub const UNKNOWN_ORDER: &str = "F-unknown-order";
/// Support marked the ticket as fraud, but no check (F1-F7) found any: `relabel_ticket`.
pub const RELABEL: &str = "F-relabel";

/// Hard fraud (F1, F2): no compensation of any kind, the account is blocked and office
/// staff look at the claim. Every hard signal is a reason.
pub fn block_hard_fraud(hard_signals: &[&Signal]) -> Decision {
    let found = hard_signals
        .iter()
        .map(|signal| format!("{} ({})", signal.text, signal.rule))
        .collect::<Vec<_>>()
        .join("; ");
    let note = format!(
        "hard fraud: {found}. The account is blocked and nothing is compensated; \
         office staff review the claim"
    );
    hard_signals.iter().fold(
        Decision::new(Outcome::Escalate)
            .with(Action::BlockAccount)
            .with(Action::escalate_to_office_staff(note)),
        |decision, signal| decision.because(&signal.rule, signal.text.clone()),
    )
}

/// The customer was told about an order they never placed: office staff find who placed
/// it. Nothing is compensated and the customer is not suspected.
pub fn escalate_unknown_order(claim: &Claim) -> Decision {
    Decision::escalate(
        UNKNOWN_ORDER,
        format!(
            "the customer says they did not place order {}: possible fraud against the \
             customer; find who placed it",
            claim.order.order_id
        ),
    )
}

/// The signal that explains a `relabel_ticket`.
pub fn relabel_signal() -> Signal {
    Signal {
        rule: RELABEL.to_owned(),
        text: "support marked this ticket as fraud, but no fraud check (F1-F7) found any: \
               remove the fraud label"
            .to_owned(),
    }
}
