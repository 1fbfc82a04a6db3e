//! A deterministic corpus of claims of every kind, with histories, for the engines.
//!
//! The generator is SplitMix64, written out here rather than taken from `rand`: a
//! benchmark's corpus must be the same on every machine and with every version of every
//! dependency, and ten lines guarantee that where a crate's generator may change.

use arbiter::world::types as w;
use serde_json::{Value, json};

/// The seed the benchmark and its tests use.
pub const SEED: u64 = 0x5eed_a4b1_7e40_0001;

const DAY: i64 = 86_400_000;
/// 2026-11-20T10:00:00Z, the corpus's "now".
const NOW: i64 = 1_763_632_800_000;

/// One claim, its history, and the same as the JSON document the peers read.
#[derive(Debug, Clone)]
pub struct Case {
    pub claim: w::Claim,
    pub history: w::History,
    /// `{"claim", "history", "settings"}` (`bench/rules/README.md`).
    pub input: Value,
}

/// The core rules' settings, as every engine gets them: the rulebook's defaults.
pub fn settings() -> Value {
    json!({
        "promo_max": 50_000, "refund_max": 200_000, "repeat_window_days": 365,
        "sorry_coupon": 30_000, "sorry_coupons_per_30d": 2,
        "claims_per_30d_soft": 4, "new_account_days": 7
    })
}

/// `count` cases from `seed`: the same every time.
pub fn generate(seed: u64, count: usize) -> Vec<Case> {
    let mut random = SplitMix64(seed);
    (0..count).map(|n| case(&mut random, n)).collect()
}

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with `percent` percent chance.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len() as u64) as usize]
    }
}

const KINDS: [w::ClaimKind; 10] = [
    w::ClaimKind::Damaged,
    w::ClaimKind::ShortShipment,
    w::ClaimKind::IncompleteSet,
    w::ClaimKind::WrongItem,
    w::ClaimKind::DocumentRequest,
    w::ClaimKind::Return,
    w::ClaimKind::SuspectedUsed,
    w::ClaimKind::DeliveryProblem,
    w::ClaimKind::UnknownOrder,
    w::ClaimKind::Other,
];

/// Unit prices across the tiers (below `promo_max`, within `refund_max`, above).
const PRICES: [i64; 8] = [
    4_990, 19_900, 35_000, 49_999, 50_000, 120_000, 200_000, 349_000,
];

