//! What a guest can observe of the world through WASI, derived from its call's inputs
//! so that a call stays a pure function of them (and a replay reproduces it): the wall
//! clock reads the claim's `now`; the monotonic clock starts at 0 and advances by a fixed
//! step each time it is read; random bytes come from ChaCha20 seeded by a hash of the
//! inputs (same inputs, same bytes). Files, sockets and HTTP are not offered at all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use sha2::{Digest, Sha256};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtxBuilder};

/// How far the monotonic clock advances each time a guest reads it, in nanoseconds: a
/// guest timing itself sees time pass, by the same amount in every replay.
const MONOTONIC_STEP_NS: u64 = 1_000;

/// The time and seed a call's guest observes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CallInputs {
    /// What the wall clock reads: milliseconds since the Unix epoch.
    now_ms: i64,
    seed: [u8; 32],
}

impl CallInputs {
    /// The inputs of a call whose guest imports no WASI, so observes none of them.
    pub(super) const UNOBSERVED: Self = Self {
        now_ms: 0,
        seed: [0; 32],
    };

    /// Inputs for a call at `now_ms` whose arguments are `parts` (each hashed with its
    /// length, so the parts cannot run into each other).
    pub(super) fn of(now_ms: i64, parts: &[&[u8]]) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        Self {
            now_ms,
            seed: hash.finalize().into(),
        }
    }

    /// Gives `builder` these inputs' clocks and random sources.
    pub(super) fn configure(&self, builder: &mut WasiCtxBuilder) {
        let insecure = Self::of(self.now_ms, &[b"insecure", &self.seed]).seed;
        let mut insecure_seed = [0_u8; 16];
        insecure_seed
            .copy_from_slice(&Self::of(self.now_ms, &[b"insecure-seed", &self.seed]).seed[..16]);
        builder
            .wall_clock(FixedWallClock(self.now_ms))
            .monotonic_clock(SteppingClock(AtomicU64::new(0)))
            .secure_random(ChaCha20Rng::from_seed(self.seed))
            .insecure_random(ChaCha20Rng::from_seed(insecure))
            .insecure_random_seed(u128::from_le_bytes(insecure_seed));
    }
}

/// A wall clock that always reads one instant.
struct FixedWallClock(i64);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        // Before 1970 (never a claim's `now` in practice) reads as the epoch: WASI's
        // wall clock counts up from it.
        Duration::from_millis(u64::try_from(self.0).unwrap_or(0))
    }
}

/// A monotonic clock that advances by [`MONOTONIC_STEP_NS`] each time it is read.
struct SteppingClock(AtomicU64);

impl HostMonotonicClock for SteppingClock {
    fn resolution(&self) -> u64 {
        MONOTONIC_STEP_NS
    }

    fn now(&self) -> u64 {
        self.0.fetch_add(MONOTONIC_STEP_NS, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_inputs_give_the_same_seed_and_others_another() {
        let a = CallInputs::of(1, &[b"claim-1", b"{}"]);
        assert_eq!(a, CallInputs::of(1, &[b"claim-1", b"{}"]));
        assert_ne!(a.seed, CallInputs::of(1, &[b"claim-2", b"{}"]).seed);
        // Parts do not run into each other.
        assert_ne!(
            CallInputs::of(1, &[b"ab", b"c"]).seed,
            CallInputs::of(1, &[b"a", b"bc"]).seed
        );
    }

    #[test]
    fn the_clocks_read_the_claim_time_and_step_monotonically() {
        let wall = FixedWallClock(1_795_168_800_000);
        assert_eq!(wall.now(), Duration::from_millis(1_795_168_800_000));
        assert_eq!(wall.now(), wall.now());
        let monotonic = SteppingClock(AtomicU64::new(0));
        let first = monotonic.now();
        assert_eq!(monotonic.now(), first + MONOTONIC_STEP_NS);
    }
}
