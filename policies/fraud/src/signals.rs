//! The fraud signals F1-F7 of the rulebook, one function each: a signal that fires comes
//! back as a [`Finding`] with its risk and a text for support staff, with the values.

use arbiter_sdk::PhotoHistory;
use arbiter_sdk::prelude::*;
use arbiter_sdk::time::whole_days_between;

use crate::settings::{FraudSettings, PromoMax, PromoMaxSource};

/// F1: the account is on the platform's hard-fraud list.
pub const F1: &str = "F1";
/// F2: an evidence photo was already used in another customer's claim.
pub const F2: &str = "F2";
/// F3: an evidence photo was already used in this customer's earlier claim.
pub const F3: &str = "F3";
/// F4: courier and warehouse both contradict the claim and no photo shows labels.
pub const F4: &str = "F4";
/// F5: too many claims of the customer within 30 days.
pub const F5: &str = "F5";
/// F6: the claim is worth more than the whole order.
pub const F6: &str = "F6";
/// F7: a new account claims more than `promo_max`.
pub const F7: &str = "F7";

/// The window F5 counts claims in, in days.
pub const F5_WINDOW_DAYS: u32 = 30;

/// How many characters of a photo's hash a text shows.
const HASH_PREFIX_CHARS: usize = 8;

/// A signal that fired, with the risk it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub risk: Risk,
    pub signal: Signal,
}

impl Finding {
    fn new(risk: Risk, rule: &str, text: impl Into<String>) -> Self {
        Self {
            risk,
            signal: Signal {
                rule: rule.to_owned(),
                text: text.into(),
            },
        }
    }
}

/// F1 (hard): the account is on the platform's hard-fraud list.
pub fn on_hard_fraud_list(history: &History) -> Option<Finding> {
    history.on_hard_fraud_list.then(|| {
        Finding::new(
            Risk::Hard,
            F1,
            "the customer's account is on the platform's hard-fraud list",
        )
    })
}

/// F2 (hard): a photo's hash was already used in another customer's claim.
pub fn photo_used_by_another_customer(history: &History) -> Option<Finding> {
    let hashes = photo_hashes(history, |photo| photo.seen_in_others_claims)?;
    Some(Finding::new(
        Risk::Hard,
        F2,
        format!("{hashes} already used in another customer's claim"),
    ))
}

/// F3 (soft): a photo's hash was already used in this customer's earlier claim.
pub fn photo_reused_by_customer(history: &History) -> Option<Finding> {
    let hashes = photo_hashes(history, |photo| photo.seen_in_own_claims)?;
    Some(Finding::new(
        Risk::Soft,
        F3,
        format!("{hashes} already used in an earlier claim of the same customer"),
    ))
}

/// F4 (soft): the courier and the warehouse both deny the claim, and no photo shows the
/// product's labels or tags.
pub fn contradicted_without_labels(claim: &Claim) -> Option<Finding> {
    let confirmations = &claim.confirmations;
    let both_deny = confirmations.courier == Some(PartyAnswer::Denied)
        && confirmations.warehouse == Some(PartyAnswer::Denied);
    let labels_shown = claim.evidence.photos.iter().any(|photo| photo.shows_labels);
    (both_deny && !labels_shown).then(|| {
        let photos = match claim.evidence.photos.len() {
            0 => "there are no photos".to_owned(),
            1 => "the only photo does not show the product's labels or tags".to_owned(),
            count => format!("none of the {count} photos shows the product's labels or tags"),
        };
        Finding::new(
            Risk::Soft,
            F4,
            format!(
                "the courier says it was delivered intact and the warehouse says it was \
                 packed intact, and {photos}"
            ),
        )
    })
}

/// F5 (soft): this is the customer's `claims_per_30d_soft`th or later claim within 30
/// days, counting this one. The host collapses revisions of one claim into one entry
/// and leaves this claim out; an entry with this claim's id is skipped all the same.
pub fn frequent_claims(
    claim: &Claim,
    history: &History,
    settings: &FraudSettings,
) -> Option<Finding> {
    let earlier = history
        .claims_within(claim.now, F5_WINDOW_DAYS)
        .filter(|past| past.claim_id != claim.claim_id)
        .count();
    let counting_this = earlier.saturating_add(1);
    let limit = usize::try_from(settings.claims_per_30d_soft).unwrap_or(usize::MAX);
    (counting_this >= limit).then(|| {
        Finding::new(
            Risk::Soft,
            F5,
            format!(
                "this is the customer's {} claim within {F5_WINDOW_DAYS} days ({earlier} \
                 earlier), at or above claims_per_30d_soft {}",
                ordinal(counting_this),
                settings.claims_per_30d_soft
            ),
        )
    })
}

