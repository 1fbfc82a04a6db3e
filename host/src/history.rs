//! The history the host supplies with a claim: the customer's earlier claims, what is
//! known of each evidence photo, and the hard-fraud list. The ledger computes it; the
//! CLI reads it from a file; both hand it to policies through [`crate::convert`].

use serde::{Deserialize, Serialize};

use crate::contract::{ClaimKind, Outcome, Timestamp};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// How far back the earlier claims reach, in days.
pub const HISTORY_WINDOW_DAYS: i64 = 365;
/// The most earlier claims a policy is given (the newest).
pub const MAX_EARLIER_CLAIMS: usize = 200;

/// What the platform knows of a customer when a claim arrives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerHistory {
    /// Earlier claims of the customer, any order; revisions of one claim once.
    #[serde(default)]
    pub earlier_claims: Vec<PastClaim>,
    /// What is known of the claim's photos, by hash; a photo not listed was never seen.
    #[serde(default)]
    pub photos: Vec<PhotoHistory>,
    #[serde(default)]
    pub on_hard_fraud_list: bool,
    /// Compensation already given, for the envelope's caps (policies never see it).
    #[serde(default)]
    pub spending: Spending,
}

/// Compensation already given (minor units, summed over the latest revision of each
/// claim, this claim excluded), as of the request's `now`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spending {
    /// By the claim's shop on the UTC day of `now`.
    #[serde(default)]
    pub shop_today: i64,
    /// To the claim's customer in the 30 days up to `now`.
    #[serde(default)]
    pub customer_30d: i64,
}

/// An earlier claim of the same customer, at its latest revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastClaim {
    pub claim_id: String,
    pub kind: ClaimKind,
    pub opened_at: Timestamp,
    pub outcome: Outcome,
    pub money_given: MoneyGiven,
    #[serde(default)]
    pub sorry_coupon_given: bool,
    #[serde(default)]
    pub same_shop: bool,
}

/// Money in minor units with its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyGiven {
    pub amount: i64,
    pub currency: String,
}

/// Whether a photo's hash was seen before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoHistory {
    pub sha256: String,
    #[serde(default)]
    pub seen_in_own_claims: bool,
    #[serde(default)]
    pub seen_in_others_claims: bool,
}
