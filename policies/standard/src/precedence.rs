//! The order in which the rules decide (the rulebook's precedence 2-6): unknown orders,
//! the dispute window, the seller's silence, the kind's rules, the customer's silence.
//! The fraud screen (1) and the envelope (7) are the host's, over whatever comes out.

use arbiter_sdk::prelude::*;

use crate::case::{Case, span};
use crate::kinds;
use crate::payer::payer;
use crate::step::Step;
use crate::tiers;

/// Kinds that a claim opened later than `dispute_window_days` after delivery takes to
/// office staff (returns and document requests have their own rules).
const DISPUTED_LATE: [ClaimKind; 6] = [
    ClaimKind::Damaged,
    ClaimKind::ShortShipment,
    ClaimKind::IncompleteSet,
    ClaimKind::WrongItem,
    ClaimKind::SuspectedUsed,
    ClaimKind::DeliveryProblem,
];

/// Kinds paid by the tier table (R1-R3), which a silent seller forfeits.
const TIERED: [ClaimKind; 3] = [
    ClaimKind::Damaged,
    ClaimKind::ShortShipment,
    ClaimKind::IncompleteSet,
];

/// The next step for the case, with its payer.
pub(crate) fn decide(case: &Case) -> Decision {
    let mut decision = next_step(case);
    decision.payer = payer(case.claim, &decision);
    decision
}

fn next_step(case: &Case) -> Decision {
    let claim = case.claim;
    let settings = case.settings;

    // 2. An order the customer never placed: find the orderer.
    if claim.kind == ClaimKind::UnknownOrder {
        return Decision::escalate(
            "U1",
            "the customer was told about an order they never placed: possible fraud against the customer, \
             office staff find who placed it",
        );
    }

    // 3. Too late for a dispute.
    if DISPUTED_LATE.contains(&claim.kind) && claim.opened_later_than(settings.dispute_window_days)
    {
        let late = claim
            .order
            .delivered_at
            .map_or(0, |delivered| claim.opened_at.saturating_sub(delivered));
        return Decision::escalate(
            "R10.3",
            format!(
                "{} claim opened {} after delivery, later than dispute_window_days {}: office staff decide",
                kinds::kind_name(claim.kind),
                span(late),
                settings.dispute_window_days
            ),
        );
    }

    // 4. A silent seller forfeits verification of R1-R3 claims, first case or not.
    if TIERED.contains(&claim.kind) && claim.seller_silent_for(settings.response_days) {
        let context = format!(
            "the seller has not answered for {}, more than response_days {}: decided in the customer's favour \
             without verification",
            span(case.seller_silence()),
            settings.response_days
        );
        return tiers::compensate(case, "R10.1", &context);
    }

    // 6, then 5 over it: the kind's rules, unless they ask a customer who went silent.
    match kinds::decide(case) {
        Step::Asks(asked) if claim.customer_silent_for(settings.response_days) => {
            customer_silent(case, &asked)
        }
        step => step.into_decision(),
    }
}

