//! R2: fewer units arrived than were ordered. A first claim is trusted at once; a repeat
//! claim is verified with the warehouse, then with the delivery service.

use arbiter_sdk::prelude::*;

use crate::case::Case;
use crate::step::Step;
use crate::tiers;

pub(super) fn decide(case: &Case) -> Step {
    let claim = case.claim;
    let standing = case.first_case_text();
    if case.is_first_case() {
        return Step::Decided(tiers::compensate(
            case,
            "R2.1",
            &format!("{standing}, trusting the customer"),
        ));
    }
    let missing = claim
        .items
        .iter()
        .map(|item| u64::from(item.quantity_affected))
        .fold(0_u64, u64::saturating_add);
    let days = case.settings.response_days;
    let asking = |rule: &str, party: ConfirmingParty, whom: &str, before: &str| {
        Step::Asks(
            case.pending(
                rule,
                format!(
                    "{standing}{before}: asking {whom} to confirm the {missing} missing unit(s), \
                     this may take up to {days} days (response_days)"
                ),
            )
            .with(Action::RequestConfirmation(party)),
        )
    };
    match (
        claim.confirmations.warehouse,
        claim.confirmations.delivery_service,
    ) {
        (None, _) => asking("R2.2", ConfirmingParty::Warehouse, "the warehouse", ""),
        (Some(PartyAnswer::Confirmed), _) => Step::Decided(tiers::compensate(
            case,
            "R2.3",
            &format!("{standing}, the warehouse confirmed the shortage"),
        )),
        (Some(PartyAnswer::Denied), None) => asking(
            "R2.4",
            ConfirmingParty::DeliveryService,
            "the delivery service",
            ", the warehouse denied the shortage",
        ),
        (Some(PartyAnswer::Denied), Some(PartyAnswer::Confirmed)) => {
            Step::Decided(tiers::compensate(
                case,
                "R2.5",
                &format!(
                    "{standing}, the warehouse denied but the delivery service confirmed the shortage"
                ),
            ))
        }
        (Some(PartyAnswer::Denied), Some(PartyAnswer::Denied)) => {
            Step::Decided(Decision::escalate(
                "R2.5",
                format!(
                    "missing units worth {}, {standing}, both the warehouse and the delivery service denied the shortage: office staff decide",
                    case.show(case.value())
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{decide, decide_default, repeat_history};
    use arbiter_sdk::sample;
    use rstest::rstest;

    fn short(
        unit_price: i64,
        warehouse: Option<PartyAnswer>,
        delivery: Option<PartyAnswer>,
    ) -> Claim {
        let mut claim = sample::claim(ClaimKind::ShortShipment);
        claim.items[0].unit_price = unit_price;
        claim.items[0].quantity_ordered = 3;
        claim.confirmations.warehouse = warehouse;
        claim.confirmations.delivery_service = delivery;
        claim
    }

    #[rstest]
    #[case::promo(35_000, vec![Action::PromoCode(Money::new(35_000, "RUB"))])]
    #[case::refund(150_000, vec![Action::RequestRefundApplication, Action::refund(150_000, "RUB", false)])]
    fn r2_1_first_claim_is_trusted(#[case] price: i64, #[case] actions: Vec<Action>) {
        // Even without any confirmation or photo.
        let decision = decide_default(&short(price, None, None));
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(decision.actions, actions);
        assert_eq!(decision.payer, Some(Payer::Seller));
        assert_eq!(decision.rules(), vec!["R2.1"]);
    }

    #[test]
    fn r2_1_value_is_the_missing_units() {
        let mut claim = short(35_000, None, None);
        claim.items[0].quantity_affected = 2;
        let decision = decide_default(&claim);
        assert_eq!(
            decision.actions,
            vec![
                Action::RequestRefundApplication,
                Action::refund(70_000, "RUB", false)
            ]
        );
    }

    #[rstest]
    #[case::ask_the_warehouse(None, None, "R2.2", ConfirmingParty::Warehouse)]
    #[case::warehouse_denied_ask_delivery(
        Some(PartyAnswer::Denied),
        None,
        "R2.4",
        ConfirmingParty::DeliveryService
    )]
    fn repeat_claims_are_verified(
        #[case] warehouse: Option<PartyAnswer>,
        #[case] delivery: Option<PartyAnswer>,
        #[case] rule: &str,
        #[case] party: ConfirmingParty,
    ) {
        let claim = short(35_000, warehouse, delivery);
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(decision.actions, vec![Action::RequestConfirmation(party)]);
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.payer, None);
        assert_eq!(decision.rules(), vec![rule]);
    }

    #[test]
    fn r2_2_eta_is_response_days() {
        let claim = short(35_000, None, None);
        let decision = decide(&claim, &repeat_history(&claim), r#"{"response_days": 5}"#);
        assert_eq!(decision.eta_days, Some(5));
    }

    #[rstest]
    #[case::warehouse_confirmed(Some(PartyAnswer::Confirmed), None, "R2.3")]
    #[case::warehouse_confirmed_delivery_denied(
        Some(PartyAnswer::Confirmed),
        Some(PartyAnswer::Denied),
        "R2.3"
    )]
    #[case::delivery_confirmed(Some(PartyAnswer::Denied), Some(PartyAnswer::Confirmed), "R2.5")]
    fn confirmed_shortage_follows_the_tiers(
        #[case] warehouse: Option<PartyAnswer>,
        #[case] delivery: Option<PartyAnswer>,
        #[case] rule: &str,
    ) {
        let claim = short(35_000, warehouse, delivery);
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(
            decision.actions,
            vec![Action::PromoCode(Money::new(35_000, "RUB"))]
        );
        assert_eq!(decision.payer, Some(Payer::Seller));
        assert_eq!(decision.rules(), vec![rule]);
    }

    #[test]
    fn r2_5_both_denied_goes_to_office_staff() {
        let claim = short(35_000, Some(PartyAnswer::Denied), Some(PartyAnswer::Denied));
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R2.5"]);
    }

    #[test]
    fn r2_3_confirmed_above_refund_max_still_escalates() {
        let claim = short(200_001, Some(PartyAnswer::Confirmed), None);
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R2.3"]);
    }
}
