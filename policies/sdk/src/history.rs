//! Questions a policy asks of the customer's history.

use crate::time::within_days_before;
use crate::{History, PastClaim, Timestamp};

impl History {
    /// The earlier claims opened within `days` days before `now`.
    pub fn claims_within(&self, now: Timestamp, days: u32) -> impl Iterator<Item = &PastClaim> {
        self.earlier_claims
            .iter()
            .filter(move |past| within_days_before(past.opened_at, now, days))
    }

    /// How many sorry-coupons the customer got within `days` days before `now`.
    pub fn sorry_coupons_within(&self, now: Timestamp, days: u32) -> usize {
        self.claims_within(now, days)
            .filter(|past| past.sorry_coupon_given)
            .count()
    }

    /// Whether a photo of this claim was used in another customer's claim.
    pub fn photo_seen_in_others_claims(&self) -> bool {
        self.photos.iter().any(|photo| photo.seen_in_others_claims)
    }

    /// Whether a photo of this claim was used in an earlier claim of this customer.
    pub fn photo_seen_in_own_claims(&self) -> bool {
        self.photos.iter().any(|photo| photo.seen_in_own_claims)
    }
}
