//! R4: a different item, model, colour or size arrived. The receipt or barcode decides
//! whether it was a real mix-up; then an explanation, a sorry-coupon or a return.

use arbiter_sdk::prelude::*;

use super::returns;
use crate::case::{Case, led_by};
use crate::coupons;
use crate::step::Step;

/// What the customer shows so the item can be compared with the order.
pub(super) const EVIDENCE: [&str; 1] = ["a photo of the receipt or of the product's barcode"];

pub(super) fn decide(case: &Case) -> Step {
    let claim = case.claim;
    match claim.evidence.documents_match_order {
        None => Step::Asks(
            case.pending(
                "R4.1",
                "no receipt or barcode shown yet: asking for one to compare the item with the order",
            )
            .with(Action::RequestEvidence(EVIDENCE.iter().map(|item| (*item).to_owned()).collect())),
        ),
        Some(true) => Step::Decided(documents_match(case)),
        Some(false) => mix_up(case),
    }
}

/// R4.2: the receipt or barcode matches the order, so the right item arrived.
fn documents_match(case: &Case) -> Decision {
    let matched = "the receipt or barcode matches the order in the platform's records, the item is the one ordered";
    if case.claim.customer_reply.insists == Some(true) {
        // Keeping a correct item is a change of mind: R6.1's window and conditions apply.
        return led_by(
            "R4.2",
            format!("{matched}; the customer still disagrees: return of goods of proper quality"),
            returns::proper_quality(case),
        );
    }
    Decision::new(Outcome::Inform)
        .with(Action::ExplainCorrectItem)
        .because(
            "R4.2",
            format!("{matched}: explaining this to the customer"),
        )
}

/// R4.3: the documents do not match the order, a real mix-up.
fn mix_up(case: &Case) -> Step {
    let claim = case.claim;
    let mixed = "the receipt or barcode does not match the order: a real mix-up";
    match claim.customer_reply.keeps_item {
        Some(true) => Step::Decided(coupons::sorry_coupon(
            case,
            "R4.3",
            &format!("{mixed}, the customer keeps the item: the standard sorry-coupon"),
        )),
        Some(false) => Step::Decided(rerouting(case, mixed)),
        None => Step::Asks(case.pending(
            "R4.3",
            format!(
                "{mixed}: waiting for the customer's answer whether they keep the item, \
                 due within {} days (response_days)",
                case.settings.response_days
            ),
        )),
    }
}

