//! R9: the sorry-coupon, a goodwill promo code capped at the order total, and the
//! per-customer limit of `sorry_coupons_per_30d` above which office staff decide.

use arbiter_sdk::prelude::*;

use crate::case::Case;

/// The window the coupon limit counts over, in days.
const COUPON_WINDOW_DAYS: u32 = 30;

/// A sorry-coupon for the case, given because of `rule` (`why` says what happened).
/// The fraud screen and the envelope, not this policy, withhold it from a risky customer.
pub(crate) fn sorry_coupon(case: &Case, rule: &str, why: &str) -> Decision {
    let settings = case.settings;
    let claim = case.claim;
    let given = case
        .history
        .sorry_coupons_within(claim.now, COUPON_WINDOW_DAYS);
    let this_one = given.saturating_add(1);
    let limit = settings.sorry_coupons_per_30d;
    if this_one > usize::try_from(limit).unwrap_or(usize::MAX) {
        return office_staff(
            rule,
            why,
            format!(
                "this would be the customer's sorry-coupon number {this_one} within {COUPON_WINDOW_DAYS} days \
                 ({given} already given), more than sorry_coupons_per_30d {limit}: office staff decide instead"
            ),
        );
    }

    let standard = settings.sorry_coupon;
    let total = claim.order.total;
    let amount = standard.min(total);
    if amount <= 0 {
        return office_staff(
            rule,
            why,
            format!(
                "the order total is {}, so no sorry-coupon fits under it: office staff decide",
                case.show(total)
            ),
        );
    }
    let size = if amount < standard {
        format!(
            "sorry-coupon of {}: sorry_coupon {} capped at the order total",
            case.show(amount),
            case.show(standard)
        )
    } else {
        format!(
            "sorry-coupon of {} (sorry_coupon), within the order total {}",
            case.show(amount),
            case.show(total)
        )
    };
    Decision::new(Outcome::Compensate)
        .with(Action::SorryCoupon(claim.money(amount)))
        .because(rule, why)
        .because(
            "R9",
            format!(
                "{size}; the customer's coupon number {this_one} within {COUPON_WINDOW_DAYS} days, \
                 sorry_coupons_per_30d {limit}"
            ),
        )
}

/// Escalation instead of a coupon: the kind's rule first, then R9 with `note`.
fn office_staff(rule: &str, why: &str, note: String) -> Decision {
    Decision::new(Outcome::Escalate)
        .with(Action::escalate_to_office_staff(format!("{why}; {note}")))
        .because(rule, why)
        .because("R9", note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::StandardSettings;
    use crate::testing::{clean, past};
    use arbiter_sdk::sample;
    use arbiter_sdk::time::DAY_MS;
    use rstest::rstest;

    fn coupon(total: i64, coupons_given_days_ago: &[i64], limit: u32) -> Decision {
        let mut claim = sample::claim(ClaimKind::DeliveryProblem);
        claim.order.total = total;
        let mut history = clean();
        history.earlier_claims = coupons_given_days_ago
            .iter()
            .map(|days| {
                let mut earlier = past(ClaimKind::DeliveryProblem, claim.now - days * DAY_MS);
                earlier.sorry_coupon_given = true;
                earlier
            })
            .collect();
        let settings = StandardSettings {
            sorry_coupons_per_30d: limit,
            ..StandardSettings::default()
        };
        sorry_coupon(
            &Case::new(&claim, &history, &settings),
            "R8.3",
            "moved without notice",
        )
    }

    #[rstest]
    #[case::first(459_000, &[], 2, 30_000)]
    #[case::second(459_000, &[3], 2, 30_000)]
    #[case::old_coupons_do_not_count(459_000, &[31, 40, 100], 2, 30_000)]
    #[case::capped_at_the_order_total(12_000, &[], 2, 12_000)]
    fn coupon_is_given(
        #[case] total: i64,
        #[case] given: &[i64],
        #[case] limit: u32,
        #[case] amount: i64,
    ) {
        let decision = coupon(total, given, limit);
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(
            decision.actions,
            vec![Action::SorryCoupon(Money::new(amount, "RUB"))]
        );
        assert_eq!(decision.rules(), vec!["R8.3", "R9"]);
    }

    #[rstest]
    #[case::third_within_30_days(459_000, &[1, 29], 2)]
    #[case::limit_zero(459_000, &[], 0)]
    #[case::empty_order(0, &[], 2)]
    fn coupon_goes_to_office_staff(#[case] total: i64, #[case] given: &[i64], #[case] limit: u32) {
        let decision = coupon(total, given, limit);
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert!(!decision.moves_money());
        assert!(matches!(decision.actions[..], [Action::Escalate(_)]));
        assert_eq!(decision.rules(), vec!["R8.3", "R9"]);
    }

    #[test]
    fn the_limit_reason_names_the_count() {
        let decision = coupon(459_000, &[1, 2], 2);
        assert!(
            decision.reasons[1].text.contains("number 3"),
            "{}",
            decision.reasons[1].text
        );
        assert!(decision.reasons[1].text.contains("sorry_coupons_per_30d 2"));
    }
}
