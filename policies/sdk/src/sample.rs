//! Sample claims for policies' unit tests: a plain, valid claim that a test then bends
//! to the case at hand.

use crate::time::DAY_MS;
use crate::{
    Claim, ClaimKind, Confirmations, Courier, Customer, CustomerReply, Evidence, Fulfilment,
    History, Item, Order, ReturnShipment,
};

/// 2026-11-20T10:00:00Z, the `now` of every sample claim.
pub const NOW: i64 = 1_795_168_800_000;

/// A first claim of `kind`, opened five minutes before [`NOW`], about one unit worth
/// 350.00 RUB of an order of 4590.00 RUB delivered the evening before, with no evidence,
/// confirmations or replies yet.
pub fn claim(kind: ClaimKind) -> Claim {
    Claim {
        claim_id: "c-1".into(),
        revision: 1,
        shop_id: "shop-1".into(),
        now: NOW,
        opened_at: NOW - 5 * 60_000,
        kind,
        subkind: None,
        desired_outcome: None,
        order: Order {
            order_id: "o-1".into(),
            currency: "RUB".into(),
            total: 459_000,
            placed_at: NOW - 4 * DAY_MS,
            delivered_at: Some(NOW - 16 * 3_600_000),
            fulfilment: Fulfilment::ThirdParty,
            courier: Courier::Seller,
        },
        items: vec![Item {
            sku: "sku-1".into(),
            title: "Vase".into(),
            unit_price: 35_000,
            quantity_ordered: 1,
            quantity_affected: 1,
            component_price: None,
            category: "home".into(),
        }],
        customer: Customer {
            customer_id: "u-1".into(),
            account_created_at: NOW - 700 * DAY_MS,
        },
        evidence: Evidence {
            photos: Vec::new(),
            damage_confirmed: None,
            documents_match_order: None,
            used_signs: Vec::new(),
        },
        confirmations: Confirmations {
            warehouse: None,
            delivery_service: None,
            category_manager: None,
            routing_team: None,
            courier: None,
        },
        return_shipment: ReturnShipment {
            received_at: None,
            shipping_cost: None,
        },
        customer_reply: CustomerReply {
            keeps_item: None,
            insists: None,
            accepts_sorry_coupon: None,
            will_return: None,
        },
        marked_as_fraud: false,
        last_seller_reply_at: None,
        last_customer_reply_at: None,
    }
}

/// No earlier claims, no photos seen before, not on the hard-fraud list.
pub fn clean_history() -> History {
    History {
        earlier_claims: Vec::new(),
        photos: Vec::new(),
        on_hard_fraud_list: false,
    }
}
