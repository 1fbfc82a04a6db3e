//! R1: damaged goods or packaging. Photos first, support's review of them, office staff
//! for a repeat claim, then the tier table.

use arbiter_sdk::prelude::*;

use crate::case::Case;
use crate::step::Step;
use crate::tiers;

/// The three kinds of photos the playbook asks for.
pub(super) const PHOTOS: [&str; 3] = [
    "a photo of all the goods inside the box, with the traces of the spilled contents",
    "a photo of the traces of spilled contents on the box and on the other goods",
    "a photo of the damaged container itself (bottle, jar, ...)",
];

pub(super) fn decide(case: &Case) -> Step {
    let claim = case.claim;
    let reviewed = claim.evidence.damage_confirmed;

    // R1.4 before anything else: a repeat claim never gets paid automatically, and office
    // staff can ask for photos themselves, so the customer is not asked for them in vain.
    if !case.is_first_case() {
        return Step::Decided(Decision::escalate(
            "R1.4",
            format!(
                "damaged goods worth {}, {}: were there earlier claims from the customer? yes, so office staff decide",
                case.show(case.value()),
                case.first_case_text()
            ),
        ));
    }
    if !claim.has_photos() && reviewed != Some(true) {
        return Step::Asks(
            case.pending(
                "R1.1",
                "no photos yet and the damage is not confirmed: asking the customer for photos of the goods, the box and the damaged container",
            )
            .with(Action::RequestEvidence(PHOTOS.iter().map(|item| (*item).to_owned()).collect())),
        );
    }
    let photos = claim.evidence.photos.len();
    Step::Decided(match reviewed {
        None => case.pending(
            "R1.2",
            format!("{photos} photo(s) received, support has not reviewed the damage yet: awaiting the review, no money yet"),
        ),
        Some(false) => Decision::escalate(
            "R1.3",
            format!("{photos} photo(s) received, support reviewed them and did not confirm the damage: office staff decide"),
        ),
        Some(true) => tiers::compensate(case, "R1.2", &format!("damage confirmed by support, {}", case.first_case_text())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{decide, decide_default, past, photo, repeat_history, requested};
    use arbiter_sdk::sample;
    use arbiter_sdk::time::DAY_MS;
    use rstest::rstest;

    fn damaged(photos: usize, confirmed: Option<bool>, unit_price: i64) -> Claim {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.evidence.photos = (0..photos).map(|n| photo(&format!("p{n}"))).collect();
        claim.evidence.damage_confirmed = confirmed;
        claim.items[0].unit_price = unit_price;
        claim
    }

    #[rstest]
    #[case::no_photos(0, None)]
    #[case::no_photos_support_disagrees(0, Some(false))]
    fn r1_1_asks_for_the_three_kinds_of_photos(
        #[case] photos: usize,
        #[case] confirmed: Option<bool>,
    ) {
        let decision = decide_default(&damaged(photos, confirmed, 35_000));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(decision.rules(), vec!["R1.1"]);
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.payer, None);
        assert_eq!(requested(&decision), PHOTOS.to_vec());
    }

    #[rstest]
    #[case::promo(35_000, vec![Action::PromoCode(Money::new(35_000, "RUB"))], Some(Payer::Seller))]
    #[case::promo_boundary(49_999, vec![Action::PromoCode(Money::new(49_999, "RUB"))], Some(Payer::Seller))]
    #[case::refund_boundary(
        50_000,
        vec![Action::RequestRefundApplication, Action::refund(50_000, "RUB", false)],
        Some(Payer::Seller)
    )]
    #[case::refund_top(
        200_000,
        vec![Action::RequestRefundApplication, Action::refund(200_000, "RUB", false)],
        Some(Payer::Seller)
    )]
    fn r1_2_confirmed_damage_follows_the_tiers(
        #[case] price: i64,
        #[case] actions: Vec<Action>,
        #[case] payer: Option<Payer>,
    ) {
        let decision = decide_default(&damaged(1, Some(true), price));
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(decision.actions, actions);
        assert_eq!(decision.payer, payer);
        assert_eq!(decision.eta_days, None);
        assert_eq!(decision.rules(), vec!["R1.2"]);
    }

    #[test]
    fn r1_2_above_refund_max_is_individual_review() {
        let decision = decide_default(&damaged(1, Some(true), 200_001));
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R1.2"]);
        assert_eq!(decision.payer, None);
    }

    #[test]
    fn r1_2_confirmed_without_photos_is_paid() {
        let decision = decide_default(&damaged(0, Some(true), 35_000));
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(decision.rules(), vec!["R1.2"]);
    }

    #[test]
    fn r1_2_unreviewed_photos_wait_for_support() {
        let decision = decide_default(&damaged(2, None, 35_000));
        assert_eq!(decision.outcome, Outcome::Pending);
        assert!(decision.actions.is_empty());
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R1.2"]);
        assert!(decision.reasons[0].text.contains("awaiting the review"));
    }

    #[test]
    fn r1_3_support_disagrees_goes_to_office_staff() {
        let decision = decide_default(&damaged(1, Some(false), 35_000));
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R1.3"]);
    }

    #[rstest]
    #[case::with_evidence(1, Some(true))]
    #[case::without_evidence(0, None)]
    fn r1_4_repeat_claim_goes_to_office_staff(
        #[case] photos: usize,
        #[case] confirmed: Option<bool>,
    ) {
        let claim = damaged(photos, confirmed, 35_000);
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R1.4"]);
        assert!(!decision.moves_money());
    }

    #[test]
    fn r1_4_off_when_first_case_only_is_off() {
        let claim = damaged(1, Some(true), 35_000);
        let decision = decide(
            &claim,
            &repeat_history(&claim),
            r#"{"first_case_only": false}"#,
        );
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(decision.rules(), vec!["R1.2"]);
    }

    #[test]
    fn r1_4_claims_outside_the_repeat_window_do_not_count() {
        let claim = damaged(1, Some(true), 35_000);
        let mut history = crate::testing::clean();
        history.earlier_claims = vec![past(ClaimKind::Damaged, claim.opened_at - 31 * DAY_MS)];
        let decision = decide(&claim, &history, r#"{"repeat_window_days": 30}"#);
        assert_eq!(decision.outcome, Outcome::Compensate);
    }
}
