//! The worked cases of `/work/shared/scenarios/` rebuilt in Rust: each step's claim, and
//! for multi-step cases the history its earlier steps leave behind.

use arbiter_sdk::prelude::*;
use arbiter_sdk::sample::{self, NOW};
use arbiter_sdk::{DocumentDelivery, History};

use crate::testing::{clean, decide, past, photo};

/// A UTC time as milliseconds since the epoch (the civil-from-days algorithm).
fn at(year: i64, month: i64, day: i64, hour: i64, minute: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * DAY_MS + (hour * 60 + minute) * 60_000
}

/// The scenarios' common claim: a 350.00 RUB vase of a 4590.00 RUB order from a seller,
/// delivered 2026-11-19T18:00Z, claim opened 2026-11-20T09:55Z, decided at 10:00Z.
fn base(kind: ClaimKind) -> Claim {
    sample::claim(kind)
}

/// The base claim with one photo that support confirmed (p01's evidence).
fn confirmed_damage(unit_price: i64) -> Claim {
    let mut claim = base(ClaimKind::Damaged);
    claim.evidence.photos = vec![photo("1a93")];
    claim.evidence.damage_confirmed = Some(true);
    claim.items[0].unit_price = unit_price;
    claim
}

/// The same claim moved to another day: opened at `opened_at`, decided five minutes
/// later, delivered 16 hours before it was opened.
fn moved(mut claim: Claim, opened_at: i64) -> Claim {
    claim.opened_at = opened_at;
    claim.now = opened_at + 5 * 60_000;
    claim.order.delivered_at = Some(opened_at - 16 * 3_600_000 + 5 * 60_000);
    claim
}

/// The history an earlier, compensated step leaves: one claim of `kind` opened then.
fn after(kind: ClaimKind, opened_at: i64, money_given: i64) -> History {
    let mut earlier = past(kind, opened_at);
    earlier.money_given = Money::new(money_given, "RUB");
    let mut history = clean();
    history.earlier_claims = vec![earlier];
    history
}

fn short_shipment() -> Claim {
    let mut claim = base(ClaimKind::ShortShipment);
    claim.items[0].quantity_ordered = 3;
    claim
}

#[test]
fn the_base_claim_is_the_scenarios_one() {
    assert_eq!(at(2026, 11, 20, 10, 0), NOW);
    let claim = base(ClaimKind::Damaged);
    assert_eq!(claim.opened_at, at(2026, 11, 20, 9, 55));
    assert_eq!(claim.order.delivered_at, Some(at(2026, 11, 19, 18, 0)));
    let moved = moved(claim, at(2026, 10, 1, 9, 55));
    assert_eq!(moved.now, at(2026, 10, 1, 10, 0));
    assert_eq!(moved.order.delivered_at, Some(at(2026, 9, 30, 18, 0)));
}

#[test]
fn p01_damaged_vase_confirmed_first_claim_gets_a_promo_code() {
    let decision = decide(&confirmed_damage(35_000), &clean(), "");
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![Action::PromoCode(Money::new(35_000, "RUB"))]
    );
    assert_eq!(decision.payer, Some(Payer::Seller));
    assert_eq!(decision.rules(), vec!["R1.2"]);
}

#[test]
fn p02_1500_rub_is_money_back_goods_stay() {
    let decision = decide(&confirmed_damage(150_000), &clean(), "");
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![
            Action::RequestRefundApplication,
            Action::refund(150_000, "RUB", false)
        ]
    );
    assert_eq!(decision.payer, Some(Payer::Seller));
}

#[test]
fn p03_2500_rub_is_individual_review() {
    let decision = decide(&confirmed_damage(250_000), &clean(), "");
    assert_eq!(decision.outcome, Outcome::Escalate);
    assert!(matches!(decision.actions[..], [Action::Escalate(_)]));
}

#[test]
fn p04_no_evidence_asks_for_the_three_kinds_of_photos() {
    let decision = decide(&base(ClaimKind::Damaged), &clean(), "");
    assert_eq!(decision.outcome, Outcome::Pending);
    assert!(matches!(&decision.actions[..], [Action::RequestEvidence(items)] if items.len() == 3));
    assert_eq!(decision.rules(), vec!["R1.1"]);
}

#[test]
fn p05_second_damage_claim_goes_to_office_staff() {
    let first_opened = at(2026, 10, 1, 9, 55);
    let first = decide(&moved(confirmed_damage(35_000), first_opened), &clean(), "");
    assert_eq!(first.outcome, Outcome::Compensate);
    let second = confirmed_damage(35_000);
    let decision = decide(
        &second,
        &after(ClaimKind::Damaged, first_opened, 35_000),
        "",
    );
    assert_eq!(decision.outcome, Outcome::Escalate);
    assert!(matches!(decision.actions[..], [Action::Escalate(_)]));
    assert_eq!(decision.rules(), vec!["R1.4"]);
}

