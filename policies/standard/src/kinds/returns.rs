//! R6: returns. Goods of proper quality within `return_window_days` of delivery, unused;
//! goods of improper quality any time, with the return shipping refunded. A seller's
//! (3p) goods need office staff's agreement to refund once they are back.

use arbiter_sdk::prelude::*;
use arbiter_sdk::time::more_than_days_after;

use super::{no_rule, used_signs_text};
use crate::case::{Case, span};
use crate::step::Step;

pub(super) fn decide(case: &Case) -> Step {
    Step::Decided(match case.claim.subkind {
        Some(ClaimSubkind::ProperQuality) => proper_quality(case),
        Some(ClaimSubkind::ImproperQuality) => improper_quality(case),
        _ => no_rule("a return without saying whether the goods are of proper or improper quality"),
    })
}

/// R6.1: a return of goods of proper quality (did not fit, did not like, bought by
/// mistake), also where R3.5 and R4.2 send the customer.
pub(crate) fn proper_quality(case: &Case) -> Decision {
    let claim = case.claim;
    let window = case.settings.return_window_days;
    let Some(delivered) = claim.order.delivered_at else {
        return Decision::new(Outcome::Reject).because(
            "R6.1",
            "the order has not been delivered yet, so there are no goods to return",
        );
    };
    if more_than_days_after(claim.opened_at, delivered, window) {
        return Decision::new(Outcome::Reject).because(
            "R6.1",
            format!(
                "goods of proper quality can be returned within {window} days of delivery \
                 (return_window_days; the 14-day window of Russian consumer law), \
                 the return was asked for {} after delivery",
                span(claim.opened_at.saturating_sub(delivered))
            ),
        );
    }
    let signs = &claim.evidence.used_signs;
    if !signs.is_empty() {
        return Decision::new(Outcome::Reject).because(
            "R6.1",
            format!(
                "goods of proper quality are taken back only unused and in their original packaging, \
                 the evidence shows signs of use: {}",
                used_signs_text(signs)
            ),
        );
    }
    let within = format!(
        "return of goods of proper quality asked for {} after delivery, within return_window_days {window}",
        span(claim.opened_at.saturating_sub(delivered))
    );
    match claim.return_shipment.received_at {
        None => case
            .pending(
                "R6.1",
                format!("{within}: the return starts, the money is refunded once the goods reach the warehouse"),
            )
            .with(Action::StartReturn(GoodsQuality::Proper)),
        Some(_) => refund_on_arrival(case, "R6.1", &within, false),
    }
}

/// R6.2: a return of goods of improper quality (broken, wrong, incomplete, short, not
/// working); no window applies, the defect is the seller's. Also where R4.3 and R7.2
/// send the customer.
pub(crate) fn improper_quality(case: &Case) -> Decision {
    let what = "return of goods of improper quality, no return window applies (the defect is the seller's)";
    match case.claim.return_shipment.received_at {
        None => case
            .pending(
                "R6.2",
                format!(
                    "{what}: the return starts, the money and the return shipping are refunded \
                     once the goods reach the warehouse"
                ),
            )
            .with(Action::StartReturn(GoodsQuality::Improper)),
        Some(_) => refund_on_arrival(case, "R6.2", what, true),
    }
}

