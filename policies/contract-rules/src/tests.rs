//! Each rule with an answer that keeps it and one that breaks it, and the exact words.

use super::*;

const CLAIM: ClaimView<'static> = ClaimView {
    currency: "RUB",
    kind: ClaimKind::Other,
};

fn rub(amount: i64) -> MoneyView<'static> {
    MoneyView {
        amount,
        currency: "RUB",
    }
}

fn reason(rule: &'static str, text: &'static str) -> ReasonView<'static> {
    ReasonView { rule, text }
}

/// A promo code of 1.00 RUB paid by the seller, for one reason.
fn promo() -> DecisionView<'static> {
    DecisionView {
        outcome: Outcome::Compensate,
        actions: vec![ActionView::PromoCode(rub(100))],
        payer_named: true,
        eta_days: None,
        reasons: vec![reason("R1.2", "tier")],
    }
}

fn with_actions(actions: Vec<ActionView<'static>>) -> DecisionView<'static> {
    DecisionView { actions, ..promo() }
}

fn escalate() -> DecisionView<'static> {
    DecisionView {
        outcome: Outcome::Escalate,
        actions: vec![ActionView::Escalate { note: "look" }],
        payer_named: false,
        ..promo()
    }
}

fn refund(amount: i64, requires_return: bool) -> ActionView<'static> {
    ActionView::Refund {
        money: rub(amount),
        requires_return,
    }
}

/// A text built for a test, kept for the test's whole run.
fn leaked(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn items(count: usize, bytes: usize) -> &'static [String] {
    Box::leak(vec!["x".repeat(bytes); count].into_boxed_slice())
}

fn claim(kind: ClaimKind) -> ClaimView<'static> {
    ClaimView { kind, ..CLAIM }
}

#[test]
fn decisions_that_keep_every_rule_pass() {
    let caps = OutputCaps::DEFAULT;
    let at_the_caps = [
        ("a promo code", promo(), CLAIM),
        ("nothing moves", escalate(), CLAIM),
        (
            "a zero amount",
            with_actions(vec![ActionView::SorryCoupon(rub(0))]),
            CLAIM,
        ),
        (
            "the largest amount",
            with_actions(vec![refund(MAX_AMOUNT, false)]),
            CLAIM,
        ),
        (
            "a replacement",
            with_actions(vec![ActionView::Replacement]),
            CLAIM,
        ),
        (
            "a return's refund takes the goods back",
            with_actions(vec![refund(100, true)]),
            claim(ClaimKind::Return),
        ),
        (
            "a short shipment's refund",
            with_actions(vec![refund(100, false)]),
            claim(ClaimKind::ShortShipment),
        ),
        (
            "as many actions as the cap",
            with_actions([ActionView::ReturnShippingRefund(rub(1))].repeat(caps.max_actions)),
            CLAIM,
        ),
        (
            "evidence at the caps",
            DecisionView {
                outcome: Outcome::Pending,
                actions: vec![ActionView::RequestEvidence(items(
                    caps.max_reasons,
                    caps.max_text_bytes,
                ))],
                payer_named: false,
                ..promo()
            },
            CLAIM,
        ),
        (
            "reasons at the caps",
            DecisionView {
                reasons: vec![
                    reason(
                        leaked("R".repeat(MAX_RULE_BYTES)),
                        leaked("x".repeat(caps.max_text_bytes))
                    );
                    caps.max_reasons
                ],
                ..promo()
            },
            CLAIM,
        ),
        (
            "the furthest eta",
            DecisionView {
                eta_days: Some(MAX_ETA_DAYS),
                ..escalate()
            },
            CLAIM,
        ),
    ];
    for (name, decision, claim) in at_the_caps {
        assert_eq!(check_decision(&decision, claim, &caps), Ok(()), "{name}");
    }
}

