//! The modules kept loaded in memory, within a budget of compiled-image bytes.
//!
//! A loaded module holds its compiled image: about 1 MiB for a Rust policy, 9 MiB for
//! JavaScript on QuickJS, 50 MiB for Python and 75 MiB for JavaScript on SpiderMonkey.
//! A thousand shops on a hundred JavaScript modules would hold gigabytes, so past the
//! budget the least recently used modules are dropped; the next decision that needs one
//! loads it again from the compiled cache (no compile). A module in use by a call stays
//! alive until that call ends: dropping it here only lets go of this set's reference.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::ModuleDigest;

use super::LoadedModule;

/// What the set holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResidentUsage {
    /// Modules loaded beside the built-ins.
    pub modules: usize,
    /// Bytes of their compiled images.
    pub image_bytes: usize,
    /// Modules dropped to stay within the budget since the set was made.
    pub evictions: u64,
}

/// One loaded module and when it was last asked for.
#[derive(Debug)]
struct Resident {
    module: LoadedModule,
    bytes: usize,
    last_used: AtomicU64,
}

/// Loaded modules by digest, at most `budget` bytes of images (and always the one most
/// recently added, however large).
#[derive(Debug)]
pub(super) struct ResidentModules {
    modules: HashMap<ModuleDigest, Resident>,
    bytes: usize,
    budget: usize,
    clock: AtomicU64,
    evictions: AtomicU64,
}

impl ResidentModules {
    pub(super) fn new(budget: usize) -> Self {
        Self {
            modules: HashMap::new(),
            bytes: 0,
            budget,
            clock: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// The module with `digest`, if it is loaded; marks it used.
    pub(super) fn get(&self, digest: &ModuleDigest) -> Option<LoadedModule> {
        let resident = self.modules.get(digest)?;
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        resident.last_used.store(now, Ordering::Relaxed);
        Some(resident.module.clone())
    }

    /// Keeps `module`, then drops the least recently used others while over budget.
    pub(super) fn insert(&mut self, digest: ModuleDigest, module: LoadedModule) {
        let bytes = module.image_bytes();
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let resident = Resident {
            module,
            bytes,
            last_used: AtomicU64::new(now),
        };
        if let Some(replaced) = self.modules.insert(digest.clone(), resident) {
            self.bytes = self.bytes.saturating_sub(replaced.bytes);
        }
        self.bytes = self.bytes.saturating_add(bytes);
        while self.bytes > self.budget {
            let oldest = self
                .modules
                .iter()
                .filter(|(key, _)| **key != digest)
                .min_by_key(|(_, resident)| resident.last_used.load(Ordering::Relaxed))
                .map(|(key, _)| key.clone());
            let Some(oldest) = oldest else { break };
            if let Some(evicted) = self.modules.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(evicted.bytes);
                self.evictions.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// What the set holds now.
    pub(super) fn usage(&self) -> ResidentUsage {
        ResidentUsage {
            modules: self.modules.len(),
            image_bytes: self.bytes,
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}
