//! The screen as a whole, through the same path a Wasm call takes: settings text in,
//! assessment out. The rulebook scenarios p19 and p21 are here in Rust.

use arbiter_sdk::sample::{self, NOW};
use arbiter_sdk::{Escalation, EscalationTarget, Outcome, PastClaim, Photo, PhotoHistory, runtime};
use rstest::rstest;

use super::*;

const P19_PHOTO: &str = "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea";

fn assess(claim: &Claim, history: &History) -> Assessment {
    assess_with(claim, history, "", "")
}

fn assess_with(claim: &Claim, history: &History, settings: &str, shop: &str) -> Assessment {
    match runtime::assess::<PlatformFraudScreen>(claim, history, settings, shop) {
        Ok(assessment) => assessment,
        Err(error) => panic!("the screen refused the claim: {error:?}"),
    }
}

fn rules(assessment: &Assessment) -> Vec<&str> {
    assessment
        .signals
        .iter()
        .map(|signal| signal.rule.as_str())
        .collect()
}

fn seen(own: bool, others: bool) -> PhotoHistory {
    PhotoHistory {
        sha256: P19_PHOTO.to_owned(),
        seen_in_own_claims: own,
        seen_in_others_claims: others,
    }
}

fn past_claim(claim_id: &str, days_ago: i64) -> PastClaim {
    PastClaim {
        claim_id: claim_id.to_owned(),
        kind: ClaimKind::ShortShipment,
        opened_at: NOW - days_ago * DAY_MS,
        outcome: Outcome::Compensate,
        money_given: Money::new(10_000, "RUB"),
        sorry_coupon_given: false,
        same_shop: false,
    }
}

/// The claim of scenario p19 (both steps share it but for the customer and ids).
fn p19_claim(claim_id: &str, customer_id: &str) -> Claim {
    let mut claim = sample::claim(ClaimKind::Damaged);
    claim.claim_id = claim_id.to_owned();
    claim.shop_id = "p19-shop".to_owned();
    claim.customer.customer_id = customer_id.to_owned();
    claim.customer.account_created_at = 1_706_745_600_000; // 2024-02-01T00:00:00Z
    claim.evidence.photos = vec![Photo {
        sha256: P19_PHOTO.to_owned(),
        shows_labels: true,
    }];
    claim.evidence.damage_confirmed = Some(true);
    claim
}

#[test]
fn p19_first_use_of_a_photo_is_clean() {
    let claim = p19_claim("p19-c1", "p19-other");
    let mut history = sample::clean_history();
    history.photos = vec![seen(false, false)];
    let assessment = assess(&claim, &history);
    assert_eq!(assessment.risk, Risk::None);
    assert!(assessment.signals.is_empty());
    assert_eq!(assessment.platform_decision, None);
    assert!(assessment.extra_actions.is_empty());
}

#[test]
fn p19_a_photo_of_another_customer_is_hard_fraud() {
    let claim = p19_claim("p19-c2", "p19-u1");
    let mut history = sample::clean_history();
    history.photos = vec![seen(false, true)];
    let assessment = assess(&claim, &history);

    assert_eq!(assessment.risk, Risk::Hard);
    assert_eq!(rules(&assessment), vec!["F2"]);
    let Some(decision) = assessment.platform_decision else {
        panic!("hard fraud is decided by the platform");
    };
    assert_eq!(decision.outcome, Outcome::Escalate);
    assert_eq!(decision.payer, None);
    assert!(!decision.moves_money());
    assert_eq!(decision.rules(), vec!["F2"]);
    match decision.actions.as_slice() {
        [
            Action::BlockAccount,
            Action::Escalate(Escalation {
                to: EscalationTarget::OfficeStaff,
                note,
            }),
        ] => assert!(
            note.contains("photo 3f79bb7b… was already used in another customer's claim"),
            "{note}"
        ),
        other => panic!("expected block_account then escalate, got {other:?}"),
    }
    assert!(assessment.extra_actions.is_empty());
}

#[test]
fn p21_an_order_the_customer_never_placed_goes_to_office_staff() {
    let mut claim = sample::claim(ClaimKind::UnknownOrder);
    claim.claim_id = "p21-c1".to_owned();
    claim.order.order_id = "p21-o1".to_owned();
    claim.customer.account_created_at = 1_706_745_600_000;
    let assessment = assess(&claim, &sample::clean_history());

    assert_eq!(assessment.risk, Risk::None);
    assert!(assessment.signals.is_empty());
    let Some(decision) = assessment.platform_decision else {
        panic!("an unknown order is decided by the platform");
    };
    assert_eq!(decision.outcome, Outcome::Escalate);
    assert_eq!(decision.payer, None);
    assert_eq!(decision.rules(), vec![platform::UNKNOWN_ORDER]);
    match decision.actions.as_slice() {
        [
            Action::Escalate(Escalation {
                to: EscalationTarget::OfficeStaff,
                note,
            }),
        ] => assert!(
            note.contains("did not place order p21-o1") && note.contains("against the customer"),
            "{note}"
        ),
        other => panic!("expected one escalation, got {other:?}"),
    }
}

