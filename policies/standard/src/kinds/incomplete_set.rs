//! R3: a set or product is missing parts. The category manager confirms the product's
//! configuration; without that, evidence, the customer's insistence and a sorry-coupon.

use arbiter_sdk::prelude::*;

use super::returns;
use crate::case::{Case, led_by};
use crate::coupons;
use crate::step::Step;
use crate::tiers;

/// What the customer shows when the category manager did not confirm the set.
pub(super) const EVIDENCE: [&str; 2] = [
    "a photo of the contents of the box",
    "a photo of the packaging list",
];

pub(super) fn decide(case: &Case) -> Step {
    let claim = case.claim;
    let days = case.settings.response_days;
    match claim.confirmations.category_manager {
        None => Step::Asks(
            case.pending(
                "R3.1",
                format!(
                    "asking the category manager to confirm the product's configuration, \
                     this may take up to {days} days (response_days)"
                ),
            )
            .with(Action::RequestConfirmation(
                ConfirmingParty::CategoryManager,
            )),
        ),
        Some(PartyAnswer::Confirmed) => {
            // The catalogue is fixed whatever the tier, so the set does not arrive short again.
            let decision = tiers::compensate(
                case,
                "R3.2",
                "the category manager confirmed the set is incomplete",
            )
            .with(Action::UpdateProductCard);
            Step::Decided(decision)
        }
        Some(PartyAnswer::Denied) => not_confirmed(case),
    }
}

/// R3.3-R3.5: the category manager says the set is complete.
fn not_confirmed(case: &Case) -> Step {
    let claim = case.claim;
    let reply = &claim.customer_reply;
    if !claim.has_photos() {
        return Step::Asks(
            case.pending(
                "R3.3",
                "the category manager did not confirm the set is incomplete and there is no evidence yet: \
                 asking for photos of the contents and the packaging list",
            )
            .with(Action::RequestEvidence(EVIDENCE.iter().map(|item| (*item).to_owned()).collect())),
        );
    }
    if reply.insists != Some(true) {
        return Step::Decided(Decision::new(Outcome::Close).because(
            "R3.4",
            "the category manager did not confirm the set is incomplete and the customer does not insist: \
             closed without compensation",
        ));
    }
    let insists =
        "the category manager did not confirm the set is incomplete, the customer insists";
    if reply.accepts_sorry_coupon == Some(false) {
        return Step::Decided(led_by(
            "R3.5",
            format!("{insists} and refused the sorry-coupon: return of goods of proper quality"),
            returns::proper_quality(case),
        ));
    }
    Step::Decided(coupons::sorry_coupon(
        case,
        "R3.5",
        &format!("{insists}: the standard sorry-coupon is offered"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{decide, decide_default, photo, repeat_history, requested};
    use arbiter_sdk::sample;

    fn incomplete(manager: Option<PartyAnswer>, photos: bool) -> Claim {
        let mut claim = sample::claim(ClaimKind::IncompleteSet);
        claim.confirmations.category_manager = manager;
        if photos {
            claim.evidence.photos = vec![photo("contents")];
        }
        claim
    }

    #[test]
    fn r3_1_asks_the_category_manager_even_on_a_first_claim() {
        let decision = decide_default(&incomplete(None, true));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(
            decision.actions,
            vec![Action::RequestConfirmation(
                ConfirmingParty::CategoryManager
            )]
        );
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R3.1"]);
    }

    #[test]
    fn r3_2_confirmed_pays_by_tier_and_fixes_the_card() {
        let mut claim = incomplete(Some(PartyAnswer::Confirmed), false);
        claim.items[0].unit_price = 120_000;
        // A repeat claim is verified by the category manager too.
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(
            decision.actions,
            vec![
                Action::RequestRefundApplication,
                Action::refund(120_000, "RUB", false),
                Action::UpdateProductCard
            ]
        );
        assert_eq!(decision.payer, Some(Payer::Seller));
        assert_eq!(decision.rules(), vec!["R3.2"]);
    }

    #[test]
    fn r3_2_component_price_is_the_value() {
        let mut claim = incomplete(Some(PartyAnswer::Confirmed), false);
        claim.items[0].unit_price = 120_000;
        claim.items[0].component_price = Some(15_000);
        let decision = decide_default(&claim);
        assert_eq!(
            decision.actions,
            vec![
                Action::PromoCode(Money::new(15_000, "RUB")),
                Action::UpdateProductCard
            ]
        );
    }

    #[test]
    fn r3_2_above_refund_max_escalates_and_still_fixes_the_card() {
        let mut claim = incomplete(Some(PartyAnswer::Confirmed), false);
        claim.items[0].unit_price = 200_001;
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert!(decision.actions.contains(&Action::UpdateProductCard));
        assert_eq!(decision.rules(), vec!["R3.2"]);
    }

    #[test]
    fn r3_3_not_confirmed_without_evidence_asks_for_it() {
        let decision = decide_default(&incomplete(Some(PartyAnswer::Denied), false));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(requested(&decision), EVIDENCE.to_vec());
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R3.3"]);
    }

    #[test]
    fn r3_4_not_confirmed_and_not_insisting_closes() {
        for insists in [None, Some(false)] {
            let mut claim = incomplete(Some(PartyAnswer::Denied), true);
            claim.customer_reply.insists = insists;
            let decision = decide_default(&claim);
            assert_eq!(decision.outcome, Outcome::Close);
            assert!(decision.actions.is_empty());
            assert_eq!(decision.payer, None);
            assert_eq!(decision.rules(), vec!["R3.4"]);
        }
    }

    #[test]
    fn r3_5_insisting_gets_a_sorry_coupon() {
        for accepts in [None, Some(true)] {
            let mut claim = incomplete(Some(PartyAnswer::Denied), true);
            claim.customer_reply.insists = Some(true);
            claim.customer_reply.accepts_sorry_coupon = accepts;
            let decision = decide_default(&claim);
            assert_eq!(decision.outcome, Outcome::Compensate);
            assert_eq!(
                decision.actions,
                vec![Action::SorryCoupon(Money::new(30_000, "RUB"))]
            );
            assert_eq!(decision.payer, Some(Payer::Seller));
            assert_eq!(decision.rules(), vec!["R3.5", "R9"]);
        }
    }

    #[test]
    fn r3_5_refusing_the_coupon_starts_a_proper_quality_return() {
        let mut claim = incomplete(Some(PartyAnswer::Denied), true);
        claim.customer_reply.insists = Some(true);
        claim.customer_reply.accepts_sorry_coupon = Some(false);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(
            decision.actions,
            vec![Action::StartReturn(GoodsQuality::Proper)]
        );
        assert_eq!(decision.payer, None);
        assert_eq!(decision.rules(), vec!["R3.5", "R6.1"]);
    }
}
