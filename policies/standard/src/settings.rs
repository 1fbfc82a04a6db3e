//! The values a seller may change without code (the rulebook's settings table), their
//! defaults, and the checks `validate-settings` runs before the host stores them.

use arbiter_sdk::prelude::*;

/// The standard rulebook's thresholds. Amounts are minor units of the order's currency
/// (`50000` RUB = 500.00 RUB); windows are whole days.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StandardSettings {
    /// A claim worth less than this (minor units) is compensated with a promo code.
    pub promo_max: i64,
    /// A claim worth from promo_max up to and including this (minor units) is refunded in
    /// money and the goods stay with the customer; above it office staff review the claim.
    pub refund_max: i64,
    /// Compensate automatically only the customer's first claim within
    /// repeat_window_days; a repeat claim goes through verification first.
    pub first_case_only: bool,
    /// How many days back "first claim" looks.
    pub repeat_window_days: u32,
    /// A claim about damaged, short, incomplete, wrong or used goods, or about the
    /// delivery, opened more than this many days after delivery goes to office staff.
    pub dispute_window_days: u32,
    /// Goods of proper quality can be returned within this many days of delivery
    /// (the 14 days of Russian consumer law).
    pub return_window_days: u32,
    /// The standard sorry-coupon (minor units), capped at the order total.
    pub sorry_coupon: i64,
    /// A sorry-coupon that would be more than this many for one customer within 30 days
    /// goes to office staff instead.
    pub sorry_coupons_per_30d: u32,
    /// A party (seller or customer) that has not answered for this many days has
    /// forfeited; also the days a confirmation is given to arrive.
    pub response_days: u32,
    /// Days promised to send a receipt or a warranty card.
    pub document_eta_days: u32,
    /// Days after which the document team is followed up when a warranty card was asked for.
    pub followup_after_days: u32,
}

impl Default for StandardSettings {
    fn default() -> Self {
        Self {
            promo_max: 50_000,
            refund_max: 200_000,
            first_case_only: true,
            repeat_window_days: 365,
            dispute_window_days: 3,
            return_window_days: 14,
            sorry_coupon: 30_000,
            sorry_coupons_per_30d: 2,
            response_days: 3,
            document_eta_days: 3,
            followup_after_days: 2,
        }
    }
}

/// The longest window a setting may have, in days.
const MAX_WINDOW_DAYS: u32 = 365;

