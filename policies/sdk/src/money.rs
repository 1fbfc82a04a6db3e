//! Money helpers: integer minor units with an ISO 4217 currency, never floats. The
//! formatting is the contract rules' own, so a reason reads as the host shows money.

use std::fmt;

pub use arbiter_contract_rules::money::{format_money, minor_unit_digits};

use crate::Money;

impl Money {
    /// An amount of `currency` in minor units.
    pub fn new(amount: i64, currency: &str) -> Self {
        Self {
            amount,
            currency: currency.to_owned(),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_money(self.amount, &self.currency))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_money(35_000, "RUB"), "350.00 RUB");
        assert_eq!(format_money(49_999, "RUB"), "499.99 RUB");
        assert_eq!(format_money(5, "RUB"), "0.05 RUB");
        assert_eq!(format_money(0, "EUR"), "0.00 EUR");
        assert_eq!(format_money(1_500, "JPY"), "1500 JPY");
        assert_eq!(format_money(1_500, "KWD"), "1.500 KWD");
        assert_eq!(format_money(-250, "RUB"), "-2.50 RUB");
        assert_eq!(format_money(i64::MIN, "RUB"), "-92233720368547758.08 RUB");
    }

    #[test]
    fn money_displays_like_format_money() {
        assert_eq!(Money::new(200_001, "RUB").to_string(), "2000.01 RUB");
    }
}
