//! Suspends a shop's module that keeps exhausting its limits, so that a module which
//! spins forever (or grows memory until stopped) costs the host a few deadlines, not
//! one per claim. A circuit breaker per (shop, module), held in memory on each host:
//! each replica learns a module's streak from its own calls.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::engine::{GuestFailureKind, ModuleDigest, SuspensionPolicy};

/// The streaks of every (shop, module) pair that failed lately.
#[derive(Debug)]
pub struct Suspensions {
    policy: SuspensionPolicy,
    streaks: Mutex<HashMap<(String, ModuleDigest), Streak>>,
}

#[derive(Debug, Clone, Copy)]
struct Streak {
    /// Exhaustions in a row.
    failures: u32,
    /// While set and in the future, the module is not called.
    until: Option<Instant>,
}

impl Suspensions {
    pub fn new(policy: SuspensionPolicy) -> Self {
        Self {
            policy,
            streaks: Mutex::new(HashMap::new()),
        }
    }

    /// Why `shop`'s `module` is not to be called now, or `None` to call it. Once a
    /// cooldown has passed, one call is let through (the others wait for its outcome
    /// behind a renewed cooldown), so a mended module is back within one call.
    pub fn check(&self, shop: &str, module: &ModuleDigest, now: Instant) -> Option<String> {
        let mut streaks = self.lock();
        let streak = streaks.get_mut(&(shop.to_owned(), module.clone()))?;
        let until = streak.until?;
        if now < until {
            let left = until.saturating_duration_since(now);
            return Some(format!(
                "the module ran out of time or memory {} times in a row; it is not called for another {} ms",
                streak.failures,
                left.as_millis()
            ));
        }
        // The probe goes ahead; until it reports, others see a fresh cooldown.
        streak.until = Some(now + self.policy.cooldown);
        None
    }

    /// Records how a call of `shop`'s `module` ended: `None` for a usable answer.
    pub fn record(
        &self,
        shop: &str,
        module: &ModuleDigest,
        failure: Option<GuestFailureKind>,
        now: Instant,
    ) {
        if self.policy.after_failures == 0 {
            return;
        }
        let key = (shop.to_owned(), module.clone());
        let mut streaks = self.lock();
        match failure {
            Some(kind) if kind.exhausts_limits() => {
                let streak = streaks.entry(key).or_insert(Streak {
                    failures: 0,
                    until: None,
                });
                streak.failures = streak.failures.saturating_add(1);
                if streak.failures >= self.policy.after_failures {
                    streak.until = Some(now + self.policy.cooldown);
                }
            }
            // A suspended answer says nothing new about the module.
            Some(GuestFailureKind::ModuleSuspended) => {}
            // Any other outcome means the module ran within its limits.
            _ => {
                streaks.remove(&key);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, ModuleDigest), Streak>> {
        // A panic while holding this lock leaves only counters behind: keep going.
        self.streaks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn policy() -> SuspensionPolicy {
        SuspensionPolicy {
            after_failures: 3,
            cooldown: Duration::from_secs(30),
        }
    }

    #[test]
    fn three_timeouts_in_a_row_suspend_for_the_cooldown() {
        let suspensions = Suspensions::new(policy());
        let module = ModuleDigest::of(b"spin");
        let start = Instant::now();
        for _ in 0..2 {
            suspensions.record("s", &module, Some(GuestFailureKind::GuestTimeout), start);
            assert_eq!(suspensions.check("s", &module, start), None);
        }
        suspensions.record("s", &module, Some(GuestFailureKind::GuestTimeout), start);
        let why = suspensions.check("s", &module, start).unwrap();
        assert!(why.contains("3 times in a row"), "{why}");
        // Another shop with the same module is not affected.
        assert_eq!(suspensions.check("other", &module, start), None);
        // After the cooldown one probe goes through; the next caller waits for it.
        let later = start + Duration::from_secs(31);
        assert_eq!(suspensions.check("s", &module, later), None);
        assert!(suspensions.check("s", &module, later).is_some());
        // The probe succeeded: the suspension is lifted.
        suspensions.record("s", &module, None, later);
        assert_eq!(suspensions.check("s", &module, later), None);
    }

    #[test]
    fn cheap_failures_and_successes_break_the_streak() {
        let suspensions = Suspensions::new(policy());
        let module = ModuleDigest::of(b"m");
        let now = Instant::now();
        for kind in [
            Some(GuestFailureKind::GuestTimeout),
            Some(GuestFailureKind::GuestMemoryLimit),
            Some(GuestFailureKind::GuestTrap),
            Some(GuestFailureKind::GuestTimeout),
            None,
            Some(GuestFailureKind::GuestTimeout),
            Some(GuestFailureKind::GuestTimeout),
        ] {
            suspensions.record("s", &module, kind, now);
        }
        assert_eq!(suspensions.check("s", &module, now), None);
    }

    #[test]
    fn zero_never_suspends() {
        let suspensions = Suspensions::new(SuspensionPolicy {
            after_failures: 0,
            ..policy()
        });
        let module = ModuleDigest::of(b"m");
        let now = Instant::now();
        for _ in 0..10 {
            suspensions.record("s", &module, Some(GuestFailureKind::GuestTimeout), now);
        }
        assert_eq!(suspensions.check("s", &module, now), None);
    }
}
