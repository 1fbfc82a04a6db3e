//! Time helpers. A timestamp is milliseconds since the Unix epoch (UTC); a policy never
//! reads a clock, it compares the claim's own timestamps.

use crate::Timestamp;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// `days` as milliseconds.
pub fn days_ms(days: u32) -> i64 {
    i64::from(days) * DAY_MS
}

/// Whether `later` is more than `days` days after `earlier`.
pub fn more_than_days_after(later: Timestamp, earlier: Timestamp, days: u32) -> bool {
    later.saturating_sub(earlier) > days_ms(days)
}

/// Whether `at` lies within the `days` days up to `now` (inclusive of the boundary).
pub fn within_days_before(at: Timestamp, now: Timestamp, days: u32) -> bool {
    at <= now && now.saturating_sub(at) <= days_ms(days)
}

/// Whole days from `earlier` to `later`, rounded down (negative when `later` is before).
pub fn whole_days_between(earlier: Timestamp, later: Timestamp) -> i64 {
    later.saturating_sub(earlier).div_euclid(DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_exact() {
        assert!(!more_than_days_after(3 * DAY_MS, 0, 3));
        assert!(more_than_days_after(3 * DAY_MS + 1, 0, 3));
        assert!(within_days_before(0, 30 * DAY_MS, 30));
        assert!(!within_days_before(0, 30 * DAY_MS + 1, 30));
        assert!(!within_days_before(DAY_MS, 0, 30));
        assert_eq!(whole_days_between(0, DAY_MS * 2 + 5), 2);
        assert_eq!(whole_days_between(DAY_MS, 0), -1);
    }
}
