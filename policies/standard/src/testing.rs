//! Test helpers: histories, earlier claims and photos, and a `decide` that runs the
//! exported path (settings text in) and checks what every decision must satisfy.

use arbiter_sdk::prelude::*;
use arbiter_sdk::time::DAY_MS;
use arbiter_sdk::{PastClaim, Photo, runtime, sample};

use crate::{RULES, StandardPolicy};

/// No earlier claims, no photos seen before.
pub(crate) fn clean() -> History {
    sample::clean_history()
}

/// An earlier claim of `kind` opened at `opened_at`, paid 350.00 RUB, no coupon.
pub(crate) fn past(kind: ClaimKind, opened_at: i64) -> PastClaim {
    PastClaim {
        claim_id: format!("earlier-{opened_at}"),
        kind,
        opened_at,
        outcome: Outcome::Compensate,
        money_given: Money::new(35_000, "RUB"),
        sorry_coupon_given: false,
        same_shop: true,
    }
}

/// A history in which `claim` is a repeat case: one damaged claim 30 days earlier.
pub(crate) fn repeat_history(claim: &Claim) -> History {
    let mut history = clean();
    history.earlier_claims = vec![past(ClaimKind::Damaged, claim.opened_at - 30 * DAY_MS)];
    history
}

/// An evidence photo that shows the labels.
pub(crate) fn photo(sha256: &str) -> Photo {
    Photo {
        sha256: sha256.to_owned(),
        shows_labels: true,
    }
}

/// The things a decision's `request_evidence` asks for.
pub(crate) fn requested(decision: &Decision) -> Vec<&str> {
    decision
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::RequestEvidence(items) => Some(items.iter().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Decides through the exported path, then checks the decision's invariants.
pub(crate) fn decide(claim: &Claim, history: &History, settings: &str) -> Decision {
    let decision = runtime::decide::<StandardPolicy>(claim, history, settings).expect("decides");
    check(&decision);
    decision
}

/// [`decide`] with a clean history and the default settings.
pub(crate) fn decide_default(claim: &Claim) -> Decision {
    decide(claim, &clean(), "")
}

/// What every decision of the standard policy satisfies.
pub(crate) fn check(decision: &Decision) {
    assert!(!decision.reasons.is_empty(), "no reason: {decision:?}");
    for reason in &decision.reasons {
        assert!(
            RULES.contains(&reason.rule.as_str()),
            "rule {} not in metadata",
            reason.rule
        );
        assert!(
            !reason.text.is_empty(),
            "empty reason text under {}",
            reason.rule
        );
    }
    assert_eq!(
        decision.payer.is_some(),
        decision.moves_money(),
        "payer iff money moves: {decision:?}"
    );
    let escalates = decision
        .actions
        .iter()
        .any(|action| matches!(action, Action::Escalate(_)));
    assert_eq!(
        decision.outcome == Outcome::Escalate,
        escalates,
        "escalate outcome iff escalate action: {decision:?}"
    );
    if decision.outcome == Outcome::Pending {
        assert!(
            decision.eta_days.is_some(),
            "pending without eta: {decision:?}"
        );
    }
    if decision.outcome == Outcome::Compensate {
        assert!(
            decision.moves_money(),
            "compensate without money: {decision:?}"
        );
    } else {
        assert!(
            !decision.moves_money(),
            "money without compensate: {decision:?}"
        );
    }
    for action in &decision.actions {
        if let Some((amount, _)) = action.amount() {
            assert!(amount > 0, "non-positive amount: {decision:?}");
        }
    }
}