/// R4.3, the customer does not keep the item: it goes back as goods of improper quality
/// and the routing team re-routes the right one.
///
/// The rulebook stops at asking the routing team. Once it answered: `confirmed` (the
/// right item is on its way) closes the money side with a reply, nothing is owed;
/// `denied` (the right item cannot be sent) leaves the return of improper quality, so
/// R6.2 refunds it once the goods are back. This step also starts a return, so it is a
/// resolution that R10.2 leaves standing.
fn rerouting(case: &Case, mixed: &str) -> Decision {
    let claim = case.claim;
    let returning = format!("{mixed}, the customer does not keep the item");
    match claim.confirmations.routing_team {
        None => case
            .pending(
                "R4.3",
                format!(
                    "{returning}: the item goes back as goods of improper quality and the routing team is asked \
                     to re-route the right item, this may take up to {} days (response_days)",
                    case.settings.response_days
                ),
            )
            .with(Action::StartReturn(GoodsQuality::Improper))
            .with(Action::RequestConfirmation(ConfirmingParty::RoutingTeam)),
        Some(PartyAnswer::Confirmed) => Decision::new(Outcome::Inform).because(
            "R4.3",
            format!(
                "{returning}: the routing team confirmed the right item is re-routed to the customer, \
                 the wrong item goes back as goods of improper quality; no money is owed"
            ),
        ),
        Some(PartyAnswer::Denied) => led_by(
            "R4.3",
            format!("{returning}, the routing team cannot re-route the right item: return of goods of improper quality"),
            returns::improper_quality(case),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{decide_default, requested};
    use arbiter_sdk::sample;
    use arbiter_sdk::time::DAY_MS;
    use rstest::rstest;

    fn wrong(documents_match: Option<bool>) -> Claim {
        let mut claim = sample::claim(ClaimKind::WrongItem);
        claim.subkind = Some(ClaimSubkind::DifferentItem);
        claim.evidence.documents_match_order = documents_match;
        claim
    }

    #[rstest]
    #[case::different_item(Some(ClaimSubkind::DifferentItem))]
    #[case::different_model(Some(ClaimSubkind::DifferentModel))]
    #[case::wrong_color_or_size(Some(ClaimSubkind::WrongColorOrSize))]
    #[case::no_subkind(None)]
    fn r4_1_asks_for_the_receipt_or_barcode(#[case] subkind: Option<ClaimSubkind>) {
        let mut claim = wrong(None);
        claim.subkind = subkind;
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(requested(&decision), EVIDENCE.to_vec());
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R4.1"]);
    }

    #[rstest]
    #[case::not_asked(None)]
    #[case::accepts(Some(false))]
    fn r4_2_documents_match_explains_the_item(#[case] insists: Option<bool>) {
        let mut claim = wrong(Some(true));
        claim.customer_reply.insists = insists;
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Inform);
        assert_eq!(decision.actions, vec![Action::ExplainCorrectItem]);
        assert_eq!(decision.payer, None);
        assert_eq!(decision.rules(), vec!["R4.2"]);
    }

    #[test]
    fn r4_2_insisting_starts_a_proper_quality_return() {
        let mut claim = wrong(Some(true));
        claim.customer_reply.insists = Some(true);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(
            decision.actions,
            vec![Action::StartReturn(GoodsQuality::Proper)]
        );
        assert_eq!(decision.rules(), vec!["R4.2", "R6.1"]);
    }

    #[test]
    fn r4_2_insisting_after_the_return_window_is_rejected() {
        let mut claim = wrong(Some(true));
        claim.customer_reply.insists = Some(true);
        // Opened within the dispute window by a custom setting, but after the return window.
        claim.order.delivered_at = Some(claim.opened_at - 15 * DAY_MS);
        let decision = crate::testing::decide(
            &claim,
            &crate::testing::clean(),
            r#"{"dispute_window_days": 30}"#,
        );
        assert_eq!(decision.outcome, Outcome::Reject);
        assert_eq!(decision.rules(), vec!["R4.2", "R6.1"]);
    }

    #[test]
    fn r4_3_keeping_the_item_gets_a_sorry_coupon() {
        let mut claim = wrong(Some(false));
        claim.customer_reply.keeps_item = Some(true);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(
            decision.actions,
            vec![Action::SorryCoupon(Money::new(30_000, "RUB"))]
        );
        assert_eq!(decision.payer, Some(Payer::Seller));
        assert_eq!(decision.rules(), vec!["R4.3", "R9"]);
    }

    #[test]
    fn r4_3_not_keeping_returns_it_and_asks_the_routing_team() {
        let mut claim = wrong(Some(false));
        claim.customer_reply.keeps_item = Some(false);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(
            decision.actions,
            vec![
                Action::StartReturn(GoodsQuality::Improper),
                Action::RequestConfirmation(ConfirmingParty::RoutingTeam)
            ]
        );
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R4.3"]);
    }

    #[test]
    fn r4_3_waits_for_the_customers_answer() {
        let decision = decide_default(&wrong(Some(false)));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert!(decision.actions.is_empty());
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R4.3"]);
    }

    #[test]
    fn r4_3_routing_team_answers() {
        let mut claim = wrong(Some(false));
        claim.customer_reply.keeps_item = Some(false);
        claim.confirmations.routing_team = Some(PartyAnswer::Confirmed);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Inform);
        assert!(decision.actions.is_empty());
        assert_eq!(decision.rules(), vec!["R4.3"]);

        claim.confirmations.routing_team = Some(PartyAnswer::Denied);
        claim.order.fulfilment = Fulfilment::FirstParty;
        claim.return_shipment.received_at = Some(claim.now);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(decision.actions, vec![Action::refund(35_000, "RUB", true)]);
        assert_eq!(decision.payer, Some(Payer::Platform));
        assert_eq!(decision.rules(), vec!["R4.3", "R6.2"]);
    }
}
