//! An in-memory stand-in for the ledger's history queries: it records each decision and
//! answers with the history a later claim of the same customer would be given.

use std::collections::HashMap;

use arbiter::contract::{Action, DecisionRequest, DecisionResponse};
use arbiter::history::{CustomerHistory, MoneyGiven, PastClaim, PhotoHistory};

/// Decisions so far, oldest first.
#[derive(Debug, Default)]
pub struct HistoryBook {
    entries: Vec<(DecisionRequest, DecisionResponse)>,
}

impl HistoryBook {
    pub fn record(&mut self, request: DecisionRequest, response: DecisionResponse) {
        self.entries.push((request, response));
    }

    /// The history of `request`'s customer: earlier claims (latest revision of each,
    /// never the claim itself) and what is known of each photo.
    pub fn history_for(&self, request: &DecisionRequest) -> CustomerHistory {
        let customer = &request.customer.customer_id;
        let mut latest: HashMap<&str, &(DecisionRequest, DecisionResponse)> = HashMap::new();
        for entry in &self.entries {
            let (earlier, _) = entry;
            if &earlier.customer.customer_id == customer && earlier.claim_id != request.claim_id {
                latest.insert(earlier.claim_id.as_str(), entry);
            }
        }
        let earlier_claims = latest
            .values()
            .map(|(earlier, response)| PastClaim {
                claim_id: earlier.claim_id.clone(),
                kind: earlier.kind,
                opened_at: earlier.opened_at,
                outcome: response.outcome,
                money_given: MoneyGiven {
                    amount: response
                        .actions
                        .iter()
                        .filter_map(Action::money_amount)
                        .sum(),
                    currency: earlier.order.currency.clone(),
                },
                sorry_coupon_given: response
                    .actions
                    .iter()
                    .any(|action| matches!(action, Action::SorryCoupon { .. })),
                same_shop: earlier.shop_id == request.shop_id,
            })
            .collect();

        let photos = request
            .evidence
            .photos
            .iter()
            .map(|photo| {
                let used_in = |own: bool| {
                    self.entries.iter().any(|(earlier, _)| {
                        let same_customer = &earlier.customer.customer_id == customer;
                        same_customer == own
                            && earlier.claim_id != request.claim_id
                            && earlier
                                .evidence
                                .photos
                                .iter()
                                .any(|seen| seen.sha256 == photo.sha256)
                    })
                };
                PhotoHistory {
                    sha256: photo.sha256.clone(),
                    seen_in_own_claims: used_in(true),
                    seen_in_others_claims: used_in(false),
                }
            })
            .collect();

        CustomerHistory {
            earlier_claims,
            photos,
            on_hard_fraud_list: false,
            spending: Default::default(),
        }
    }
}