/// R10.2: the customer has been silent for `response_days`, so nothing more is asked:
/// the claim is decided on the facts at hand, and missing evidence counts against it.
/// Only steps that would ask (evidence, a confirmation, the customer's answer) are
/// replaced; a step that resolves the claim stands.
fn customer_silent(case: &Case, asked: &Decision) -> Decision {
    let instead = asked
        .reasons
        .first()
        .map(|reason| {
            format!(
                " instead of the next step ({}: {})",
                reason.rule, reason.text
            )
        })
        .unwrap_or_default();
    Decision::new(Outcome::Close).because(
        "R10.2",
        format!(
            "the customer has not answered for {}, more than response_days {}: decided on the facts at hand, \
             missing evidence counts against the claim, closed{instead}",
            span(case.customer_silence()),
            case.settings.response_days
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{decide, decide_default, photo, repeat_history};
    use arbiter_sdk::sample;
    use arbiter_sdk::time::DAY_MS;
    use rstest::rstest;

    #[test]
    fn u1_unknown_order_goes_to_office_staff_whatever_else() {
        let mut claim = sample::claim(ClaimKind::UnknownOrder);
        claim.opened_at = claim.now - 30 * DAY_MS;
        claim.order.delivered_at = Some(claim.opened_at - 30 * DAY_MS);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["U1"]);
        assert!(
            decision.reasons[0]
                .text
                .contains("fraud against the customer")
        );
    }

    #[rstest]
    #[case::damaged(ClaimKind::Damaged, None)]
    #[case::short(ClaimKind::ShortShipment, None)]
    #[case::incomplete(ClaimKind::IncompleteSet, None)]
    #[case::wrong(ClaimKind::WrongItem, Some(ClaimSubkind::DifferentModel))]
    #[case::used(ClaimKind::SuspectedUsed, None)]
    #[case::delivery(ClaimKind::DeliveryProblem, Some(ClaimSubkind::DirtyOrCrumpledBox))]
    fn r10_3_late_disputes_go_to_office_staff(
        #[case] kind: ClaimKind,
        #[case] subkind: Option<ClaimSubkind>,
    ) {
        let mut claim = sample::claim(kind);
        claim.subkind = subkind;
        claim.evidence.damage_confirmed = Some(true);
        claim.order.delivered_at = Some(claim.opened_at - 3 * DAY_MS);
        assert_ne!(
            decide_default(&claim).rules(),
            vec!["R10.3"],
            "at the limit"
        );
        claim.order.delivered_at = Some(claim.opened_at - 3 * DAY_MS - 1);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R10.3"]);
        assert!(decision.reasons[0].text.contains("dispute_window_days 3"));
    }

    #[rstest]
    #[case::receipt(ClaimKind::DocumentRequest, ClaimSubkind::Receipt, Outcome::Escalate)]
    #[case::improper_return(ClaimKind::Return, ClaimSubkind::ImproperQuality, Outcome::Pending)]
    fn r10_3_does_not_apply_to_returns_and_documents(
        #[case] kind: ClaimKind,
        #[case] subkind: ClaimSubkind,
        #[case] outcome: Outcome,
    ) {
        let mut claim = sample::claim(kind);
        claim.subkind = Some(subkind);
        claim.order.delivered_at = Some(claim.opened_at - 10 * DAY_MS);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, outcome);
        assert!(!decision.rules().contains(&"R10.3"));
    }

    /// A claim opened four days ago; the seller never answered, the customer did today.
    fn seller_silent(kind: ClaimKind, unit_price: i64) -> Claim {
        let mut claim = sample::claim(kind);
        claim.opened_at = claim.now - 4 * DAY_MS;
        claim.order.delivered_at = Some(claim.opened_at - DAY_MS);
        claim.last_customer_reply_at = Some(claim.now);
        claim.items[0].unit_price = unit_price;
        claim
    }

    #[rstest]
    #[case::damaged_no_evidence(ClaimKind::Damaged, 35_000, vec![Action::PromoCode(Money::new(35_000, "RUB"))])]
    #[case::short_repeat(
        ClaimKind::ShortShipment,
        150_000,
        vec![Action::RequestRefundApplication, Action::refund(150_000, "RUB", false)]
    )]
    #[case::incomplete_unconfirmed(
        ClaimKind::IncompleteSet,
        200_000,
        vec![Action::RequestRefundApplication, Action::refund(200_000, "RUB", false)]
    )]
    fn r10_1_silent_seller_pays_by_tier_without_verification(
        #[case] kind: ClaimKind,
        #[case] price: i64,
        #[case] actions: Vec<Action>,
    ) {
        let claim = seller_silent(kind, price);
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(decision.actions, actions);
        assert_eq!(decision.payer, Some(Payer::Seller));
        assert_eq!(decision.rules(), vec!["R10.1"]);
        assert!(decision.reasons[0].text.contains("response_days 3"));
    }

    #[test]
    fn r10_1_above_refund_max_still_escalates() {
        let claim = seller_silent(ClaimKind::Damaged, 200_001);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R10.1"]);
    }

    #[test]
    fn r10_1_counts_from_the_sellers_last_reply() {
        let mut claim = seller_silent(ClaimKind::ShortShipment, 35_000);
        claim.last_seller_reply_at = Some(claim.now - 3 * DAY_MS);
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(
            decision.rules(),
            vec!["R2.2"],
            "silent exactly response_days is not forfeit"
        );
        claim.last_seller_reply_at = Some(claim.now - 3 * DAY_MS - 1);
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.rules(), vec!["R10.1"]);
    }

    #[test]
    fn r10_1_other_kinds_do_not_wait_on_the_seller() {
        let mut claim = seller_silent(ClaimKind::WrongItem, 35_000);
        claim.subkind = Some(ClaimSubkind::DifferentItem);
        let decision = decide_default(&claim);
        assert_eq!(decision.rules(), vec!["R4.1"]);
    }

    /// A claim opened four days ago; the seller answered today, the customer never did.
    fn customer_silent(kind: ClaimKind) -> Claim {
        let mut claim = sample::claim(kind);
        claim.opened_at = claim.now - 4 * DAY_MS;
        claim.order.delivered_at = Some(claim.opened_at - DAY_MS);
        claim.last_seller_reply_at = Some(claim.now);
        claim
    }

    #[rstest]
    #[case::r1_1_photos(ClaimKind::Damaged, None, "R1.1")]
    #[case::r3_1_category_manager(ClaimKind::IncompleteSet, None, "R3.1")]
    #[case::r4_1_receipt(ClaimKind::WrongItem, Some(ClaimSubkind::DifferentItem), "R4.1")]
    #[case::r7_1_signs_of_use(ClaimKind::SuspectedUsed, None, "R7.1")]
    #[case::r8_2_another_date(
        ClaimKind::DeliveryProblem,
        Some(ClaimSubkind::InconvenientDate),
        "R8.2"
    )]
    fn r10_2_silent_customer_is_not_asked_again(
        #[case] kind: ClaimKind,
        #[case] subkind: Option<ClaimSubkind>,
        #[case] would_have: &str,
    ) {
        let mut claim = customer_silent(kind);
        claim.subkind = subkind;
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Close);
        assert!(decision.actions.is_empty());
        assert_eq!(decision.payer, None);
        assert_eq!(decision.rules(), vec!["R10.2"]);
        assert!(
            decision.reasons[0].text.contains(would_have),
            "{}",
            decision.reasons[0].text
        );
    }

    #[test]
    fn r10_2_closes_a_repeat_short_shipment_waiting_on_the_warehouse() {
        let claim = customer_silent(ClaimKind::ShortShipment);
        let decision = decide(&claim, &repeat_history(&claim), "");
        assert_eq!(decision.outcome, Outcome::Close);
        assert_eq!(decision.rules(), vec!["R10.2"]);
    }

    #[test]
    fn r10_2_closes_a_wait_for_the_customers_answer() {
        let mut claim = customer_silent(ClaimKind::WrongItem);
        claim.evidence.documents_match_order = Some(false);
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Close);
        assert_eq!(decision.rules(), vec!["R10.2"]);
    }

    #[test]
    fn r10_2_decisions_that_resolve_the_claim_stand() {
        // Confirmed damage is paid.
        let mut claim = customer_silent(ClaimKind::Damaged);
        claim.evidence.photos = vec![photo("a")];
        claim.evidence.damage_confirmed = Some(true);
        assert_eq!(decide_default(&claim).outcome, Outcome::Compensate);
        // Photos awaiting support's review do not wait on the customer.
        claim.evidence.damage_confirmed = None;
        assert_eq!(decide_default(&claim).rules(), vec!["R1.2"]);
        // A return goes on.
        let mut claim = customer_silent(ClaimKind::Return);
        claim.subkind = Some(ClaimSubkind::ProperQuality);
        assert_eq!(decide_default(&claim).outcome, Outcome::Pending);
        // A mix-up the customer does not keep: the return and the re-routing go on.
        let mut claim = customer_silent(ClaimKind::WrongItem);
        claim.evidence.documents_match_order = Some(false);
        claim.customer_reply.keeps_item = Some(false);
        assert_eq!(decide_default(&claim).rules(), vec!["R4.3"]);
    }

    #[test]
    fn r10_2_counts_from_the_customers_last_reply() {
        let mut claim = customer_silent(ClaimKind::Damaged);
        claim.last_customer_reply_at = Some(claim.now - 3 * DAY_MS);
        assert_eq!(decide_default(&claim).rules(), vec!["R1.1"]);
        claim.last_customer_reply_at = Some(claim.now - 3 * DAY_MS - 1);
        assert_eq!(decide_default(&claim).rules(), vec!["R10.2"]);
    }

    #[test]
    fn precedence_order_late_before_silent_seller() {
        let mut claim = seller_silent(ClaimKind::Damaged, 35_000);
        claim.order.delivered_at = Some(claim.opened_at - 4 * DAY_MS);
        assert_eq!(decide_default(&claim).rules(), vec!["R10.3"]);
    }

    #[test]
    fn precedence_silent_seller_before_silent_customer() {
        let mut claim = seller_silent(ClaimKind::Damaged, 35_000);
        claim.last_customer_reply_at = None;
        assert_eq!(decide_default(&claim).rules(), vec!["R10.1"]);
    }
}