fn case(random: &mut SplitMix64, n: usize) -> Case {
    let kind = random.pick(&KINDS);
    let subkind = match kind {
        w::ClaimKind::WrongItem => Some(random.pick(&[
            w::ClaimSubkind::DifferentItem,
            w::ClaimSubkind::DifferentModel,
            w::ClaimSubkind::WrongColorOrSize,
        ])),
        w::ClaimKind::DocumentRequest => {
            Some(random.pick(&[w::ClaimSubkind::Receipt, w::ClaimSubkind::WarrantyCard]))
        }
        w::ClaimKind::Return => Some(random.pick(&[
            w::ClaimSubkind::ProperQuality,
            w::ClaimSubkind::ImproperQuality,
        ])),
        w::ClaimKind::DeliveryProblem => Some(random.pick(&[
            w::ClaimSubkind::CannotDeliver,
            w::ClaimSubkind::InconvenientDate,
            w::ClaimSubkind::RescheduledWithoutNotice,
            w::ClaimSubkind::DirtyOrCrumpledBox,
        ])),
        _ => None,
    };
    let items: Vec<w::Item> = (0..1 + random.below(3))
        .map(|i| {
            let ordered = 1 + random.below(3) as u32;
            w::Item {
                sku: format!("sku-{n}-{i}"),
                title: "Item".into(),
                unit_price: random.pick(&PRICES),
                quantity_ordered: ordered,
                quantity_affected: 1 + random.below(u64::from(ordered)) as u32,
                component_price: random.chance(30).then(|| random.pick(&PRICES) / 4),
                category: "home".into(),
            }
        })
        .collect();
    let ordered_total: i64 = items
        .iter()
        .map(|item| item.unit_price * i64::from(item.quantity_ordered))
        .sum();
    // One order in ten is worth less than its items claim (F6).
    let total = if random.chance(10) {
        ordered_total / 3
    } else {
        ordered_total
    };
    let opened_at = NOW - random.below(2 * DAY as u64) as i64;
    let answer = |random: &mut SplitMix64| match random.below(10) {
        0..=3 => Some(w::PartyAnswer::Denied),
        4..=5 => Some(w::PartyAnswer::Confirmed),
        _ => None,
    };
    let claim_id = format!("c-{n}");
    let claim = w::Claim {
        claim_id: claim_id.clone(),
        revision: 1,
        shop_id: format!("shop-{}", random.below(50)),
        now: NOW,
        opened_at,
        kind,
        subkind,
        desired_outcome: random.chance(60).then(|| {
            random.pick(&[
                w::DesiredOutcome::PromoCode,
                w::DesiredOutcome::Refund,
                w::DesiredOutcome::Replacement,
                w::DesiredOutcome::Other,
            ])
        }),
        order: w::Order {
            order_id: format!("o-{n}"),
            currency: "RUB".into(),
            total,
            placed_at: opened_at - 10 * DAY,
            delivered_at: random
                .chance(90)
                .then(|| opened_at - random.below(5 * DAY as u64) as i64),
            fulfilment: random.pick(&[w::Fulfilment::FirstParty, w::Fulfilment::ThirdParty]),
            courier: random.pick(&[w::Courier::Platform, w::Courier::Seller]),
        },
        items,
        customer: w::Customer {
            customer_id: format!("u-{n}"),
            // One account in ten is younger than a week (F7).
            account_created_at: if random.chance(10) {
                NOW - random.below(7 * DAY as u64) as i64
            } else {
                NOW - (7 + random.below(1_000) as i64) * DAY
            },
        },
        evidence: w::Evidence {
            photos: (0..random.below(3))
                .map(|p| w::Photo {
                    sha256: format!("{:064x}", (n as u64) << 8 | p),
                    shows_labels: random.chance(50),
                })
                .collect(),
            damage_confirmed: random.pick(&[None, Some(true), Some(false)]),
            documents_match_order: random.pick(&[None, Some(true), Some(false)]),
            used_signs: Vec::new(),
        },
        confirmations: w::Confirmations {
            warehouse: answer(random),
            delivery_service: answer(random),
            category_manager: answer(random),
            routing_team: None,
            courier: answer(random),
        },
        return_shipment: w::ReturnShipment {
            received_at: None,
            shipping_cost: None,
        },
        customer_reply: w::CustomerReply {
            keeps_item: random.pick(&[None, Some(true), Some(false)]),
            insists: random.pick(&[None, Some(true), Some(false)]),
            accepts_sorry_coupon: random.pick(&[None, Some(true), Some(false)]),
            will_return: random.pick(&[None, Some(true), Some(false)]),
        },
        marked_as_fraud: false,
        last_seller_reply_at: None,
        last_customer_reply_at: None,
    };

    // Half the customers have earlier claims, some within 30 days, some with coupons;
    // now and then a revision of this very claim, which must never count.
    let mut earlier_claims: Vec<w::PastClaim> = Vec::new();
    if random.chance(50) {
        for e in 0..1 + random.below(5) {
            let age = random.pick(&[1, 5, 20, 30, 31, 90, 364, 365, 366, 400]);
            earlier_claims.push(w::PastClaim {
                claim_id: format!("c-{n}-e{e}"),
                kind: random.pick(&KINDS),
                opened_at: NOW - age * DAY,
                outcome: w::Outcome::Compensate,
                money_given: w::Money {
                    amount: 10_000,
                    currency: "RUB".into(),
                },
                sorry_coupon_given: random.chance(40),
                same_shop: random.chance(50),
            });
        }
    }
    if random.chance(5) {
        earlier_claims.push(w::PastClaim {
            claim_id,
            kind,
            opened_at: NOW - DAY,
            outcome: w::Outcome::Pending,
            money_given: w::Money {
                amount: 0,
                currency: "RUB".into(),
            },
            sorry_coupon_given: true,
            same_shop: true,
        });
    }
    earlier_claims.sort_by_key(|past| std::cmp::Reverse(past.opened_at));
    let history = w::History {
        earlier_claims,
        photos: Vec::new(),
        on_hard_fraud_list: false,
    };
    let input = json!({
        "claim": serde_json::to_value(&claim).unwrap_or(Value::Null),
        "history": serde_json::to_value(&history).unwrap_or(Value::Null),
        "settings": settings(),
    });
    Case {
        claim,
        history,
        input,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_the_same_every_time_and_has_every_kind() {
        let one = generate(SEED, 500);
        let two = generate(SEED, 500);
        assert_eq!(
            one.iter().map(|case| &case.input).collect::<Vec<_>>(),
            two.iter().map(|case| &case.input).collect::<Vec<_>>()
        );
        for kind in KINDS {
            assert!(one.iter().any(|case| case.claim.kind == kind), "{kind:?}");
        }
        assert_eq!(one[0].input["claim"]["claim_id"], "c-0");
    }
}