/// The goods are back at the warehouse: refund the claim value (and the return shipping
/// for goods of improper quality), or ask office staff for a seller's goods (R6.3).
fn refund_on_arrival(case: &Case, rule: &str, what: &str, with_shipping: bool) -> Decision {
    let claim = case.claim;
    let value = case.value();
    let worth = format!(
        "{what}, goods worth {} are back at the warehouse",
        case.show(value)
    );
    if claim.order.fulfilment == Fulfilment::ThirdParty {
        return Decision::escalate(
            "R6.3",
            format!(
                "{worth}; they were sold by a seller (3p), so the refund needs office staff's agreement"
            ),
        );
    }
    if value <= 0 {
        return no_rule(&format!("{worth}: there is no value to refund"));
    }
    let mut decision = Decision::new(Outcome::Compensate)
        .with(Action::refund(value, &claim.order.currency, true))
        .because(rule, format!("{worth}: refund of {}", case.show(value)));
    let shipping = claim.return_shipment.shipping_cost.filter(|cost| *cost > 0);
    if let (true, Some(cost)) = (with_shipping, shipping) {
        decision = decision
            .with(Action::ReturnShippingRefund(claim.money(cost)))
            .because(
                rule,
                format!(
                    "the customer paid {} to send the goods back: refunded",
                    case.show(cost)
                ),
            );
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::decide_default;
    use arbiter_sdk::sample;
    use arbiter_sdk::time::DAY_MS;
    use rstest::rstest;

    fn a_return(quality: ClaimSubkind, fulfilment: Fulfilment, received: bool) -> Claim {
        let mut claim = sample::claim(ClaimKind::Return);
        claim.subkind = Some(quality);
        claim.order.fulfilment = fulfilment;
        if received {
            claim.return_shipment.received_at = Some(claim.now);
            claim.return_shipment.shipping_cost = Some(25_000);
        }
        claim
    }

    #[rstest]
    #[case::proper(ClaimSubkind::ProperQuality, GoodsQuality::Proper, "R6.1")]
    #[case::improper(ClaimSubkind::ImproperQuality, GoodsQuality::Improper, "R6.2")]
    fn a_return_starts(
        #[case] subkind: ClaimSubkind,
        #[case] quality: GoodsQuality,
        #[case] rule: &str,
    ) {
        let decision = decide_default(&a_return(subkind, Fulfilment::ThirdParty, false));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(decision.actions, vec![Action::StartReturn(quality)]);
        assert_eq!(decision.payer, None);
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec![rule]);
    }

    #[test]
    fn r6_1_first_party_goods_back_are_refunded() {
        let decision = decide_default(&a_return(
            ClaimSubkind::ProperQuality,
            Fulfilment::FirstParty,
            true,
        ));
        assert_eq!(decision.outcome, Outcome::Compensate);
        // No return shipping for a change of mind.
        assert_eq!(decision.actions, vec![Action::refund(35_000, "RUB", true)]);
        assert_eq!(decision.payer, Some(Payer::Platform));
        assert_eq!(decision.rules(), vec!["R6.1"]);
    }

    #[test]
    fn r6_2_first_party_goods_back_are_refunded_with_shipping() {
        let decision = decide_default(&a_return(
            ClaimSubkind::ImproperQuality,
            Fulfilment::FirstParty,
            true,
        ));
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(
            decision.actions,
            vec![
                Action::refund(35_000, "RUB", true),
                Action::ReturnShippingRefund(Money::new(25_000, "RUB"))
            ]
        );
        assert_eq!(decision.payer, Some(Payer::Platform));
        assert_eq!(decision.rules(), vec!["R6.2", "R6.2"]);
    }

    #[rstest]
    #[case::unknown_cost(None)]
    #[case::free(Some(0))]
    fn r6_2_no_shipping_refund_without_a_cost(#[case] cost: Option<i64>) {
        let mut claim = a_return(ClaimSubkind::ImproperQuality, Fulfilment::FirstParty, true);
        claim.return_shipment.shipping_cost = cost;
        let decision = decide_default(&claim);
        assert_eq!(decision.actions, vec![Action::refund(35_000, "RUB", true)]);
    }

    #[rstest]
    #[case::proper(ClaimSubkind::ProperQuality)]
    #[case::improper(ClaimSubkind::ImproperQuality)]
    fn r6_3_seller_goods_back_go_to_office_staff(#[case] subkind: ClaimSubkind) {
        let decision = decide_default(&a_return(subkind, Fulfilment::ThirdParty, true));
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.payer, None);
        assert_eq!(decision.rules(), vec!["R6.3"]);
    }

    #[rstest]
    #[case::on_the_last_day(14 * DAY_MS, Outcome::Pending)]
    #[case::a_moment_late(14 * DAY_MS + 1, Outcome::Reject)]
    #[case::three_weeks(21 * DAY_MS, Outcome::Reject)]
    fn r6_1_window_is_exact(#[case] after_delivery: i64, #[case] outcome: Outcome) {
        let mut claim = a_return(ClaimSubkind::ProperQuality, Fulfilment::ThirdParty, false);
        claim.order.delivered_at = Some(claim.opened_at - after_delivery);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, outcome);
        assert_eq!(decision.rules(), vec!["R6.1"]);
        if outcome == Outcome::Reject {
            assert!(
                decision.reasons[0]
                    .text
                    .contains("within 14 days of delivery")
            );
            assert!(decision.reasons[0].text.contains("Russian consumer law"));
            assert!(decision.actions.is_empty());
        }
    }

    #[test]
    fn r6_2_has_no_window() {
        let mut claim = a_return(ClaimSubkind::ImproperQuality, Fulfilment::ThirdParty, false);
        claim.order.delivered_at = Some(claim.opened_at - 200 * DAY_MS);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(
            decision.actions,
            vec![Action::StartReturn(GoodsQuality::Improper)]
        );
    }

    #[test]
    fn r6_1_used_goods_are_not_taken_back() {
        let mut claim = a_return(ClaimSubkind::ProperQuality, Fulfilment::ThirdParty, false);
        claim.evidence.used_signs = vec![UsedSign::ForeignAccount];
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Reject);
        assert!(
            decision.reasons[0]
                .text
                .contains("another person's account")
        );
    }

    #[test]
    fn r6_1_undelivered_order_is_rejected() {
        let mut claim = a_return(ClaimSubkind::ProperQuality, Fulfilment::ThirdParty, false);
        claim.order.delivered_at = None;
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Reject);
        assert_eq!(decision.rules(), vec!["R6.1"]);
    }

    #[test]
    fn r6_return_window_is_a_setting() {
        let mut claim = a_return(ClaimSubkind::ProperQuality, Fulfilment::ThirdParty, false);
        claim.order.delivered_at = Some(claim.opened_at - 20 * DAY_MS);
        let history = crate::testing::clean();
        let decision = crate::testing::decide(&claim, &history, r#"{"return_window_days": 30}"#);
        assert_eq!(decision.outcome, Outcome::Pending);
    }
}
