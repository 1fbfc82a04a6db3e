//! Money for people: minor units shown with their currency's decimals. The contract
//! rules' own formatting, which the SDK's policies use too, so host and reasons agree.

pub use arbiter_contract_rules::{format_money, minor_unit_digits};

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
