//! The compensation tier table of R1-R3: a promo code below `promo_max`, money back
//! (goods stay) up to `refund_max`, office staff above it.

use arbiter_sdk::prelude::*;

use crate::case::Case;

/// What a claim of `kind` is about, for reasons: "damaged goods worth 350.00 RUB".
fn subject(kind: ClaimKind) -> &'static str {
    match kind {
        ClaimKind::Damaged => "damaged goods",
        ClaimKind::ShortShipment => "missing units",
        ClaimKind::IncompleteSet => "incomplete set",
        _ => "claim",
    }
}

/// Compensates the claim value by the tier table, under `rule`. `context` says why the
/// claim may be paid ("first claim", "the warehouse confirmed the shortage").
///
/// - `value < promo_max`: a promo code of the value;
/// - `promo_max <= value <= refund_max`: a refund application and a refund of the value
///   without taking the goods back, or a promo code of the same value when the customer
///   asked for one;
/// - `value > refund_max`: office staff review it;
/// - a value of 0 (or less, from bad prices) has nothing to compensate: R11.
pub(crate) fn compensate(case: &Case, rule: &str, context: &str) -> Decision {
    let settings = case.settings;
    let value = case.value();
    let worth = format!("{} worth {}", subject(case.claim.kind), case.show(value));
    let promo_max = case.show(settings.promo_max);
    let refund_max = case.show(settings.refund_max);
    let money = case.claim.money(value);

    if value <= 0 {
        return Decision::escalate(
            "R11",
            format!("{worth}, {context}: nothing to compensate automatically, office staff decide"),
        );
    }
    if value < settings.promo_max {
        return Decision::new(Outcome::Compensate)
            .with(Action::PromoCode(money))
            .because(
                rule,
                format!(
                    "{worth}, below promo_max {promo_max}, {context}: promo code of the claim value"
                ),
            );
    }
    if value <= settings.refund_max {
        let tier =
            format!("{worth}, from promo_max {promo_max} up to refund_max {refund_max}, {context}");
        if case.claim.desired_outcome == Some(DesiredOutcome::PromoCode) {
            return Decision::new(Outcome::Compensate)
                .with(Action::PromoCode(money))
                .because(
                    rule,
                    format!("{tier}: the customer asked for a promo code, so a promo code of the same value instead of a refund"),
                );
        }
        return Decision::new(Outcome::Compensate)
            .with(Action::RequestRefundApplication)
            .with(Action::refund(value, &case.claim.order.currency, false))
            .because(
                rule,
                format!("{tier}: money refund after the customer's refund application, the goods stay with the customer"),
            );
    }
    Decision::escalate(
        rule,
        format!(
            "{worth}, above refund_max {refund_max}, {context}: individual review by office staff"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::StandardSettings;
    use crate::testing::clean;
    use arbiter_sdk::sample;
    use rstest::rstest;

    fn decide(unit_price: i64, desired: Option<DesiredOutcome>) -> Decision {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.items[0].unit_price = unit_price;
        claim.desired_outcome = desired;
        let history = clean();
        let settings = StandardSettings::default();
        compensate(
            &Case::new(&claim, &history, &settings),
            "R1.2",
            "first claim",
        )
    }

    #[rstest]
    #[case::one_kopeck(1, vec![Action::PromoCode(Money::new(1, "RUB"))])]
    #[case::just_below_promo_max(49_999, vec![Action::PromoCode(Money::new(49_999, "RUB"))])]
    #[case::at_promo_max(
        50_000,
        vec![Action::RequestRefundApplication, Action::refund(50_000, "RUB", false)]
    )]
    #[case::at_refund_max(
        200_000,
        vec![Action::RequestRefundApplication, Action::refund(200_000, "RUB", false)]
    )]
    fn boundaries_are_exact(#[case] value: i64, #[case] actions: Vec<Action>) {
        let decision = decide(value, None);
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(decision.actions, actions);
        assert_eq!(decision.rules(), vec!["R1.2"]);
    }

    #[test]
    fn above_refund_max_goes_to_office_staff() {
        let decision = decide(200_001, Some(DesiredOutcome::PromoCode));
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert!(!decision.moves_money());
        assert_eq!(decision.rules(), vec!["R1.2"]);
        assert!(decision.reasons[0].text.contains("2000.01 RUB"));
        assert!(decision.reasons[0].text.contains("refund_max 2000.00 RUB"));
    }

    #[test]
    fn a_customer_who_asked_for_a_promo_code_gets_one_in_the_refund_tier() {
        let decision = decide(150_000, Some(DesiredOutcome::PromoCode));
        assert_eq!(
            decision.actions,
            vec![Action::PromoCode(Money::new(150_000, "RUB"))]
        );
        let decision = decide(150_000, Some(DesiredOutcome::Refund));
        assert_eq!(
            decision.actions,
            vec![
                Action::RequestRefundApplication,
                Action::refund(150_000, "RUB", false)
            ]
        );
    }

    #[test]
    fn nothing_to_compensate_is_r11() {
        let decision = decide(0, None);
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R11"]);
    }

    #[test]
    fn reasons_name_the_values_compared() {
        let decision = decide(35_000, None);
        assert_eq!(
            decision.reasons[0].text,
            "damaged goods worth 350.00 RUB, below promo_max 500.00 RUB, first claim: promo code of the claim value"
        );
    }
}