#[test]
fn each_broken_rule_is_refused_in_the_hosts_words() {
    use ViolationKind::{InvalidDecision as Invalid, OutputTooLarge as TooLarge};
    let caps = OutputCaps::DEFAULT;
    let long = leaked("x".repeat(caps.max_text_bytes + 1));
    let broken = [
        (
            "a negative amount",
            with_actions(vec![ActionView::PromoCode(rub(-1))]),
            CLAIM,
            Invalid,
            "negative amount -1".to_owned(),
        ),
        (
            "too large an amount",
            with_actions(vec![refund(MAX_AMOUNT + 1, false)]),
            CLAIM,
            Invalid,
            format!("amount {} is more than {MAX_AMOUNT}", MAX_AMOUNT + 1),
        ),
        (
            "another currency",
            with_actions(vec![ActionView::ReturnShippingRefund(MoneyView {
                amount: 100,
                currency: "EUR",
            })]),
            CLAIM,
            Invalid,
            "amount in EUR, but the order is in RUB".to_owned(),
        ),
        (
            "a return's refund that leaves the goods",
            with_actions(vec![refund(100, false)]),
            claim(ClaimKind::Return),
            Invalid,
            "a refund for a return must require the goods back".to_owned(),
        ),
        (
            "a short shipment's refund that wants a return",
            with_actions(vec![refund(100, true)]),
            claim(ClaimKind::ShortShipment),
            Invalid,
            "a refund for a short shipment cannot require a return: the units never arrived"
                .to_owned(),
        ),
        (
            "too many actions",
            DecisionView {
                actions: vec![ActionView::Other; caps.max_actions + 1],
                ..escalate()
            },
            CLAIM,
            TooLarge,
            "33 actions, more than 32".to_owned(),
        ),
        (
            "too many evidence items",
            DecisionView {
                actions: vec![ActionView::RequestEvidence(items(caps.max_reasons + 1, 1))],
                ..escalate()
            },
            CLAIM,
            TooLarge,
            "request_evidence lists too many items".to_owned(),
        ),
        (
            "too long an evidence item",
            DecisionView {
                actions: vec![ActionView::RequestEvidence(items(
                    1,
                    caps.max_text_bytes + 1,
                ))],
                ..escalate()
            },
            CLAIM,
            TooLarge,
            "request_evidence item of 2001 bytes, more than 2000".to_owned(),
        ),
        (
            "too long an escalation note",
            DecisionView {
                actions: vec![ActionView::Escalate { note: long }],
                ..escalate()
            },
            CLAIM,
            TooLarge,
            "escalate note of 2001 bytes, more than 2000".to_owned(),
        ),
        (
            "no reason",
            DecisionView {
                reasons: Vec::new(),
                ..promo()
            },
            CLAIM,
            Invalid,
            "the decision gives no reason".to_owned(),
        ),
        (
            "too many reasons",
            DecisionView {
                reasons: vec![reason("R1", "tier"); caps.max_reasons + 1],
                ..promo()
            },
            CLAIM,
            TooLarge,
            "33 reasons, more than 32".to_owned(),
        ),
        (
            "an empty rule id",
            DecisionView {
                reasons: vec![reason("", "tier")],
                ..promo()
            },
            CLAIM,
            Invalid,
            "rule id must be 1 to 64 bytes".to_owned(),
        ),
        (
            "too long a rule id",
            DecisionView {
                reasons: vec![reason(leaked("R".repeat(MAX_RULE_BYTES + 1)), "tier")],
                ..promo()
            },
            CLAIM,
            Invalid,
            "rule id must be 1 to 64 bytes".to_owned(),
        ),
        (
            "too long a reason",
            DecisionView {
                reasons: vec![reason("R1", long)],
                ..promo()
            },
            CLAIM,
            TooLarge,
            "reason of 2001 bytes, more than 2000".to_owned(),
        ),
        (
            "too far an eta",
            DecisionView {
                eta_days: Some(MAX_ETA_DAYS + 1),
                ..escalate()
            },
            CLAIM,
            Invalid,
            "eta_days 366 is more than 365".to_owned(),
        ),
        (
            "compensate without compensation",
            DecisionView {
                outcome: Outcome::Compensate,
                ..escalate()
            },
            CLAIM,
            Invalid,
            "outcome compensate without a compensation action".to_owned(),
        ),
        (
            "money with outcome pending",
            DecisionView {
                outcome: Outcome::Pending,
                ..promo()
            },
            CLAIM,
            Invalid,
            "compensation actions with outcome Pending; only compensate gives money".to_owned(),
        ),
        (
            "a replacement with outcome inform",
            DecisionView {
                outcome: Outcome::Inform,
                ..with_actions(vec![ActionView::Replacement])
            },
            CLAIM,
            Invalid,
            "compensation actions with outcome Inform; only compensate gives money".to_owned(),
        ),
        (
            "money without a payer",
            DecisionView {
                payer_named: false,
                ..with_actions(vec![refund(150_000, false)])
            },
            CLAIM,
            Invalid,
            "money moves but no payer is named".to_owned(),
        ),
        (
            "a payer without money",
            DecisionView {
                payer_named: true,
                ..escalate()
            },
            CLAIM,
            Invalid,
            "a payer is named but no money moves".to_owned(),
        ),
        (
            "the first broken rule is the one named",
            DecisionView {
                reasons: Vec::new(),
                payer_named: false,
                ..with_actions(vec![ActionView::PromoCode(rub(-5))])
            },
            CLAIM,
            Invalid,
            "negative amount -5".to_owned(),
        ),
    ];
    for (name, decision, claim, kind, detail) in broken {
        assert_eq!(
            check_decision(&decision, claim, &caps),
            Err(Violation { kind, detail }),
            "{name}"
        );
    }
}

