//! The host's wall clock, for record keeping only: when a decision, a version or an
//! upload was written. Never an input to a decision (a claim carries its own `now`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, by the host's clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