/// F6 (soft): the claim is worth more than the whole order.
pub fn value_above_order_total(claim: &Claim) -> Option<Finding> {
    let value = claim.claim_value();
    let total = claim.order.total;
    (value > total).then(|| {
        let currency = &claim.order.currency;
        Finding::new(
            Risk::Soft,
            F6,
            format!(
                "the claim is worth {}, more than the order total {}",
                format_money(value, currency),
                format_money(total, currency)
            ),
        )
    })
}

/// F7 (soft): the account is younger than `new_account_days` when the claim is decided
/// and the claim is worth more than `promo_max`.
pub fn new_account_above_promo_max(
    claim: &Claim,
    settings: &FraudSettings,
    promo_max: PromoMax,
) -> Option<Finding> {
    let age_ms = claim.now.saturating_sub(claim.customer.account_created_at);
    let is_new = age_ms < days_ms(settings.new_account_days);
    let value = claim.claim_value();
    (is_new && value > promo_max.amount).then(|| {
        let currency = &claim.order.currency;
        let age_days = whole_days_between(claim.customer.account_created_at, claim.now).max(0);
        let source = match promo_max.source {
            PromoMaxSource::Shop => "the shop's",
            PromoMaxSource::Default => "the platform's default",
        };
        Finding::new(
            Risk::Soft,
            F7,
            format!(
                "the account is {age_days} {} old, younger than new_account_days {}, and \
                 the claim is worth {}, above {source} promo_max {}",
                plural(age_days, "day", "days"),
                settings.new_account_days,
                format_money(value, currency),
                format_money(promo_max.amount, currency)
            ),
        )
    })
}

/// "photo 3f79bb7b…" or "photos 3f79bb7b…, 0a1b2c3d…" followed by "was" or "were", for
/// the photos of `history` that `flagged` picks; none when it picks none.
fn photo_hashes(history: &History, flagged: impl Fn(&PhotoHistory) -> bool) -> Option<String> {
    let hashes: Vec<String> = history
        .photos
        .iter()
        .filter(|photo| flagged(photo))
        .map(|photo| short_hash(&photo.sha256))
        .collect();
    match hashes.as_slice() {
        [] => None,
        [one] => Some(format!("photo {one} was")),
        many => Some(format!("photos {} were", many.join(", "))),
    }
}

/// The first characters of a hash, enough for a person to match it.
fn short_hash(sha256: &str) -> String {
    let prefix: String = sha256.chars().take(HASH_PREFIX_CHARS).collect();
    if sha256.chars().nth(HASH_PREFIX_CHARS).is_some() {
        format!("{prefix}…")
    } else {
        prefix
    }
}