#[test]
fn caps_are_the_callers() {
    let tight = OutputCaps {
        max_actions: 1,
        ..OutputCaps::DEFAULT
    };
    let two = with_actions(vec![ActionView::PromoCode(rub(1)), ActionView::Replacement]);
    assert_eq!(check_decision(&two, CLAIM, &OutputCaps::DEFAULT), Ok(()));
    assert_eq!(
        check_decision(&two, CLAIM, &tight).map_err(|violation| violation.to_string()),
        Err("output_too_large: 2 actions, more than 1".to_owned())
    );
}

#[test]
fn assessments_add_no_compensation_and_their_decision_is_checked() {
    let caps = OutputCaps::DEFAULT;
    let signal = reason("F2", "photo seen before");
    let calm = AssessmentView {
        signals: vec![signal],
        extra_actions: vec![ActionView::Escalate { note: "look" }, ActionView::Other],
        platform_decision: Some(escalate()),
    };
    assert_eq!(check_assessment(&calm, CLAIM, &caps), Ok(()));

    let broken = [
        (
            AssessmentView {
                extra_actions: vec![ActionView::Replacement],
                ..calm.clone()
            },
            "invalid_decision: the fraud screen may not add compensation",
        ),
        (
            AssessmentView {
                platform_decision: Some(DecisionView {
                    payer_named: true,
                    ..escalate()
                }),
                ..calm.clone()
            },
            "invalid_decision: a payer is named but no money moves",
        ),
        (
            AssessmentView {
                signals: vec![signal; caps.max_reasons + 1],
                ..calm.clone()
            },
            "output_too_large: 33 reasons, more than 32",
        ),
        (
            AssessmentView {
                extra_actions: vec![ActionView::PromoCode(rub(-1))],
                ..calm.clone()
            },
            "invalid_decision: negative amount -1",
        ),
        (
            AssessmentView {
                signals: vec![reason("", "x")],
                ..calm
            },
            "invalid_decision: rule id must be 1 to 64 bytes",
        ),
    ];
    for (assessment, shown) in broken {
        assert_eq!(
            check_assessment(&assessment, CLAIM, &caps).map_err(|violation| violation.to_string()),
            Err(shown.to_owned())
        );
    }
}

#[test]
fn compensation_is_money_or_a_replacement() {
    let cases = [
        (ActionView::PromoCode(rub(1)), Some(rub(1)), true),
        (ActionView::SorryCoupon(rub(2)), Some(rub(2)), true),
        (refund(3, true), Some(rub(3)), true),
        (ActionView::ReturnShippingRefund(rub(4)), Some(rub(4)), true),
        (ActionView::Replacement, None, true),
        (ActionView::RequestEvidence(&[]), None, false),
        (ActionView::Escalate { note: "look" }, None, false),
        (ActionView::Other, None, false),
    ];
    for (action, money, compensates) in cases {
        assert_eq!(action.money(), money, "{action:?}");
        assert_eq!(action.is_compensation(), compensates, "{action:?}");
    }
    assert!(promo().moves_money());
    assert!(!escalate().moves_money());
}
