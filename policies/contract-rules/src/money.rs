//! Money for people: integer minor units shown with their currency's decimals.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        let cases = [
            (35_000, "RUB", "350.00 RUB"),
            (49_999, "RUB", "499.99 RUB"),
            (5, "RUB", "0.05 RUB"),
            (0, "EUR", "0.00 EUR"),
            (1_500, "JPY", "1500 JPY"),
            (1_500, "KWD", "1.500 KWD"),
            (-250, "RUB", "-2.50 RUB"),
            (i64::MIN, "RUB", "-92233720368547758.08 RUB"),
            (i64::MIN, "JPY", "-9223372036854775808 JPY"),
        ];
        for (amount, currency, shown) in cases {
            assert_eq!(format_money(amount, currency), shown, "{amount} {currency}");
        }
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        for (currency, digits) in [("RUB", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3)] {
            assert_eq!(minor_unit_digits(currency), digits, "{currency}");
        }
    }
}
