//! What a claim kind's rules return: the next step, and whether that step asks the
//! customer for something, so that R10.2 can close it when the customer is silent.

use arbiter_sdk::Decision;

/// The next step a kind's rules chose.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// Resolves the claim (money, a return, a reply, an escalation), or waits on
    /// something the customer's silence cannot hold up (support's review, returned goods).
    Decided(Decision),
    /// Asks for evidence or a confirmation, or waits for the customer's answer. When the
    /// customer has been silent for `response_days`, R10.2 closes the claim instead.
    Asks(Decision),
}

impl Step {
    /// The decision, whatever kind of step it is.
    pub fn into_decision(self) -> Decision {
        match self {
            Step::Decided(decision) | Step::Asks(decision) => decision,
        }
    }
}