#[test]
fn p06_first_short_shipment_gets_a_promo_for_the_missing_unit() {
    let decision = decide(&short_shipment(), &clean(), "");
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![Action::PromoCode(Money::new(35_000, "RUB"))]
    );
    assert_eq!(decision.rules(), vec!["R2.1"]);
}

#[test]
fn p07_repeat_short_shipment_asks_the_warehouse() {
    let first_opened = at(2026, 9, 1, 9, 55);
    let first = decide(&moved(short_shipment(), first_opened), &clean(), "");
    assert_eq!(first.outcome, Outcome::Compensate);
    let history = after(ClaimKind::ShortShipment, first_opened, 35_000);
    let decision = decide(&short_shipment(), &history, "");
    assert_eq!(decision.outcome, Outcome::Pending);
    assert_eq!(
        decision.actions,
        vec![Action::RequestConfirmation(ConfirmingParty::Warehouse)]
    );
    assert_eq!(decision.eta_days, Some(3));
    assert_eq!(decision.rules(), vec!["R2.2"]);
}

#[test]
fn p08_warehouse_denied_delivery_service_confirmed_gets_a_promo() {
    let first_opened = at(2026, 9, 1, 9, 55);
    let first = decide(&moved(short_shipment(), first_opened), &clean(), "");
    assert_eq!(first.outcome, Outcome::Compensate);
    let mut claim = short_shipment();
    claim.confirmations.warehouse = Some(PartyAnswer::Denied);
    claim.confirmations.delivery_service = Some(PartyAnswer::Confirmed);
    let history = after(ClaimKind::ShortShipment, first_opened, 35_000);
    let decision = decide(&claim, &history, "");
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![Action::PromoCode(Money::new(35_000, "RUB"))]
    );
    assert_eq!(decision.rules(), vec!["R2.5"]);
}

#[test]
fn p09_incomplete_set_asks_the_category_manager() {
    let decision = decide(&base(ClaimKind::IncompleteSet), &clean(), "");
    assert_eq!(decision.outcome, Outcome::Pending);
    assert_eq!(
        decision.actions,
        vec![Action::RequestConfirmation(
            ConfirmingParty::CategoryManager
        )]
    );
}

#[test]
fn p10_confirmed_incomplete_1200_rub_is_refunded_and_the_card_fixed() {
    let mut claim = base(ClaimKind::IncompleteSet);
    claim.confirmations.category_manager = Some(PartyAnswer::Confirmed);
    claim.items[0].unit_price = 120_000;
    let decision = decide(&claim, &clean(), "");
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![
            Action::RequestRefundApplication,
            Action::refund(120_000, "RUB", false),
            Action::UpdateProductCard
        ]
    );
}

#[test]
fn p11_barcode_matches_explains_the_right_item_came() {
    let mut claim = base(ClaimKind::WrongItem);
    claim.subkind = Some(ClaimSubkind::WrongColorOrSize);
    claim.evidence.photos = vec![photo("barcode")];
    claim.evidence.documents_match_order = Some(true);
    let decision = decide(&claim, &clean(), "");
    assert_eq!(decision.outcome, Outcome::Inform);
    assert_eq!(decision.actions, vec![Action::ExplainCorrectItem]);
}

#[test]
fn p12_kettle_instead_of_iron_kept_gets_a_sorry_coupon() {
    let mut claim = base(ClaimKind::WrongItem);
    claim.subkind = Some(ClaimSubkind::DifferentItem);
    claim.evidence.photos = vec![photo("kettle")];
    claim.evidence.documents_match_order = Some(false);
    claim.customer_reply.keeps_item = Some(true);
    let decision = decide(&claim, &clean(), "");
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![Action::SorryCoupon(Money::new(30_000, "RUB"))]
    );
    assert_eq!(decision.rules(), vec!["R4.3", "R9"]);
}

#[test]
fn p13_first_party_receipt_comes_from_the_delivery_service_in_3_days() {
    let mut claim = base(ClaimKind::DocumentRequest);
    claim.subkind = Some(ClaimSubkind::Receipt);
    claim.order.fulfilment = Fulfilment::FirstParty;
    let decision = decide(&claim, &clean(), "");
    assert_eq!(decision.outcome, Outcome::Inform);
    assert_eq!(
        decision.actions,
        vec![Action::SendDocument(DocumentDelivery {
            document: Document::Receipt,
            via: DocumentSource::DeliveryService,
        })]
    );
    assert_eq!(decision.eta_days, Some(3));
}

