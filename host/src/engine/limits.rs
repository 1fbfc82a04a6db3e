//! The limits every policy call runs under, with safe defaults.

use std::time::Duration;

/// Per-call limits. The defaults suit the platform's own policies with a wide margin.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time a call may take before it is interrupted.
    pub deadline: Duration,
    /// How often the epoch advances; a call overruns its deadline by at most one tick.
    pub epoch_tick: Duration,
    /// Linear memory a guest may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wasm stack a call may use, in bytes.
    pub max_wasm_stack_bytes: usize,
    /// Component instances the pooling allocator keeps ready (calls in flight at once).
    pub pooled_instances: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_millis(50),
            epoch_tick: Duration::from_millis(1),
            memory_bytes: 64 << 20,
            max_wasm_stack_bytes: 512 << 10,
            pooled_instances: 256,
        }
    }
}

impl Limits {
    /// The deadline in epoch ticks, rounded up, at least one.
    pub fn deadline_ticks(&self) -> u64 {
        let tick = self.epoch_tick.as_nanos().max(1);
        let ticks = self.deadline.as_nanos().div_ceil(tick);
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_rounds_up_to_whole_ticks() {
        let limits = Limits {
            deadline: Duration::from_micros(2_500),
            epoch_tick: Duration::from_millis(1),
            ..Limits::default()
        };
        assert_eq!(limits.deadline_ticks(), 3);
        let zero = Limits {
            deadline: Duration::ZERO,
            ..Limits::default()
        };
        assert_eq!(zero.deadline_ticks(), 1);
    }
}