#[test]
fn hard_fraud_beats_an_unknown_order() {
    let claim = sample::claim(ClaimKind::UnknownOrder);
    let mut history = sample::clean_history();
    history.on_hard_fraud_list = true;
    let assessment = assess(&claim, &history);
    assert_eq!(assessment.risk, Risk::Hard);
    let decision = assessment
        .platform_decision
        .unwrap_or_else(|| panic!("decided"));
    assert_eq!(decision.rules(), vec!["F1"]);
    assert_eq!(decision.actions.first(), Some(&Action::BlockAccount));
}

#[test]
fn soft_risk_leaves_an_unknown_order_to_the_platform() {
    let mut claim = sample::claim(ClaimKind::UnknownOrder);
    claim.items[0].unit_price = claim.order.total + 1;
    let assessment = assess(&claim, &sample::clean_history());
    assert_eq!(assessment.risk, Risk::Soft);
    let decision = assessment
        .platform_decision
        .unwrap_or_else(|| panic!("decided"));
    assert_eq!(decision.rules(), vec![platform::UNKNOWN_ORDER]);
}

/// Which signals fire together, and the risk that wins.
#[rstest]
#[case::nothing(false, seen(false, false), 0, Risk::None, vec![])]
#[case::soft_only(false, seen(true, false), 0, Risk::Soft, vec!["F3"])]
#[case::two_soft(false, seen(true, false), 3, Risk::Soft, vec!["F3", "F5"])]
#[case::hard_beats_soft(false, seen(true, true), 3, Risk::Hard, vec!["F2", "F3", "F5"])]
#[case::both_hard(true, seen(false, true), 0, Risk::Hard, vec!["F1", "F2"])]
#[case::listed_only(true, seen(false, false), 0, Risk::Hard, vec!["F1"])]
fn the_highest_risk_wins(
    #[case] listed: bool,
    #[case] photo: PhotoHistory,
    #[case] earlier_claims: i64,
    #[case] risk: Risk,
    #[case] fired: Vec<&str>,
) {
    let claim = p19_claim("c-1", "u-1");
    let history = History {
        earlier_claims: (0..earlier_claims)
            .map(|n| past_claim(&format!("earlier-{n}"), n + 1))
            .collect(),
        photos: vec![photo],
        on_hard_fraud_list: listed,
    };
    let assessment = assess(&claim, &history);
    assert_eq!(assessment.risk, risk);
    assert_eq!(rules(&assessment), fired);
    match risk {
        Risk::Hard => {
            let decision = assessment
                .platform_decision
                .unwrap_or_else(|| panic!("decided"));
            let hard: Vec<&str> = fired
                .iter()
                .copied()
                .filter(|rule| matches!(*rule, "F1" | "F2"))
                .collect();
            assert_eq!(decision.rules(), hard, "only hard signals are the reasons");
        }
        Risk::None | Risk::Soft => assert_eq!(assessment.platform_decision, None),
    }
}

#[test]
fn every_soft_signal_can_fire_at_once() {
    let mut claim = sample::claim(ClaimKind::Damaged);
    claim.confirmations.courier = Some(PartyAnswer::Denied);
    claim.confirmations.warehouse = Some(PartyAnswer::Denied);
    claim.items[0].unit_price = claim.order.total + 1;
    claim.customer.account_created_at = NOW - DAY_MS;
    let history = History {
        earlier_claims: (1..=3).map(|n| past_claim(&format!("e{n}"), n)).collect(),
        photos: vec![seen(true, false)],
        on_hard_fraud_list: false,
    };
    let assessment = assess(&claim, &history);
    assert_eq!(assessment.risk, Risk::Soft);
    assert_eq!(rules(&assessment), vec!["F3", "F4", "F5", "F6", "F7"]);
    assert_eq!(assessment.platform_decision, None);
}

#[rstest]
#[case::shop_promo_max_lower(r#"{"promo_max": 30000}"#, true)]
#[case::shop_promo_max_higher(r#"{"promo_max": 40000}"#, false)]
#[case::default_promo_max("", false)]
#[case::invalid_shop_settings("not json", false)]
fn f7_reads_promo_max_from_the_shop_settings(#[case] shop: &str, #[case] fires: bool) {
    let mut claim = sample::claim(ClaimKind::Damaged);
    claim.customer.account_created_at = NOW - DAY_MS;
    claim.items[0].unit_price = 35_000;
    let assessment = assess_with(&claim, &sample::clean_history(), "", shop);
    assert_eq!(rules(&assessment).contains(&"F7"), fires);
}

