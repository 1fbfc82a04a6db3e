//! The platform envelope: what the host enforces over any module's answer.
//!
//! First every value a module returns is checked against the contract (sizes, amounts,
//! currency, consistency: the rules of `arbiter-contract-rules`, which the SDK's tests
//! apply too); a decision that fails is the module's failure, not the customer's. Then
//! the platform's guardrails apply over whatever the module decided: the fraud screen's
//! risk effects and the cap on a single compensation. A guardrail never fails a
//! request: it downgrades the decision to office staff and says why.

use arbiter_contract_rules as rules;

use crate::contract::{self as c, Action, DecisionRequest, Outcome, Reason, Risk};
use crate::engine::OutputLimits;
use crate::guardrails::Guardrails;
use crate::history::Spending;
use crate::world::types as w;

/// A module's answer that breaks the contract, and which way: the decide step makes it
/// the module's failure (`invalid_decision`, `output_too_large`).
pub use arbiter_contract_rules::{MAX_ETA_DAYS, MAX_RULE_BYTES, Violation, ViolationKind};

/// A decision on its way to the marketplace, in the contract's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub outcome: Outcome,
    pub actions: Vec<Action>,
    pub payer: Option<c::Payer>,
    pub eta_days: Option<u32>,
    pub reasons: Vec<Reason>,
}

impl Draft {
    /// Office staff decide, for `reason`.
    pub fn escalate(rule: &str, note: impl Into<String>) -> Self {
        let note = note.into();
        Self {
            outcome: Outcome::Escalate,
            actions: vec![Action::escalate_to_office_staff(note.clone())],
            payer: None,
            eta_days: None,
            reasons: vec![Reason::new(rule, note)],
        }
    }

    /// A module's decision, once [`check_decision`] accepted it.
    pub fn from_module(decision: &w::Decision) -> Self {
        Self {
            outcome: crate::convert::outcome(decision.outcome),
            actions: decision
                .actions
                .iter()
                .map(crate::convert::action)
                .collect(),
            payer: decision.payer.map(crate::convert::payer),
            eta_days: decision.eta_days,
            reasons: decision
                .reasons
                .iter()
                .map(|reason| Reason::new(reason.rule.clone(), reason.text.clone()))
                .collect(),
        }
    }
}

/// Checks every value of a module's decision for `request`, its size against `caps`.
pub fn check_decision(
    decision: &w::Decision,
    request: &DecisionRequest,
    caps: &OutputLimits,
) -> Result<(), Violation> {
    rules::check_decision(
        &decision_view(decision),
        claim_view(request),
        &output_caps(caps),
    )
}

/// Checks a fraud screen's assessment for `request`, its size against `caps`.
pub fn check_assessment(
    assessment: &w::Assessment,
    request: &DecisionRequest,
    caps: &OutputLimits,
) -> Result<(), Violation> {
    let view = rules::AssessmentView {
        signals: assessment
            .signals
            .iter()
            .map(|signal| rules::ReasonView {
                rule: &signal.rule,
                text: &signal.text,
            })
            .collect(),
        extra_actions: assessment.extra_actions.iter().map(action_view).collect(),
        platform_decision: assessment.platform_decision.as_ref().map(decision_view),
    };
    rules::check_assessment(&view, claim_view(request), &output_caps(caps))
}

fn output_caps(limits: &OutputLimits) -> rules::OutputCaps {
    rules::OutputCaps {
        max_actions: limits.max_actions,
        max_reasons: limits.max_reasons,
        max_text_bytes: limits.max_text_bytes,
    }
}

fn claim_view(request: &DecisionRequest) -> rules::ClaimView<'_> {
    rules::ClaimView {
        currency: &request.order.currency,
        kind: match request.kind {
            c::ClaimKind::Return => rules::ClaimKind::Return,
            c::ClaimKind::ShortShipment => rules::ClaimKind::ShortShipment,
            _ => rules::ClaimKind::Other,
        },
    }
}

