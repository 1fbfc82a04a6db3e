//! Money for people: minor units shown with their currency's decimals.

/// Digits after the decimal point for `currency` (ISO 4217 minor unit exponent).
pub fn minor_unit_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `format_money(35000, "RUB")` is `"350.00 RUB"`.
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
        assert_eq!(format_money(35_000, "RUB"), "350.00 RUB");
        assert_eq!(format_money(1_500, "JPY"), "1500 JPY");
        assert_eq!(format_money(1_500, "KWD"), "1.500 KWD");
    }
}