#[test]
fn screen_settings_change_the_thresholds() {
    let mut claim = sample::claim(ClaimKind::Damaged);
    claim.customer.account_created_at = NOW - 10 * DAY_MS;
    claim.items[0].unit_price = 35_000;
    let settings = r#"{"new_account_days": 14, "default_promo_max": 30000}"#;
    let assessment = assess_with(&claim, &sample::clean_history(), settings, "");
    assert_eq!(rules(&assessment), vec!["F7"]);
}

#[test]
fn invalid_screen_settings_are_a_policy_error_naming_the_key() {
    let claim = sample::claim(ClaimKind::Damaged);
    let result = runtime::assess::<PlatformFraudScreen>(
        &claim,
        &sample::clean_history(),
        r#"{"new_account_days": 0}"#,
        "",
    );
    match result {
        Err(PolicyError::InvalidSettings(error)) => {
            assert_eq!(error.key.as_deref(), Some("new_account_days"));
        }
        other => panic!("expected invalid settings, got {other:?}"),
    }
}

#[rstest]
#[case::marked_and_clean(true, false, vec![Action::RelabelTicket])]
#[case::marked_and_soft(true, true, vec![])]
#[case::not_marked(false, false, vec![])]
fn relabel_a_fraud_mark_no_check_confirms(
    #[case] marked: bool,
    #[case] soft: bool,
    #[case] extra: Vec<Action>,
) {
    let mut claim = sample::claim(ClaimKind::Damaged);
    claim.marked_as_fraud = marked;
    if soft {
        claim.items[0].unit_price = claim.order.total + 1;
    }
    let assessment = assess(&claim, &sample::clean_history());
    assert_eq!(assessment.extra_actions, extra);
    assert_eq!(
        rules(&assessment).contains(&platform::RELABEL),
        !extra.is_empty()
    );
    assert_eq!(assessment.platform_decision, None);
}

#[test]
fn a_hard_fraud_mark_is_kept() {
    let mut claim = sample::claim(ClaimKind::Damaged);
    claim.marked_as_fraud = true;
    let mut history = sample::clean_history();
    history.on_hard_fraud_list = true;
    assert!(assess(&claim, &history).extra_actions.is_empty());
}

#[test]
fn an_unknown_order_marked_as_fraud_keeps_its_mark() {
    let mut claim = sample::claim(ClaimKind::UnknownOrder);
    claim.marked_as_fraud = true;
    let assessment = assess(&claim, &sample::clean_history());
    assert!(assessment.extra_actions.is_empty());
    assert!(assessment.platform_decision.is_some());
}

#[test]
fn extreme_input_never_panics() {
    let mut claim = sample::claim(ClaimKind::IncompleteSet);
    claim.now = i64::MIN;
    claim.opened_at = i64::MAX;
    claim.customer.account_created_at = i64::MAX;
    claim.order.total = i64::MIN;
    claim.order.currency = "ÿÿ".to_owned();
    claim.items[0].unit_price = i64::MAX;
    claim.items[0].quantity_affected = u32::MAX;
    claim.items.push(claim.items[0].clone());
    claim.marked_as_fraud = true;
    let history = History {
        earlier_claims: vec![
            past_claim(&claim.claim_id, 0),
            PastClaim {
                opened_at: i64::MIN,
                ..past_claim("x", 0)
            },
        ],
        photos: vec![PhotoHistory {
            sha256: "ü".repeat(100),
            seen_in_own_claims: true,
            seen_in_others_claims: true,
        }],
        on_hard_fraud_list: false,
    };
    let assessment = assess_with(
        &claim,
        &history,
        "",
        r#"{"promo_max": -9223372036854775808}"#,
    );
    assert_eq!(assessment.risk, Risk::Hard);

    claim.items.clear();
    claim.now = i64::MAX;
    claim.customer.account_created_at = i64::MIN;
    let assessment = assess(&claim, &sample::clean_history());
    assert_eq!(assessment.risk, Risk::Soft, "{:?}", assessment.signals);
}

#[test]
fn metadata_lists_every_rule() {
    let metadata = PlatformFraudScreen::metadata();
    assert_eq!(metadata.name, "fraud");
    assert_eq!(metadata.version, "0.1.0");
    assert_eq!(
        metadata.rules,
        vec![
            "F1",
            "F2",
            "F3",
            "F4",
            "F5",
            "F6",
            "F7",
            "F-unknown-order",
            "F-relabel"
        ]
    );
}

#[test]
fn the_schema_is_the_settings_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&runtime::settings_schema::<FraudSettings>())
            .unwrap_or_else(|error| panic!("schema is JSON: {error}"));
    assert_eq!(schema["additionalProperties"], false);
}
