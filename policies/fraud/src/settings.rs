//! The fraud screen's own settings (platform operators tune them, not sellers), and the
//! `promo_max` it borrows from the shop's compensation settings for F7.

use arbiter_sdk::prelude::*;

/// Settings of the platform fraud screen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FraudSettings {
    /// F7: an account younger than this many days when the claim is decided is a new
    /// account (1 to 365).
    pub new_account_days: u32,
    /// F5: the customer's claim of this number or later within 30 days, counting this
    /// one (revisions of one claim count once), is soft risk. Greater than 0.
    pub claims_per_30d_soft: u32,
    /// F7: `promo_max` in minor units when the shop's settings carry no positive integer
    /// `promo_max` of their own. Greater than 0.
    pub default_promo_max: i64,
}

impl Default for FraudSettings {
    fn default() -> Self {
        Self {
            new_account_days: 7,
            claims_per_30d_soft: 4,
            default_promo_max: 50_000,
        }
    }
}

impl PolicySettings for FraudSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=365).contains(&self.new_account_days) {
            return Err(setting_error(
                "new_account_days",
                format!(
                    "`new_account_days` must be from 1 to 365 days, got {}",
                    self.new_account_days
                ),
            ));
        }
        if self.claims_per_30d_soft == 0 {
            return Err(setting_error(
                "claims_per_30d_soft",
                "`claims_per_30d_soft` must be greater than 0",
            ));
        }
        if self.default_promo_max <= 0 {
            return Err(setting_error(
                "default_promo_max",
                format!(
                    "`default_promo_max` must be greater than 0, got {}",
                    self.default_promo_max
                ),
            ));
        }
        Ok(())
    }
}

/// Where the `promo_max` F7 compares against came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoMaxSource {
    /// The shop's compensation settings set it.
    Shop,
    /// The screen's `default_promo_max`.
    Default,
}

/// The `promo_max` F7 compares a claim's value against, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromoMax {
    pub amount: i64,
    pub source: PromoMaxSource,
}

impl FraudSettings {
    /// `promo_max` from the shop's settings (JSON object text) when it is a positive
    /// integer there; otherwise, including empty or invalid text, `default_promo_max`.
    pub fn promo_max_for(&self, shop_settings: &str) -> PromoMax {
        let from_shop = serde_json::from_str::<serde_json::Value>(shop_settings)
            .ok()
            .and_then(|settings| settings.get("promo_max")?.as_i64())
            .filter(|amount| *amount > 0);
        match from_shop {
            Some(amount) => PromoMax {
                amount,
                source: PromoMaxSource::Shop,
            },
            None => PromoMax {
                amount: self.default_promo_max,
                source: PromoMaxSource::Default,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_sdk::runtime;
    use rstest::rstest;

    #[test]
    fn empty_settings_are_the_documented_defaults() {
        assert_eq!(runtime::validate_settings::<FraudSettings>(""), Ok(()));
        assert_eq!(
            FraudSettings::default(),
            FraudSettings {
                new_account_days: 7,
                claims_per_30d_soft: 4,
                default_promo_max: 50_000,
            }
        );
    }

    #[rstest]
    #[case::days_zero(r#"{"new_account_days": 0}"#, "new_account_days")]
    #[case::days_over_a_year(r#"{"new_account_days": 366}"#, "new_account_days")]
    #[case::days_negative(r#"{"new_account_days": -1}"#, "new_account_days")]
    #[case::claims_zero(r#"{"claims_per_30d_soft": 0}"#, "claims_per_30d_soft")]
    #[case::claims_not_a_number(r#"{"claims_per_30d_soft": "four"}"#, "claims_per_30d_soft")]
    #[case::promo_zero(r#"{"default_promo_max": 0}"#, "default_promo_max")]
    #[case::promo_negative(r#"{"default_promo_max": -100}"#, "default_promo_max")]
    #[case::unknown_key(r#"{"promo_max": 100}"#, "promo_max")]
    fn invalid_settings_name_the_key(#[case] settings: &str, #[case] key: &str) {
        let Err(error) = runtime::validate_settings::<FraudSettings>(settings) else {
            panic!("settings {settings} must be refused");
        };
        assert_eq!(error.key.as_deref(), Some(key), "{}", error.message);
        assert!(error.message.contains(key), "{}", error.message);
    }

    #[rstest]
    #[case::one_day(r#"{"new_account_days": 1}"#)]
    #[case::a_year(r#"{"new_account_days": 365}"#)]
    #[case::every_claim(r#"{"claims_per_30d_soft": 1}"#)]
    #[case::all(r#"{"new_account_days": 3, "claims_per_30d_soft": 6, "default_promo_max": 1}"#)]
    fn valid_settings_pass(#[case] settings: &str) {
        assert_eq!(
            runtime::validate_settings::<FraudSettings>(settings),
            Ok(())
        );
    }

    #[test]
    fn schema_has_a_default_and_a_description_for_every_key() {
        let schema = runtime::settings_schema::<FraudSettings>();
        let schema: serde_json::Value =
            serde_json::from_str(&schema).unwrap_or_else(|error| panic!("schema is JSON: {error}"));
        for (key, default) in [
            ("new_account_days", 7),
            ("claims_per_30d_soft", 4),
            ("default_promo_max", 50_000),
        ] {
            let property = &schema["properties"][key];
            assert_eq!(property["default"], default, "{key}");
            assert!(
                property["description"]
                    .as_str()
                    .is_some_and(|text| !text.is_empty()),
                "{key} has no description"
            );
        }
    }

    #[rstest]
    #[case::shop_sets_it(r#"{"promo_max": 30000}"#, 30_000, PromoMaxSource::Shop)]
    #[case::shop_among_others(
        r#"{"refund_max": 1, "promo_max": 70000}"#,
        70_000,
        PromoMaxSource::Shop
    )]
    #[case::empty_text("", 50_000, PromoMaxSource::Default)]
    #[case::empty_object("{}", 50_000, PromoMaxSource::Default)]
    #[case::invalid_json(r#"{"promo_max": "#, 50_000, PromoMaxSource::Default)]
    #[case::not_an_object("[30000]", 50_000, PromoMaxSource::Default)]
    #[case::a_string(r#"{"promo_max": "30000"}"#, 50_000, PromoMaxSource::Default)]
    #[case::a_fraction(r#"{"promo_max": 300.5}"#, 50_000, PromoMaxSource::Default)]
    #[case::zero(r#"{"promo_max": 0}"#, 50_000, PromoMaxSource::Default)]
    #[case::negative(r#"{"promo_max": -5}"#, 50_000, PromoMaxSource::Default)]
    #[case::beyond_i64(
        r#"{"promo_max": 18446744073709551615}"#,
        50_000,
        PromoMaxSource::Default
    )]
    fn promo_max_comes_from_the_shop_or_the_default(
        #[case] shop_settings: &str,
        #[case] amount: i64,
        #[case] source: PromoMaxSource,
    ) {
        assert_eq!(
            FraudSettings::default().promo_max_for(shop_settings),
            PromoMax { amount, source }
        );
    }
}