/// 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_sdk::sample::{self, NOW};
    use arbiter_sdk::{Outcome, PastClaim, Photo};
    use rstest::rstest;

    const HASH: &str = "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea";

    fn photo_history(sha256: &str, own: bool, others: bool) -> PhotoHistory {
        PhotoHistory {
            sha256: sha256.to_owned(),
            seen_in_own_claims: own,
            seen_in_others_claims: others,
        }
    }

    fn past_claim(claim_id: &str, opened_at: i64) -> PastClaim {
        PastClaim {
            claim_id: claim_id.to_owned(),
            kind: ClaimKind::Damaged,
            opened_at,
            outcome: Outcome::Compensate,
            money_given: Money::new(35_000, "RUB"),
            sorry_coupon_given: false,
            same_shop: true,
        }
    }

    fn rule(finding: Option<Finding>) -> Option<(Risk, String)> {
        finding.map(|finding| (finding.risk, finding.signal.rule))
    }

    fn text(finding: Option<Finding>) -> Option<String> {
        finding.map(|finding| finding.signal.text)
    }

    fn fired(risk: Risk, rule: &str) -> Option<(Risk, String)> {
        Some((risk, rule.to_owned()))
    }

    #[rstest]
    #[case::listed(true, fired(Risk::Hard, F1))]
    #[case::not_listed(false, None)]
    fn f1_hard_fraud_list(#[case] listed: bool, #[case] expected: Option<(Risk, String)>) {
        let mut history = sample::clean_history();
        history.on_hard_fraud_list = listed;
        assert_eq!(rule(on_hard_fraud_list(&history)), expected);
    }

    #[rstest]
    #[case::seen_by_others(photo_history(HASH, false, true), fired(Risk::Hard, F2))]
    #[case::seen_by_both(photo_history(HASH, true, true), fired(Risk::Hard, F2))]
    #[case::seen_only_in_own(photo_history(HASH, true, false), None)]
    #[case::never_seen(photo_history(HASH, false, false), None)]
    fn f2_photo_of_another_customer(
        #[case] photo: PhotoHistory,
        #[case] expected: Option<(Risk, String)>,
    ) {
        let mut history = sample::clean_history();
        history.photos = vec![photo_history("00", false, false), photo];
        assert_eq!(rule(photo_used_by_another_customer(&history)), expected);
    }

    #[rstest]
    #[case::seen_in_own(photo_history(HASH, true, false), fired(Risk::Soft, F3))]
    #[case::seen_by_both(photo_history(HASH, true, true), fired(Risk::Soft, F3))]
    #[case::seen_only_by_others(photo_history(HASH, false, true), None)]
    #[case::never_seen(photo_history(HASH, false, false), None)]
    fn f3_photo_reused_by_the_customer(
        #[case] photo: PhotoHistory,
        #[case] expected: Option<(Risk, String)>,
    ) {
        let mut history = sample::clean_history();
        history.photos = vec![photo];
        assert_eq!(rule(photo_reused_by_customer(&history)), expected);
    }

    #[test]
    fn photo_texts_name_the_photos_by_a_short_hash() {
        let mut history = sample::clean_history();
        history.photos = vec![photo_history(HASH, false, true)];
        assert_eq!(
            text(photo_used_by_another_customer(&history)).as_deref(),
            Some("photo 3f79bb7b… was already used in another customer's claim")
        );
        history.photos = vec![
            photo_history(HASH, true, false),
            photo_history("0a1b2c3d4e", true, false),
            photo_history("é", true, false),
        ];
        assert_eq!(
            text(photo_reused_by_customer(&history)).as_deref(),
            Some(
                "photos 3f79bb7b…, 0a1b2c3d…, é were already used in an earlier claim of the \
                 same customer"
            )
        );
    }

    fn answer(denied: bool) -> Option<PartyAnswer> {
        Some(if denied {
            PartyAnswer::Denied
        } else {
            PartyAnswer::Confirmed
        })
    }

    #[rstest]
    #[case::both_deny_no_photos(answer(true), answer(true), vec![], true)]
    #[case::both_deny_no_labels(answer(true), answer(true), vec![false, false], true)]
    #[case::both_deny_one_photo_shows_labels(answer(true), answer(true), vec![false, true], false)]
    #[case::courier_confirms(answer(false), answer(true), vec![], false)]
    #[case::warehouse_confirms(answer(true), answer(false), vec![], false)]
    #[case::warehouse_not_asked(answer(true), None, vec![], false)]
    #[case::courier_not_asked(None, answer(true), vec![], false)]
    fn f4_courier_and_warehouse_contradict(
        #[case] courier: Option<PartyAnswer>,
        #[case] warehouse: Option<PartyAnswer>,
        #[case] labels: Vec<bool>,
        #[case] fires: bool,
    ) {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.confirmations.courier = courier;
        claim.confirmations.warehouse = warehouse;
        claim.evidence.photos = labels
            .into_iter()
            .map(|shows_labels| Photo {
                sha256: HASH.to_owned(),
                shows_labels,
            })
            .collect();
        let expected = fires.then(|| (Risk::Soft, F4.to_owned()));
        assert_eq!(rule(contradicted_without_labels(&claim)), expected);
    }

    #[rstest]
    #[case::third_claim(2, false)]
    #[case::fourth_claim(3, true)]
    #[case::fifth_claim(4, true)]
    #[case::first_claim(0, false)]
    fn f5_fourth_claim_within_30_days(#[case] earlier: usize, #[case] fires: bool) {
        let claim = sample::claim(ClaimKind::ShortShipment);
        let mut history = sample::clean_history();
        history.earlier_claims = (0..earlier)
            .map(|n| past_claim(&format!("earlier-{n}"), NOW - DAY_MS))
            .collect();
        let finding = frequent_claims(&claim, &history, &FraudSettings::default());
        let expected = fires.then(|| (Risk::Soft, F5.to_owned()));
        assert_eq!(rule(finding), expected);
    }

    #[rstest]
    #[case::exactly_30_days_before(NOW - 30 * DAY_MS, true)]
    #[case::just_over_30_days_before(NOW - 30 * DAY_MS - 1, false)]
    fn f5_window_is_30_days_inclusive(#[case] oldest_opened_at: i64, #[case] fires: bool) {
        let claim = sample::claim(ClaimKind::Damaged);
        let mut history = sample::clean_history();
        history.earlier_claims = vec![
            past_claim("a", NOW - DAY_MS),
            past_claim("b", NOW - 2 * DAY_MS),
            past_claim("c", oldest_opened_at),
        ];
        let finding = frequent_claims(&claim, &history, &FraudSettings::default());
        assert_eq!(finding.is_some(), fires);
    }

    #[test]
    fn f5_never_counts_this_claim_twice() {
        let claim = sample::claim(ClaimKind::Damaged);
        let mut history = sample::clean_history();
        history.earlier_claims = vec![
            past_claim("a", NOW - DAY_MS),
            past_claim("b", NOW - DAY_MS),
            past_claim(&claim.claim_id, NOW - DAY_MS),
        ];
        assert_eq!(
            frequent_claims(&claim, &history, &FraudSettings::default()),
            None
        );
        history.earlier_claims.push(past_claim("c", NOW - DAY_MS));
        let finding = frequent_claims(&claim, &history, &FraudSettings::default());
        assert_eq!(
            finding.map(|finding| finding.signal.text).as_deref(),
            Some(
                "this is the customer's 4th claim within 30 days (3 earlier), at or above \
                 claims_per_30d_soft 4"
            )
        );
    }

    #[test]
    fn f5_threshold_is_a_setting() {
        let claim = sample::claim(ClaimKind::Damaged);
        let settings = FraudSettings {
            claims_per_30d_soft: 1,
            ..FraudSettings::default()
        };
        assert!(frequent_claims(&claim, &sample::clean_history(), &settings).is_some());
    }

    #[rstest]
    #[case::equal_to_total(459_000, false)]
    #[case::one_above_total(459_001, true)]
    #[case::below_total(35_000, false)]
    fn f6_value_above_order_total(#[case] value: i64, #[case] fires: bool) {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.items[0].unit_price = value;
        let expected = fires.then(|| (Risk::Soft, F6.to_owned()));
        assert_eq!(rule(value_above_order_total(&claim)), expected);
    }

    #[test]
    fn f6_text_shows_both_amounts() {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.items[0].unit_price = 459_001;
        assert_eq!(
            text(value_above_order_total(&claim)).as_deref(),
            Some("the claim is worth 4590.01 RUB, more than the order total 4590.00 RUB")
        );
    }

    fn promo_max(amount: i64, source: PromoMaxSource) -> PromoMax {
        PromoMax { amount, source }
    }

    #[rstest]
    #[case::exactly_seven_days_old(7 * DAY_MS, 50_001, promo_max(50_000, PromoMaxSource::Default), false)]
    #[case::just_under_seven_days(7 * DAY_MS - 1, 50_001, promo_max(50_000, PromoMaxSource::Default), true)]
    #[case::value_at_promo_max(DAY_MS, 50_000, promo_max(50_000, PromoMaxSource::Default), false)]
    #[case::value_above_promo_max(DAY_MS, 50_001, promo_max(50_000, PromoMaxSource::Default), true)]
    #[case::under_shop_promo_max(DAY_MS, 50_001, promo_max(60_000, PromoMaxSource::Shop), false)]
    #[case::above_shop_promo_max(DAY_MS, 30_001, promo_max(30_000, PromoMaxSource::Shop), true)]
    #[case::created_after_now(-DAY_MS, 50_001, promo_max(50_000, PromoMaxSource::Default), true)]
    fn f7_new_account_above_promo_max(
        #[case] age_ms: i64,
        #[case] value: i64,
        #[case] promo_max: PromoMax,
        #[case] fires: bool,
    ) {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.customer.account_created_at = NOW - age_ms;
        claim.items[0].unit_price = value;
        let finding = new_account_above_promo_max(&claim, &FraudSettings::default(), promo_max);
        let expected = fires.then(|| (Risk::Soft, F7.to_owned()));
        assert_eq!(rule(finding), expected);
    }

    #[test]
    fn f7_text_says_where_promo_max_came_from() {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.customer.account_created_at = NOW - DAY_MS - 1;
        claim.items[0].unit_price = 60_000;
        let settings = FraudSettings::default();
        let text = |source| {
            new_account_above_promo_max(&claim, &settings, promo_max(50_000, source))
                .map(|finding| finding.signal.text)
        };
        assert_eq!(
            text(PromoMaxSource::Shop).as_deref(),
            Some(
                "the account is 1 day old, younger than new_account_days 7, and the claim is \
                 worth 600.00 RUB, above the shop's promo_max 500.00 RUB"
            )
        );
        assert!(text(PromoMaxSource::Default).is_some_and(|text| {
            text.ends_with("above the platform's default promo_max 500.00 RUB")
        }));
    }

    #[rstest]
    #[case(1, "1st")]
    #[case(2, "2nd")]
    #[case(3, "3rd")]
    #[case(4, "4th")]
    #[case(11, "11th")]
    #[case(12, "12th")]
    #[case(13, "13th")]
    #[case(21, "21st")]
    #[case(112, "112th")]
    fn ordinals(#[case] n: usize, #[case] text: &str) {
        assert_eq!(ordinal(n), text);
    }
}