#[test]
fn p14_did_not_fit_a_day_after_delivery_starts_a_return() {
    let mut claim = base(ClaimKind::Return);
    claim.subkind = Some(ClaimSubkind::ProperQuality);
    let decision = decide(&claim, &clean(), "");
    assert_eq!(decision.outcome, Outcome::Pending);
    assert_eq!(
        decision.actions,
        vec![Action::StartReturn(GoodsQuality::Proper)]
    );
}

#[test]
fn p15_proper_quality_return_21_days_after_delivery_is_rejected() {
    let mut claim = base(ClaimKind::Return);
    claim.subkind = Some(ClaimSubkind::ProperQuality);
    claim.opened_at = at(2026, 12, 10, 9, 0);
    claim.now = at(2026, 12, 10, 10, 0);
    claim.last_seller_reply_at = Some(at(2026, 12, 10, 9, 30));
    let decision = decide(&claim, &clean(), "");
    assert_eq!(decision.outcome, Outcome::Reject);
    assert_eq!(decision.rules(), vec!["R6.1"]);
    assert!(
        decision.reasons[0].text.contains("20 days 15 hours"),
        "{}",
        decision.reasons[0].text
    );
}

#[test]
fn p16_used_signs_and_the_customer_returns_it_is_an_improper_quality_return() {
    let mut claim = base(ClaimKind::SuspectedUsed);
    claim.evidence.photos = vec![photo("film")];
    claim.evidence.used_signs = vec![UsedSign::NoProtectiveFilm];
    claim.customer_reply.will_return = Some(true);
    let decision = decide(&claim, &clean(), "");
    assert_eq!(decision.outcome, Outcome::Pending);
    assert_eq!(
        decision.actions,
        vec![Action::StartReturn(GoodsQuality::Improper)]
    );
}

#[test]
fn p17_platform_courier_moved_the_delivery_so_the_platform_pays_the_coupon() {
    let mut claim = base(ClaimKind::DeliveryProblem);
    claim.subkind = Some(ClaimSubkind::RescheduledWithoutNotice);
    claim.order.courier = Courier::Platform;
    let decision = decide(&claim, &clean(), "");
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![Action::SorryCoupon(Money::new(30_000, "RUB"))]
    );
    assert_eq!(decision.payer, Some(Payer::Platform));
}

#[test]
fn p18_repeat_claim_with_a_silent_seller_is_decided_for_the_customer() {
    let first_opened = at(2026, 10, 1, 9, 55);
    let first = decide(
        &moved(confirmed_damage(150_000), first_opened),
        &clean(),
        "",
    );
    assert_eq!(first.outcome, Outcome::Compensate);
    let mut claim = confirmed_damage(150_000);
    claim.opened_at = at(2026, 11, 16, 9, 55);
    claim.order.delivered_at = Some(at(2026, 11, 15, 18, 0));
    let decision = decide(
        &claim,
        &after(ClaimKind::Damaged, first_opened, 150_000),
        "",
    );
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![
            Action::RequestRefundApplication,
            Action::refund(150_000, "RUB", false)
        ]
    );
    assert_eq!(decision.rules(), vec!["R10.1"]);
}

/// p19 is the fraud screen's (F2): the hard block is the host's, over this policy. The
/// policy's own part is the first step, and that it never sees the risk: the second
/// customer's claim, on its own, is a first claim it would pay.
#[test]
fn p19_the_policys_part_of_a_reused_photo() {
    let decision = decide(&confirmed_damage(35_000), &clean(), "");
    assert_eq!(decision.outcome, Outcome::Compensate);
}

#[test]
fn p20_raised_promo_max_gives_a_promo_code_for_700_rub() {
    let decision = decide(
        &confirmed_damage(70_000),
        &clean(),
        r#"{"promo_max": 100000}"#,
    );
    assert_eq!(decision.outcome, Outcome::Compensate);
    assert_eq!(
        decision.actions,
        vec![Action::PromoCode(Money::new(70_000, "RUB"))]
    );
}

#[test]
fn p21_sms_about_an_order_never_placed_goes_to_office_staff() {
    let decision = decide(&base(ClaimKind::UnknownOrder), &clean(), "");
    assert_eq!(decision.outcome, Outcome::Escalate);
    assert!(matches!(decision.actions[..], [Action::Escalate(_)]));
    assert_eq!(decision.rules(), vec!["U1"]);
}
