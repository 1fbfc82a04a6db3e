//! The limits every policy call runs under, with safe defaults.

use std::time::Duration;

/// Per-call limits, and how the host shields itself from a module that keeps breaking
/// them. The defaults suit the platform's own policies with a wide margin: a standard
/// decision runs in tens of microseconds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time a call may take before it is interrupted.
    pub deadline: Duration,
    /// Wall-clock time a module may take to describe itself when it is loaded
    /// (`metadata` and `settings-schema`, once per load).
    pub describe_deadline: Duration,
    /// How often the epoch advances; a call overruns its deadline by at most one tick.
    pub epoch_tick: Duration,
    /// Linear memory a guest may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wasm stack a call may use, in bytes.
    pub max_wasm_stack_bytes: usize,
    /// Component instances the pooling allocator keeps ready (calls in flight at once).
    pub pooled_instances: u32,
    /// How large an answer may be.
    pub output: OutputLimits,
    /// When a shop's module stops being called after exhausting its limits.
    pub suspension: SuspensionPolicy,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_millis(10),
            describe_deadline: Duration::from_secs(1),
            epoch_tick: Duration::from_millis(1),
            memory_bytes: 64 << 20,
            max_wasm_stack_bytes: 512 << 10,
            pooled_instances: 256,
            output: OutputLimits::default(),
            suspension: SuspensionPolicy::default(),
        }
    }
}

impl Limits {
    /// The deadline in epoch ticks, rounded up, at least one.
    pub fn deadline_ticks(&self) -> u64 {
        self.ticks(self.deadline)
    }

    /// The describe deadline in epoch ticks, rounded up, at least one.
    pub fn describe_deadline_ticks(&self) -> u64 {
        self.ticks(self.describe_deadline.max(self.deadline))
    }

    fn ticks(&self, duration: Duration) -> u64 {
        let tick = self.epoch_tick.as_nanos().max(1);
        let ticks = duration.as_nanos().div_ceil(tick);
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

/// Caps on what one call may give back. Going over one is `output_too_large`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLimits {
    /// Actions in one decision (or extra actions of one assessment).
    pub max_actions: usize,
    /// Reasons in one decision, signals in one assessment, items in one evidence request.
    pub max_reasons: usize,
    /// Bytes of any one text: a reason, a note, an evidence item.
    pub max_text_bytes: usize,
    /// Bytes of what a guest writes to stdout and stderr, kept with the decision; more
    /// is cut off (not a failure).
    pub guest_output_bytes: usize,
}

impl Default for OutputLimits {
    /// The contract's default caps (the SDK's test runtime applies the same), and 1 KiB
    /// of guest output.
    fn default() -> Self {
        let caps = arbiter_contract_rules::OutputCaps::DEFAULT;
        Self {
            max_actions: caps.max_actions,
            max_reasons: caps.max_reasons,
            max_text_bytes: caps.max_text_bytes,
            guest_output_bytes: 1 << 10,
        }
    }
}

/// A shop's module that runs out of time or memory `after_failures` times in a row is
/// not called for `cooldown`: its claims get the shop's failure policy at once, with
/// the failure `module_suspended`. One call is let through after the cooldown; a
/// success lifts the suspension, another exhaustion renews it. Without this, a module
/// that spins forever costs a core for a whole deadline on every one of its claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspensionPolicy {
    /// Consecutive exhaustions (timeouts, memory limit) that suspend; 0 never suspends.
    pub after_failures: u32,
    /// How long a suspension lasts.
    pub cooldown: Duration,
}

impl Default for SuspensionPolicy {
    fn default() -> Self {
        Self {
            after_failures: 3,
            cooldown: Duration::from_secs(30),
        }
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
