//! The rulebook's core, for the engine benchmark (`bench/rules/README.md`): the tiers,
//! first case, the soft fraud signals F4-F7 and the sorry-coupon caps, for every kind of
//! claim. Built natively (the floor) and as a Wasm component (Arbiter), so both run the
//! very same code; the Rego and GoRules versions in `bench/rules` must agree with it.

use arbiter_sdk::prelude::*;
use arbiter_sdk::time::days_ms;

/// The thresholds; the defaults are the rulebook's.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CoreSettings {
    pub promo_max: i64,
    pub refund_max: i64,
    pub repeat_window_days: u32,
    pub sorry_coupon: i64,
    pub sorry_coupons_per_30d: u32,
    pub claims_per_30d_soft: u32,
    pub new_account_days: u32,
}

impl Default for CoreSettings {
    fn default() -> Self {
        Self {
            promo_max: 50_000,
            refund_max: 200_000,
            repeat_window_days: 365,
            sorry_coupon: 30_000,
            sorry_coupons_per_30d: 2,
            claims_per_30d_soft: 4,
            new_account_days: 7,
        }
    }
}

impl PolicySettings for CoreSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.promo_max <= 0 || self.promo_max > self.refund_max {
            return Err(setting_error(
                "promo_max",
                "must be greater than 0 and at most refund_max",
            ));
        }
        Ok(())
    }
}

/// The core rules as a policy.
#[derive(Debug)]
pub struct CorePolicy;

impl CompensationPolicy for CorePolicy {
    type Settings = CoreSettings;

    fn metadata() -> ModuleMetadata {
        ModuleMetadata::new(
            "bench-core",
            "0.1.0",
            &[
                "F4", "F5", "F6", "F7", "R9", "R9.cap", "FC", "T1", "T2", "T3",
            ],
        )
    }

    fn decide(
        claim: &Claim,
        history: &History,
        settings: &CoreSettings,
    ) -> Result<Decision, PolicyError> {
        let value = claim.claim_value();
        // Earlier claims (never a revision of this one) opened within `days` before now.
        let within = |days: u32| {
            history.earlier_claims.iter().filter(move |past| {
                past.claim_id != claim.claim_id
                    && past.opened_at <= claim.now
                    && claim.now.saturating_sub(past.opened_at) <= days_ms(days)
            })
        };

        let mut signals: Vec<&str> = Vec::new();
        let denied = |answer: Option<PartyAnswer>| answer == Some(PartyAnswer::Denied);
        if denied(claim.confirmations.courier)
            && denied(claim.confirmations.warehouse)
            && !claim.evidence.photos.iter().any(|photo| photo.shows_labels)
        {
            signals.push("F4");
        }
        let mut ids: Vec<&str> = within(30).map(|past| past.claim_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() + 1 >= settings.claims_per_30d_soft as usize {
            signals.push("F5");
        }
        if value > claim.order.total {
            signals.push("F6");
        }
        if claim.now.saturating_sub(claim.customer.account_created_at)
            < days_ms(settings.new_account_days)
            && value > settings.promo_max
        {
            signals.push("F7");
        }

        if let Some((first, rest)) = signals.split_first() {
            let mut decision = Decision::escalate(first, "soft fraud signals");
            for signal in rest {
                decision = decision.because(signal, "soft fraud signal");
            }
            return Ok(decision);
        }
        if claim.kind == ClaimKind::DeliveryProblem {
            let coupons = within(30).filter(|past| past.sorry_coupon_given).count();
            // This coupon counted too: earlier ones + 1 <= the cap.
            if coupons < settings.sorry_coupons_per_30d as usize {
                let amount = settings.sorry_coupon.min(claim.order.total);
                return Ok(Decision::new(Outcome::Compensate)
                    .with(Action::SorryCoupon(claim.money(amount)))
                    .paid_by(Payer::Seller)
                    .because("R9", "a sorry-coupon, capped at the order total"));
            }
            return Ok(Decision::escalate("R9.cap", "too many sorry-coupons"));
        }
        if within(settings.repeat_window_days).next().is_some() {
            return Ok(Decision::escalate("FC", "not the customer's first claim"));
        }
        Ok(if value < settings.promo_max {
            Decision::new(Outcome::Compensate)
                .with(Action::PromoCode(claim.money(value)))
                .paid_by(Payer::Seller)
                .because("T1", "a promo code for the claim value")
        } else if value <= settings.refund_max {
            // A return's refund pays for goods that come back (the contract's rule).
            let requires_return = claim.kind == ClaimKind::Return;
            Decision::new(Outcome::Compensate)
                .with(Action::refund(
                    value,
                    &claim.order.currency,
                    requires_return,
                ))
                .paid_by(Payer::Seller)
                .because("T2", "a refund of the claim value")
        } else {
            Decision::escalate("T3", "above refund_max: office staff")
        })
    }
}

arbiter_sdk::export_compensation_policy!(CorePolicy);
