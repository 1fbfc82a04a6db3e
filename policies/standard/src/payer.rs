//! Who pays a decision's money actions: the platform when its own couriers failed a
//! delivery or it sold the goods itself, otherwise the seller; nobody when no money moves.

use arbiter_sdk::prelude::*;

/// The payer of `decision` for `claim`.
pub(crate) fn payer(claim: &Claim, decision: &Decision) -> Option<Payer> {
    if !decision.moves_money() {
        return None;
    }
    let platform_delivery_fault =
        claim.order.courier == Courier::Platform && claim.kind == ClaimKind::DeliveryProblem;
    let platform_goods = claim.order.fulfilment == Fulfilment::FirstParty;
    Some(if platform_delivery_fault || platform_goods {
        Payer::Platform
    } else {
        Payer::Seller
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_sdk::sample;
    use rstest::rstest;

    fn coupon() -> Decision {
        Decision::new(Outcome::Compensate).with(Action::SorryCoupon(Money::new(1, "RUB")))
    }

    #[rstest]
    #[case::seller_goods_seller_courier(
        ClaimKind::DeliveryProblem,
        Fulfilment::ThirdParty,
        Courier::Seller,
        Payer::Seller
    )]
    #[case::platform_courier_failed(
        ClaimKind::DeliveryProblem,
        Fulfilment::ThirdParty,
        Courier::Platform,
        Payer::Platform
    )]
    #[case::platform_courier_but_goods_claim(
        ClaimKind::Damaged,
        Fulfilment::ThirdParty,
        Courier::Platform,
        Payer::Seller
    )]
    #[case::platform_goods(
        ClaimKind::Damaged,
        Fulfilment::FirstParty,
        Courier::Seller,
        Payer::Platform
    )]
    fn who_pays(
        #[case] kind: ClaimKind,
        #[case] fulfilment: Fulfilment,
        #[case] courier: Courier,
        #[case] expected: Payer,
    ) {
        let mut claim = sample::claim(kind);
        claim.order.fulfilment = fulfilment;
        claim.order.courier = courier;
        assert_eq!(payer(&claim, &coupon()), Some(expected));
    }

    #[test]
    fn nobody_pays_when_no_money_moves() {
        let mut claim = sample::claim(ClaimKind::DeliveryProblem);
        claim.order.courier = Courier::Platform;
        assert_eq!(payer(&claim, &Decision::escalate("R11", "checked")), None);
    }
}