fn decision_view(decision: &w::Decision) -> rules::DecisionView<'_> {
    rules::DecisionView {
        outcome: match decision.outcome {
            w::Outcome::Compensate => rules::Outcome::Compensate,
            w::Outcome::Pending => rules::Outcome::Pending,
            w::Outcome::Escalate => rules::Outcome::Escalate,
            w::Outcome::Reject => rules::Outcome::Reject,
            w::Outcome::Close => rules::Outcome::Close,
            w::Outcome::Inform => rules::Outcome::Inform,
        },
        actions: decision.actions.iter().map(action_view).collect(),
        payer_named: decision.payer.is_some(),
        eta_days: decision.eta_days,
        reasons: decision
            .reasons
            .iter()
            .map(|reason| rules::ReasonView {
                rule: &reason.rule,
                text: &reason.text,
            })
            .collect(),
    }
}

fn money(money: &w::Money) -> rules::MoneyView<'_> {
    rules::MoneyView {
        amount: money.amount,
        currency: &money.currency,
    }
}

fn action_view(action: &w::Action) -> rules::ActionView<'_> {
    match action {
        w::Action::PromoCode(amount) => rules::ActionView::PromoCode(money(amount)),
        w::Action::SorryCoupon(amount) => rules::ActionView::SorryCoupon(money(amount)),
        w::Action::ReturnShippingRefund(amount) => {
            rules::ActionView::ReturnShippingRefund(money(amount))
        }
        w::Action::Refund(refund) => rules::ActionView::Refund {
            money: rules::MoneyView {
                amount: refund.amount,
                currency: &refund.currency,
            },
            requires_return: refund.requires_return,
        },
        w::Action::Replacement => rules::ActionView::Replacement,
        w::Action::RequestEvidence(items) => rules::ActionView::RequestEvidence(items),
        w::Action::Escalate(escalation) => rules::ActionView::Escalate {
            note: &escalation.note,
        },
        w::Action::RequestConfirmation(_)
        | w::Action::RequestRefundApplication
        | w::Action::SendDocument(_)
        | w::Action::FollowUp
        | w::Action::ExplainCorrectItem
        | w::Action::StartReturn(_)
        | w::Action::OfferReorder
        | w::Action::UpdateProductCard
        | w::Action::CancelOrder
        | w::Action::BlockAccount
        | w::Action::RelabelTicket => rules::ActionView::Other,
    }
}

/// Applies the platform's guardrails to `draft`: the risk effects, the cap on a single
/// compensation (the order total plus return shipping), then the operator's caps on a
/// shop's daily and a customer's 30-day compensation.
pub fn apply_guardrails(
    mut draft: Draft,
    risk: Risk,
    request: &DecisionRequest,
    spending: Spending,
    guardrails: Guardrails,
) -> Draft {
    match risk {
        Risk::Hard => {
            let removed = remove_actions(&mut draft, Action::is_compensation);
            if !draft.actions.contains(&Action::BlockAccount) {
                draft.actions.insert(0, Action::BlockAccount);
            }
            downgrade(
                &mut draft,
                "E1",
                format!(
                    "hard fraud risk: no compensation of any kind{}, the account is blocked",
                    removed_note(&removed)
                ),
            );
        }
        Risk::Soft => {
            let removed = remove_actions(&mut draft, Action::is_compensation);
            if !removed.is_empty() {
                downgrade(
                    &mut draft,
                    "E1",
                    format!(
                        "soft fraud risk: no promo codes or coupons, money only after office staff review{}",
                        removed_note(&removed)
                    ),
                );
            }
        }
        Risk::None => {}
    }

    let shipping = request.return_shipment.shipping_cost.unwrap_or(0);
    let cap = request.order.total.saturating_add(shipping);
    if draft
        .actions
        .iter()
        .filter_map(Action::money_amount)
        .any(|amount| amount > cap)
    {
        let removed = remove_actions(&mut draft, Action::is_compensation);
        downgrade(
            &mut draft,
            "E2",
            format!(
                "a single compensation may not exceed the order total plus return shipping ({cap} minor units){}",
                removed_note(&removed)
            ),
        );
    }

    let given: i64 = draft
        .actions
        .iter()
        .filter_map(Action::money_amount)
        .fold(0, i64::saturating_add);
    let caps = [
        (
            "E3",
            "the shop's daily compensation cap",
            spending.shop_today,
            guardrails.shop_daily_cap,
        ),
        (
            "E4",
            "the customer's 30-day compensation cap",
            spending.customer_30d,
            guardrails.customer_30d_cap,
        ),
    ];
    for (rule, what, spent, cap) in caps {
        if let Some(cap) = cap
            && given > 0
            && spent.saturating_add(given) > cap
        {
            let removed = remove_actions(&mut draft, Action::is_compensation);
            downgrade(
                &mut draft,
                rule,
                format!(
                    "{what} ({cap} minor units) would be passed: {spent} given already, {given} more asked{}",
                    removed_note(&removed)
                ),
            );
            break;
        }
    }
    draft
}

