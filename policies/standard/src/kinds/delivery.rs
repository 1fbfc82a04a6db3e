//! R8: problems with the delivery itself: a reorder, another date, or an apology with a
//! sorry-coupon (paid by the platform when its own couriers delivered).

use arbiter_sdk::prelude::*;

use super::no_rule;
use crate::case::Case;
use crate::coupons;
use crate::step::Step;

pub(super) fn decide(case: &Case) -> Step {
    let claim = case.claim;
    match claim.subkind {
        Some(ClaimSubkind::CannotDeliver) => {
            let mut decision = coupons::sorry_coupon(
                case,
                "R8.1",
                "the order cannot be delivered: the customer is offered to order again, with a sorry-coupon",
            );
            // The reorder is offered even when office staff decide on the coupon.
            decision.actions.insert(0, Action::OfferReorder);
            Step::Decided(decision)
        }
        Some(ClaimSubkind::InconvenientDate) => inconvenient_date(case),
        Some(ClaimSubkind::RescheduledWithoutNotice) => Step::Decided(coupons::sorry_coupon(
            case,
            "R8.3",
            "the delivery was moved without telling the customer: apology and sorry-coupon",
        )),
        Some(ClaimSubkind::DirtyOrCrumpledBox) => Step::Decided(coupons::sorry_coupon(
            case,
            "R8.4",
            "the box arrived dirty or crumpled: apology and sorry-coupon",
        )),
        _ => Step::Decided(no_rule("a delivery problem without saying what went wrong")),
    }
}

/// R8.2: the delivery date does not suit the customer; the delivery service is asked for
/// another one.
fn inconvenient_date(case: &Case) -> Step {
    match case.claim.confirmations.delivery_service {
        None => Step::Asks(
            case.pending(
                "R8.2",
                format!(
                    "the delivery date does not suit the customer: asking the delivery service for another date, \
                     this may take up to {} days (response_days)",
                    case.settings.response_days
                ),
            )
            .with(Action::RequestConfirmation(ConfirmingParty::DeliveryService)),
        ),
        Some(PartyAnswer::Confirmed) => Step::Decided(Decision::new(Outcome::Close).because(
            "R8.2",
            "the delivery service agreed another date with the customer: nothing is owed",
        )),
        Some(PartyAnswer::Denied) => Step::Decided(coupons::sorry_coupon(
            case,
            "R8.2",
            "the delivery date does not suit the customer and no other date could be agreed: apology and sorry-coupon",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::decide_default;
    use arbiter_sdk::sample;
    use rstest::rstest;

    fn problem(subkind: ClaimSubkind, courier: Courier) -> Claim {
        let mut claim = sample::claim(ClaimKind::DeliveryProblem);
        claim.subkind = Some(subkind);
        claim.order.courier = courier;
        claim
    }

    fn coupon() -> Action {
        Action::SorryCoupon(Money::new(30_000, "RUB"))
    }

    #[rstest]
    #[case::cannot_deliver(ClaimSubkind::CannotDeliver, vec![Action::OfferReorder, coupon()], "R8.1")]
    #[case::rescheduled(ClaimSubkind::RescheduledWithoutNotice, vec![coupon()], "R8.3")]
    #[case::dirty_box(ClaimSubkind::DirtyOrCrumpledBox, vec![coupon()], "R8.4")]
    fn sorry_coupons_for_delivery_problems(
        #[case] subkind: ClaimSubkind,
        #[case] actions: Vec<Action>,
        #[case] rule: &str,
    ) {
        for (courier, payer) in [
            (Courier::Seller, Payer::Seller),
            (Courier::Platform, Payer::Platform),
        ] {
            let decision = decide_default(&problem(subkind, courier));
            assert_eq!(decision.outcome, Outcome::Compensate);
            assert_eq!(decision.actions, actions);
            assert_eq!(decision.payer, Some(payer));
            assert_eq!(decision.rules(), vec![rule, "R9"]);
        }
    }

    #[test]
    fn r8_1_undelivered_order_is_never_late() {
        let mut claim = problem(ClaimSubkind::CannotDeliver, Courier::Platform);
        claim.order.delivered_at = None;
        claim.opened_at = claim.now - 40 * DAY_MS;
        claim.last_seller_reply_at = Some(claim.now);
        claim.last_customer_reply_at = Some(claim.now);
        assert_eq!(decide_default(&claim).outcome, Outcome::Compensate);
    }

    #[test]
    fn r8_2_asks_the_delivery_service_for_another_date() {
        let decision = decide_default(&problem(ClaimSubkind::InconvenientDate, Courier::Platform));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(
            decision.actions,
            vec![Action::RequestConfirmation(
                ConfirmingParty::DeliveryService
            )]
        );
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.payer, None);
        assert_eq!(decision.rules(), vec!["R8.2"]);
    }

    #[test]
    fn r8_2_another_date_agreed_closes() {
        let mut claim = problem(ClaimSubkind::InconvenientDate, Courier::Platform);
        claim.confirmations.delivery_service = Some(PartyAnswer::Confirmed);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Close);
        assert!(decision.actions.is_empty());
        assert_eq!(decision.rules(), vec!["R8.2"]);
    }

    #[test]
    fn r8_2_no_other_date_gets_an_apology_and_a_coupon() {
        let mut claim = problem(ClaimSubkind::InconvenientDate, Courier::Platform);
        claim.confirmations.delivery_service = Some(PartyAnswer::Denied);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(decision.actions, vec![coupon()]);
        assert_eq!(decision.payer, Some(Payer::Platform));
        assert_eq!(decision.rules(), vec!["R8.2", "R9"]);
    }

    #[test]
    fn r8_1_reorder_is_offered_when_the_coupon_goes_to_office_staff() {
        let claim = problem(ClaimSubkind::CannotDeliver, Courier::Seller);
        let decision = crate::testing::decide(
            &claim,
            &crate::testing::clean(),
            r#"{"sorry_coupons_per_30d": 0}"#,
        );
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.actions[0], Action::OfferReorder);
        assert_eq!(decision.rules(), vec!["R8.1", "R9"]);
    }
}
