//! A florist's own policy: how a seller starts with Arbiter.
//!
//! Flowers are never taken back; anything else under `promo_max` (1,000 RUB unless the
//! seller changes it) gets a promo code; office staff look at everything else.

use arbiter_sdk::prelude::*;

/// What the florist tunes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FloristSettings {
    /// Claims worth less than this (minor units) get a promo code.
    pub promo_max: i64,
}

impl Default for FloristSettings {
    fn default() -> Self {
        Self { promo_max: 100_000 }
    }
}

impl PolicySettings for FloristSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        match self.promo_max > 0 {
            true => Ok(()),
            false => Err(setting_error("promo_max", "must be greater than 0")),
        }
    }
}

/// The florist's rules.
#[derive(Debug)]
pub struct Florist;

impl CompensationPolicy for Florist {
    type Settings = FloristSettings;

    fn metadata() -> ModuleMetadata {
        ModuleMetadata::new("florist", "0.1.0", &["FL1", "FL2", "FL3"])
    }

    fn decide(
        claim: &Claim,
        _: &History,
        settings: &FloristSettings,
    ) -> Result<Decision, PolicyError> {
        let value = claim.claim_money();
        let limit = format_money(settings.promo_max, &claim.order.currency);
        Ok(if claim.kind == ClaimKind::Return {
            Decision::new(Outcome::Reject)
                .because("FL1", "flowers are perishable and are never taken back")
        } else if value.amount > 0 && value.amount < settings.promo_max {
            Decision::new(Outcome::Compensate)
                .with(Action::PromoCode(value.clone()))
                .paid_by(Payer::Seller)
                .because(
                    "FL2",
                    format!("claim worth {value}, below promo_max {limit}: promo code"),
                )
        } else {
            Decision::escalate(
                "FL3",
                format!("claim worth {value}, not below promo_max {limit}: the florist decides"),
            )
        })
    }
}

arbiter_sdk::export_compensation_policy!(Florist);

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_sdk::{runtime, sample};

    fn decide(claim: &Claim, settings: &str) -> Decision {
        runtime::decide::<Florist>(claim, &sample::clean_history(), settings).expect("decides")
    }

    #[test]
    fn cheap_claims_get_a_promo_code_of_their_value() {
        let mut claim = sample::claim(ClaimKind::Damaged);
        claim.items[0].unit_price = 99_999;
        let decision = decide(&claim, "");
        assert_eq!(decision.outcome, Outcome::Compensate);
        assert_eq!(
            decision.actions,
            vec![Action::PromoCode(Money::new(99_999, "RUB"))]
        );
        assert_eq!(decision.payer, Some(Payer::Seller));
    }

    #[test]
    fn claims_at_the_limit_go_to_the_florist() {
        let mut claim = sample::claim(ClaimKind::WrongItem);
        claim.items[0].unit_price = 100_000;
        let decision = decide(&claim, "");
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["FL3"]);
        assert!(!decision.moves_money());
    }

    #[test]
    fn flowers_are_never_returned() {
        let decision = decide(&sample::claim(ClaimKind::Return), "");
        assert_eq!(decision.outcome, Outcome::Reject);
    }

    #[test]
    fn the_limit_is_a_setting() {
        let decision = decide(
            &sample::claim(ClaimKind::Damaged),
            r#"{"promo_max": 30000}"#,
        );
        assert_eq!(decision.outcome, Outcome::Escalate);
        let error = runtime::validate_settings::<FloristSettings>(r#"{"promo_max": 0}"#);
        assert_eq!(error.unwrap_err().key.as_deref(), Some("promo_max"));
    }
}
