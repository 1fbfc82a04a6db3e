//! Facts derived from a claim: its value and the silences the rulebook counts.

use crate::time::more_than_days_after;
use crate::{Claim, ClaimKind, Item, Money};

impl Item {
    /// This line's part of the claim value: the affected units at their price, or at the
    /// missing component's price for an incomplete set when one is given.
    pub fn affected_value(&self, kind: ClaimKind) -> i64 {
        let price = match (kind, self.component_price) {
            (ClaimKind::IncompleteSet, Some(component)) => component,
            _ => self.unit_price,
        };
        price.saturating_mul(i64::from(self.quantity_affected))
    }
}

impl Claim {
    /// Unit price times affected quantity, summed over the affected items, in minor units
    /// of the order's currency. Saturates instead of overflowing.
    pub fn claim_value(&self) -> i64 {
        self.items
            .iter()
            .map(|item| item.affected_value(self.kind))
            .fold(0_i64, i64::saturating_add)
    }

    /// The claim value with the order's currency.
    pub fn claim_money(&self) -> Money {
        Money::new(self.claim_value(), &self.order.currency)
    }

    /// `amount` in the order's currency.
    pub fn money(&self, amount: i64) -> Money {
        Money::new(amount, &self.order.currency)
    }

    /// The seller has not answered for more than `days` days, counted from the later of
    /// `opened_at` and `last_seller_reply_at`.
    pub fn seller_silent_for(&self, days: u32) -> bool {
        let since = self
            .last_seller_reply_at
            .map_or(self.opened_at, |reply| reply.max(self.opened_at));
        more_than_days_after(self.now, since, days)
    }

    /// The customer has not answered for more than `days` days, counted from the later of
    /// `opened_at` and `last_customer_reply_at`.
    pub fn customer_silent_for(&self, days: u32) -> bool {
        let since = self
            .last_customer_reply_at
            .map_or(self.opened_at, |reply| reply.max(self.opened_at));
        more_than_days_after(self.now, since, days)
    }

    /// The claim was opened more than `days` days after delivery. A claim about an order
    /// not yet delivered is never late.
    pub fn opened_later_than(&self, days: u32) -> bool {
        self.order
            .delivered_at
            .is_some_and(|delivered| more_than_days_after(self.opened_at, delivered, days))
    }

    /// Whether any evidence photo was uploaded.
    pub fn has_photos(&self) -> bool {
        !self.evidence.photos.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use crate::sample;
    use crate::time::DAY_MS;
    use crate::{ClaimKind, Item};

    fn item(unit_price: i64, affected: u32, component_price: Option<i64>) -> Item {
        Item {
            sku: "s".into(),
            title: "t".into(),
            unit_price,
            quantity_ordered: affected.max(1),
            quantity_affected: affected,
            component_price,
            category: "c".into(),
        }
    }

    #[test]
    fn value_sums_affected_units() {
        let mut claim = sample::claim(ClaimKind::ShortShipment);
        claim.items = vec![item(35_000, 2, None), item(1_000, 1, Some(10))];
        assert_eq!(claim.claim_value(), 71_000);
    }

    #[test]
    fn incomplete_set_uses_the_component_price() {
        let mut claim = sample::claim(ClaimKind::IncompleteSet);
        claim.items = vec![item(120_000, 1, Some(15_000)), item(5_000, 1, None)];
        assert_eq!(claim.claim_value(), 20_000);
    }

    #[test]
    fn value_saturates() {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.items = vec![item(i64::MAX, 3, None), item(1, 1, None)];
        assert_eq!(claim.claim_value(), i64::MAX);
    }

    #[test]
    fn silence_counts_from_the_later_reply() {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.opened_at = 0;
        claim.now = 4 * DAY_MS;
        assert!(claim.seller_silent_for(3));
        claim.last_seller_reply_at = Some(2 * DAY_MS);
        assert!(!claim.seller_silent_for(3));
        assert!(claim.customer_silent_for(3));
        claim.last_customer_reply_at = Some(DAY_MS + 1);
        assert!(!claim.customer_silent_for(3));
    }
}