impl StandardSettings {
    /// Every window setting with its key, for the 1..=365 check.
    fn windows(&self) -> [(&'static str, u32); 6] {
        [
            ("repeat_window_days", self.repeat_window_days),
            ("dispute_window_days", self.dispute_window_days),
            ("return_window_days", self.return_window_days),
            ("response_days", self.response_days),
            ("document_eta_days", self.document_eta_days),
            ("followup_after_days", self.followup_after_days),
        ]
    }
}

impl PolicySettings for StandardSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.promo_max <= 0 {
            return Err(setting_error(
                "promo_max",
                format!("promo_max must be greater than 0, got {}", self.promo_max),
            ));
        }
        // The pair is named by promo_max: the rule reads `0 < promo_max <= refund_max`.
        if self.promo_max > self.refund_max {
            return Err(setting_error(
                "promo_max",
                format!(
                    "promo_max ({}) must not be greater than refund_max ({})",
                    self.promo_max, self.refund_max
                ),
            ));
        }
        if self.sorry_coupon <= 0 {
            return Err(setting_error(
                "sorry_coupon",
                format!(
                    "sorry_coupon must be greater than 0, got {}",
                    self.sorry_coupon
                ),
            ));
        }
        for (key, days) in self.windows() {
            if !(1..=MAX_WINDOW_DAYS).contains(&days) {
                return Err(setting_error(
                    key,
                    format!("{key} must be between 1 and {MAX_WINDOW_DAYS} days, got {days}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_sdk::runtime::{settings_schema, validate_settings};
    use rstest::rstest;

    #[test]
    fn defaults_are_the_rulebook_table() {
        let settings = arbiter_sdk::settings::parse_settings::<StandardSettings>("{}");
        assert_eq!(settings, Ok(StandardSettings::default()));
        let settings = StandardSettings::default();
        assert_eq!(settings.promo_max, 50_000);
        assert_eq!(settings.refund_max, 200_000);
        assert!(settings.first_case_only);
        assert_eq!(settings.repeat_window_days, 365);
        assert_eq!(settings.dispute_window_days, 3);
        assert_eq!(settings.return_window_days, 14);
        assert_eq!(settings.sorry_coupon, 30_000);
        assert_eq!(settings.sorry_coupons_per_30d, 2);
        assert_eq!(settings.response_days, 3);
        assert_eq!(settings.document_eta_days, 3);
        assert_eq!(settings.followup_after_days, 2);
    }

    #[rstest]
    #[case::empty_text("")]
    #[case::empty_object("{}")]
    #[case::promo_equals_refund(r#"{"promo_max": 100000, "refund_max": 100000}"#)]
    #[case::windows_at_the_edges(
        r#"{"repeat_window_days": 1, "dispute_window_days": 365, "return_window_days": 365,
            "response_days": 1, "document_eta_days": 1, "followup_after_days": 365}"#
    )]
    #[case::no_coupons_at_all(r#"{"sorry_coupons_per_30d": 0, "first_case_only": false}"#)]
    fn good_settings_pass(#[case] settings: &str) {
        assert_eq!(validate_settings::<StandardSettings>(settings), Ok(()));
    }

    #[rstest]
    #[case::promo_zero(r#"{"promo_max": 0}"#, "promo_max")]
    #[case::promo_negative(r#"{"promo_max": -1}"#, "promo_max")]
    #[case::promo_above_refund(r#"{"promo_max": 200001}"#, "promo_max")]
    #[case::refund_below_promo(r#"{"refund_max": 49999}"#, "promo_max")]
    #[case::coupon_zero(r#"{"sorry_coupon": 0}"#, "sorry_coupon")]
    #[case::coupon_negative(r#"{"sorry_coupon": -5}"#, "sorry_coupon")]
    #[case::repeat_window_zero(r#"{"repeat_window_days": 0}"#, "repeat_window_days")]
    #[case::repeat_window_long(r#"{"repeat_window_days": 366}"#, "repeat_window_days")]
    #[case::dispute_window_zero(r#"{"dispute_window_days": 0}"#, "dispute_window_days")]
    #[case::return_window_long(r#"{"return_window_days": 400}"#, "return_window_days")]
    #[case::response_zero(r#"{"response_days": 0}"#, "response_days")]
    #[case::document_eta_long(r#"{"document_eta_days": 366}"#, "document_eta_days")]
    #[case::followup_zero(r#"{"followup_after_days": 0}"#, "followup_after_days")]
    #[case::negative_days(r#"{"response_days": -1}"#, "response_days")]
    #[case::wrong_type(r#"{"first_case_only": "yes"}"#, "first_case_only")]
    #[case::float_money(r#"{"sorry_coupon": 300.5}"#, "sorry_coupon")]
    #[case::unknown_key(r#"{"promo_maximum": 1}"#, "promo_maximum")]
    fn bad_settings_name_the_key(#[case] settings: &str, #[case] key: &str) {
        let error = validate_settings::<StandardSettings>(settings).unwrap_err();
        assert_eq!(error.key.as_deref(), Some(key), "{}", error.message);
        assert!(error.message.contains(key), "{}", error.message);
    }

    #[test]
    fn schema_has_a_default_and_a_description_for_every_key() {
        let schema: serde_json::Value =
            serde_json::from_str(&settings_schema::<StandardSettings>()).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        let defaults = serde_json::json!({
            "promo_max": 50000, "refund_max": 200000, "first_case_only": true,
            "repeat_window_days": 365, "dispute_window_days": 3, "return_window_days": 14,
            "sorry_coupon": 30000, "sorry_coupons_per_30d": 2, "response_days": 3,
            "document_eta_days": 3, "followup_after_days": 2
        });
        let defaults = defaults.as_object().unwrap();
        assert_eq!(properties.len(), defaults.len());
        for (key, default) in defaults {
            let property = &properties[key];
            assert_eq!(&property["default"], default, "default of {key}");
            let description = property["description"].as_str().unwrap_or_default();
            assert!(!description.is_empty(), "{key} has no description");
        }
        assert_eq!(schema["additionalProperties"], false);
    }
}
