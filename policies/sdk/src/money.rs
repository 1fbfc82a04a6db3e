//! Money helpers: integer minor units with an ISO 4217 currency, never floats.

use std::fmt;

use crate::Money;

/// Digits after the decimal point for `currency` (ISO 4217 minor unit exponent).
pub fn minor_unit_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Formats minor units for people: `format_money(35000, "RUB")` is `"350.00 RUB"`.
pub fn format_money(amount: i64, currency: &str) -> String {
    let digits = minor_unit_digits(currency);
    let sign = if amount < 0 { "-" } else { "" };
    let magnitude = amount.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{magnitude} {currency}");
    }
    let scale = 10_u64.pow(digits);
    format!(
        "{sign}{}.{:0width$} {currency}",
        magnitude / scale,
        magnitude % scale,
        width = digits as usize
    )
}

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
