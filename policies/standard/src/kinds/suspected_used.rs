//! R7: the item looks used. Evidence of use first; then the customer's choice: return it
//! as goods of improper quality (R6.2) or keep it with a sorry-coupon.

use arbiter_sdk::prelude::*;

use super::{returns, used_signs_text};
use crate::case::{Case, led_by};
use crate::coupons;
use crate::step::Step;

/// The signs of use the customer is asked to show.
pub(super) const EVIDENCE: [&str; 4] = [
    "a photo of stickers or documents with a previous recipient's name",
    "a photo of another person's account on the device",
    "a photo showing the protective films are missing",
    "a photo of foreign objects in the factory packaging",
];

pub(super) fn decide(case: &Case) -> Step {
    let claim = case.claim;
    let signs = &claim.evidence.used_signs;
    if signs.is_empty() && !claim.has_photos() {
        return Step::Asks(
            case.pending(
                "R7.1",
                "no evidence of use yet: asking the customer to show the signs of use",
            )
            .with(Action::RequestEvidence(
                EVIDENCE.iter().map(|item| (*item).to_owned()).collect(),
            )),
        );
    }
    let shown = if signs.is_empty() {
        format!("{} photo(s) of use shown", claim.evidence.photos.len())
    } else {
        format!("evidence of use shown: {}", used_signs_text(signs))
    };
    let reply = &claim.customer_reply;
    if reply.will_return == Some(true) {
        return Step::Decided(led_by(
            "R7.2",
            format!("{shown}, the customer returns the item: return of goods of improper quality"),
            returns::improper_quality(case),
        ));
    }
    if reply.keeps_item == Some(true) {
        return Step::Decided(coupons::sorry_coupon(
            case,
            "R7.2",
            &format!("{shown}, the customer keeps the item: the standard sorry-coupon"),
        ));
    }
    Step::Asks(case.pending(
        "R7.2",
        format!(
            "{shown}: waiting for the customer to choose between returning the item and keeping it, \
             due within {} days (response_days)",
            case.settings.response_days
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{decide_default, photo, requested};
    use arbiter_sdk::sample;

    fn used(signs: Vec<UsedSign>, photos: bool) -> Claim {
        let mut claim = sample::claim(ClaimKind::SuspectedUsed);
        claim.evidence.used_signs = signs;
        if photos {
            claim.evidence.photos = vec![photo("film")];
        }
        claim
    }

    #[test]
    fn r7_1_asks_for_evidence_of_use() {
        let decision = decide_default(&used(Vec::new(), false));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(requested(&decision), EVIDENCE.to_vec());
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R7.1"]);
    }

    #[test]
    fn r7_2_returning_is_an_improper_quality_return() {
        for (signs, photos) in [
            (vec![UsedSign::NoProtectiveFilm], false),
            (Vec::new(), true),
        ] {
            let mut claim = used(signs, photos);
            claim.customer_reply.will_return = Some(true);
            let decision = decide_default(&claim);
            assert_eq!(decision.outcome, Outcome::Pending);
            assert_eq!(
                decision.actions,
                vec![Action::StartReturn(GoodsQuality::Improper)]
            );
            assert_eq!(decision.rules(), vec!["R7.2", "R6.2"]);
        }
    }

    #[test]
    fn r7_2_returned_first_party_goods_are_refunded_with_shipping() {
        let mut claim = used(vec![UsedSign::ForeignAccount], true);
        claim.customer_reply.will_return = Some(true);
        claim.order.fulfilment = Fulfilment::FirstParty;
        claim.return_shipment.received_at = Some(claim.now);
        claim.return_shipment.shipping_cost = Some(20_000);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(
            decision.actions,
            vec![
                Action::refund(35_000, "RUB", true),
                Action::ReturnShippingRefund(Money::new(20_000, "RUB"))
            ]
        );
        assert_eq!(decision.payer, Some(Payer::Platform));
    }

    #[test]
    fn r7_2_keeping_gets_a_sorry_coupon() {
        let mut claim = used(vec![UsedSign::PreviousRecipientDocuments], false);
        claim.customer_reply.keeps_item = Some(true);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(
            decision.actions,
            vec![Action::SorryCoupon(Money::new(30_000, "RUB"))]
        );
        assert_eq!(decision.payer, Some(Payer::Seller));
        assert_eq!(decision.rules(), vec!["R7.2", "R9"]);
    }

    #[test]
    fn r7_2_waits_for_the_customers_choice() {
        let decision = decide_default(&used(vec![UsedSign::ForeignObjects], false));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert!(decision.actions.is_empty());
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R7.2"]);
    }
}