/// Removes the actions matching `remove`, and returns them.
fn remove_actions(draft: &mut Draft, remove: impl Fn(&Action) -> bool) -> Vec<Action> {
    let (removed, kept) = draft.actions.drain(..).partition(|action| remove(action));
    draft.actions = kept;
    removed
}

/// Sends `draft` to office staff for `note`: outcome escalate, no payer unless money is
/// still moving, an escalate action and a reason.
fn downgrade(draft: &mut Draft, rule: &str, note: String) {
    draft.outcome = Outcome::Escalate;
    if !draft.actions.iter().any(Action::is_compensation) {
        draft.payer = None;
    }
    let escalated = draft
        .actions
        .iter()
        .any(|action| matches!(action, Action::Escalate { .. }));
    if !escalated {
        draft
            .actions
            .push(Action::escalate_to_office_staff(note.clone()));
    }
    draft.reasons.push(Reason::new(rule, note));
}

fn removed_note(removed: &[Action]) -> String {
    if removed.is_empty() {
        return String::new();
    }
    let names: Vec<String> = removed
        .iter()
        .filter_map(|action| {
            serde_json::to_value(action).ok().and_then(|value| {
                value
                    .get("type")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
            })
        })
        .collect();
    format!(" (removed: {})", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Payer;

    fn request(total: i64, shipping: Option<i64>) -> DecisionRequest {
        let body = serde_json::json!({
            "claim_id": "c-1", "revision": 1, "shop_id": "s-1",
            "now": "2026-11-20T10:00:00Z", "opened_at": "2026-11-20T09:55:00Z",
            "kind": "damaged",
            "order": {"order_id": "o-1", "currency": "RUB", "total": total,
                      "placed_at": "2026-11-15T12:00:00Z", "fulfilment": "3p", "courier": "seller"},
            "items": [{"sku": "a", "title": "A", "unit_price": 100, "quantity_ordered": 1,
                       "quantity_affected": 1, "category": "c"}],
            "customer": {"customer_id": "u-1", "account_created_at": "2024-01-01T00:00:00Z"},
            "return_shipment": {"received_at": null, "shipping_cost": shipping}
        });
        crate::contract::parse_request(&serde_json::to_vec(&body).unwrap_or_default())
            .unwrap_or_else(|error| panic!("{error}"))
    }

    fn promo(amount: i64) -> Action {
        Action::PromoCode {
            amount,
            currency: "RUB".into(),
        }
    }

    fn refund(amount: i64) -> Action {
        Action::Refund {
            amount,
            currency: "RUB".into(),
            requires_return: false,
        }
    }

    fn compensate(actions: Vec<Action>) -> Draft {
        Draft {
            outcome: Outcome::Compensate,
            actions,
            payer: Some(Payer::Seller),
            eta_days: None,
            reasons: vec![Reason::new("R1.2", "tier")],
        }
    }

    #[test]
    fn no_risk_leaves_the_decision_alone() {
        let draft = compensate(vec![promo(35_000)]);
        assert_eq!(
            apply_guardrails(
                draft.clone(),
                Risk::None,
                &request(459_000, None),
                Spending::default(),
                Guardrails::default()
            ),
            draft
        );
    }

    #[test]
    fn hard_risk_removes_all_compensation_and_blocks() {
        let draft = compensate(vec![Action::RequestRefundApplication, refund(150_000)]);
        let guarded = apply_guardrails(
            draft,
            Risk::Hard,
            &request(459_000, None),
            Spending::default(),
            Guardrails::default(),
        );
        assert_eq!(guarded.outcome, Outcome::Escalate);
        assert_eq!(guarded.payer, None);
        assert!(guarded.actions.contains(&Action::BlockAccount));
        assert!(!guarded.actions.iter().any(Action::is_compensation));
        assert!(
            guarded
                .actions
                .iter()
                .any(|action| matches!(action, Action::Escalate { .. }))
        );
        assert_eq!(guarded.reasons.last().map(|r| r.rule.as_str()), Some("E1"));
    }

    #[test]
    fn soft_risk_removes_promo_codes_and_sends_money_to_review() {
        for actions in [vec![promo(35_000)], vec![refund(150_000)]] {
            let guarded = apply_guardrails(
                compensate(actions),
                Risk::Soft,
                &request(459_000, None),
                Spending::default(),
                Guardrails::default(),
            );
            assert_eq!(guarded.outcome, Outcome::Escalate);
            assert!(!guarded.actions.iter().any(Action::is_compensation));
            assert_eq!(guarded.payer, None);
        }
        let pending = Draft {
            outcome: Outcome::Pending,
            actions: vec![Action::RequestRefundApplication],
            payer: None,
            eta_days: Some(3),
            reasons: vec![Reason::new("R2.2", "ask")],
        };
        assert_eq!(
            apply_guardrails(
                pending.clone(),
                Risk::Soft,
                &request(459_000, None),
                Spending::default(),
                Guardrails::default()
            ),
            pending
        );
    }

    #[test]
    fn a_single_compensation_is_capped_at_total_plus_return_shipping() {
        let at_cap = compensate(vec![refund(1_500)]);
        let guarded = apply_guardrails(
            at_cap.clone(),
            Risk::None,
            &request(1_000, Some(500)),
            Spending::default(),
            Guardrails::default(),
        );
        assert_eq!(guarded, at_cap);
        let over = apply_guardrails(
            compensate(vec![refund(1_501)]),
            Risk::None,
            &request(1_000, Some(500)),
            Spending::default(),
            Guardrails::default(),
        );
        assert_eq!(over.outcome, Outcome::Escalate);
        assert!(!over.actions.iter().any(Action::is_compensation));
        assert_eq!(over.reasons.last().map(|r| r.rule.as_str()), Some("E2"));
    }

    #[test]
    fn spending_caps_send_the_claim_to_office_staff() {
        let guardrails = Guardrails {
            shop_daily_cap: Some(100_000),
            customer_30d_cap: Some(50_000),
        };
        let under = Spending {
            shop_today: 60_000,
            customer_30d: 15_000,
        };
        let draft = compensate(vec![promo(35_000)]);
        assert_eq!(
            apply_guardrails(
                draft.clone(),
                Risk::None,
                &request(459_000, None),
                under,
                guardrails
            ),
            draft
        );
        let shop_over = Spending {
            shop_today: 65_001,
            ..under
        };
        let guarded = apply_guardrails(
            draft.clone(),
            Risk::None,
            &request(459_000, None),
            shop_over,
            guardrails,
        );
        assert_eq!(guarded.outcome, Outcome::Escalate);
        assert!(!guarded.actions.iter().any(Action::is_compensation));
        assert_eq!(guarded.reasons.last().map(|r| r.rule.as_str()), Some("E3"));
        let customer_over = Spending {
            customer_30d: 15_001,
            ..under
        };
        let guarded = apply_guardrails(
            draft,
            Risk::None,
            &request(459_000, None),
            customer_over,
            guardrails,
        );
        assert_eq!(guarded.reasons.last().map(|r| r.rule.as_str()), Some("E4"));
    }

    fn module_decision(actions: Vec<w::Action>, outcome: w::Outcome) -> w::Decision {
        w::Decision {
            outcome,
            payer: actions
                .iter()
                .any(|action| action_view(action).is_compensation())
                .then_some(w::Payer::Seller),
            actions,
            eta_days: None,
            reasons: vec![w::Reason {
                rule: "R1.2".into(),
                text: "tier".into(),
            }],
        }
    }

    fn money(amount: i64, currency: &str) -> w::Money {
        w::Money {
            amount,
            currency: currency.into(),
        }
    }

    #[test]
    fn the_envelope_checks_with_the_shared_rules_and_the_hosts_caps() {
        let caps = OutputLimits::default();
        assert_eq!(output_caps(&caps), rules::OutputCaps::DEFAULT);
        assert_eq!(c::MAX_AMOUNT, rules::MAX_AMOUNT);
    }

    /// The SDK's runtime test (`policies/sdk/src/runtime.rs`) fails a policy's test of
    /// this decision with the same words.
    #[test]
    fn money_without_a_payer_is_refused_in_the_sdks_words() {
        let forgetful = w::Decision {
            payer: None,
            ..module_decision(
                vec![w::Action::Refund(w::Refund {
                    amount: 150_000,
                    currency: "RUB".into(),
                    requires_return: false,
                })],
                w::Outcome::Compensate,
            )
        };
        assert_eq!(
            check_decision(
                &forgetful,
                &request(459_000, None),
                &OutputLimits::default()
            ),
            Err(Violation {
                kind: ViolationKind::InvalidDecision,
                detail: "money moves but no payer is named".to_owned(),
            })
        );
    }

    #[test]
    fn fraud_screens_add_no_compensation() {
        let caps = OutputLimits::default();
        let request = request(459_000, None);
        let assessment = |extra_actions| w::Assessment {
            risk: w::Risk::None,
            signals: Vec::new(),
            platform_decision: None,
            extra_actions,
        };
        assert_eq!(
            check_assessment(&assessment(vec![w::Action::RelabelTicket]), &request, &caps),
            Ok(())
        );
        assert_eq!(
            check_assessment(&assessment(vec![w::Action::Replacement]), &request, &caps),
            Err(Violation {
                kind: ViolationKind::InvalidDecision,
                detail: "the fraud screen may not add compensation".to_owned(),
            })
        );
    }

    #[test]
    fn module_decisions_are_checked_value_by_value() {
        let caps = OutputLimits::default();
        let request = request(459_000, None);
        let good = module_decision(
            vec![w::Action::PromoCode(money(100, "RUB"))],
            w::Outcome::Compensate,
        );
        assert_eq!(check_decision(&good, &request, &caps), Ok(()));

        let invalid = [
            module_decision(
                vec![w::Action::PromoCode(money(-1, "RUB"))],
                w::Outcome::Compensate,
            ),
            module_decision(
                vec![w::Action::PromoCode(money(100, "EUR"))],
                w::Outcome::Compensate,
            ),
            module_decision(Vec::new(), w::Outcome::Compensate),
            module_decision(
                vec![w::Action::PromoCode(money(100, "RUB"))],
                w::Outcome::Pending,
            ),
            w::Decision {
                reasons: Vec::new(),
                ..good.clone()
            },
            w::Decision {
                payer: None,
                ..good.clone()
            },
            w::Decision {
                eta_days: Some(MAX_ETA_DAYS + 1),
                ..good.clone()
            },
        ];
        for decision in invalid {
            let violation = check_decision(&decision, &request, &caps).unwrap_err();
            assert_eq!(
                violation.kind,
                ViolationKind::InvalidDecision,
                "{decision:?}"
            );
        }

        let too_many = module_decision(
            vec![w::Action::FollowUp; caps.max_actions + 1],
            w::Outcome::Inform,
        );
        assert_eq!(
            check_decision(&too_many, &request, &caps).map_err(|v| v.kind),
            Err(ViolationKind::OutputTooLarge)
        );
        let long_reason = w::Decision {
            reasons: vec![w::Reason {
                rule: "R1".into(),
                text: "x".repeat(caps.max_text_bytes + 1),
            }],
            ..good
        };
        assert_eq!(
            check_decision(&long_reason, &request, &caps).map_err(|v| v.kind),
            Err(ViolationKind::OutputTooLarge)
        );
    }
}
