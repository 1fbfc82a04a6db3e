//! The Wasm engine: compiles policy components, checks their world, pre-instantiates them
//! once, and runs every call in a fresh, limited `Store`.
//!
//! Guests get nothing from the host: no files, network, environment, clock or
//! randomness, so a call is a pure function of its arguments. The one exception is
//! output: a guest built for WASI may write to stdout and stderr, which are captured
//! (capped) and kept with the call ([`output`]). Each call has a wall-clock deadline (epoch interruption), a memory cap
//! and a stack cap; a guest that breaks one is a [`GuestFailure`], never a panic.

mod digest;
mod error;
mod limits;
mod module;
mod observable;
mod output;
mod store;

pub use digest::{ModuleDigest, NotADigest};
pub use error::{GuestFailure, GuestFailureKind, LoadError, NotAComponent};
pub use limits::{Limits, OutputLimits, SuspensionPolicy};
pub use module::{CompensationModule, FraudModule, Source, TrustedArtifact, WarmPolicy};
pub use store::Called;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Enabled, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

/// A configured wasmtime engine with its epoch ticker. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    wasmtime: wasmtime::Engine,
    limits: Limits,
    /// Defines the WASI interfaces; the import check lets a guest use only stdout and
    /// stderr (and the streams and empty stdin and environment they come with).
    linker: Linker<store::CallState>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine enforcing `limits` on every call.
    pub fn new(limits: Limits) -> Result<Self, LoadError> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(limits.max_wasm_stack_bytes)
            .cranelift_opt_level(OptLevel::Speed)
            // Calls are synchronous, one guest per store: no per-store state for the
            // component model's concurrency.
            .concurrency_support(false)
            // Explicit bounds checks instead of guard pages and signal handlers: a
            // slot's pages then stay read/write between calls, where otherwise every
            // call that grows its memory costs two `mprotect`s and a TLB shootdown
            // across cores: a quarter of a fresh sandbox's time in a profile, p50
            // 17.6 -> 12.5 us in the engine benchmark.
            .signals_based_traps(false)
            .memory_guard_size(0)
            .guard_before_linear_memory(false)
            .memory_reservation(u64::try_from(limits.memory_bytes).unwrap_or(u64::MAX));

        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(limits.pooled_instances)
            .total_core_instances(limits.pooled_instances.saturating_mul(4))
            .total_memories(limits.pooled_instances.saturating_mul(2))
            .total_tables(limits.pooled_instances.saturating_mul(4))
            .max_memory_size(limits.memory_bytes);
        keep_slots_resident(&mut pool);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));

        let wasmtime = wasmtime::Engine::new(&config)
            .map_err(|error| LoadError::Engine(format!("{error:#}")))?;
        let mut linker = Linker::new(&wasmtime);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|error| LoadError::Engine(format!("linking WASI: {error:#}")))?;
        spawn_epoch_ticker(&wasmtime, limits.epoch_tick)?;
        Ok(Self {
            inner: Arc::new(EngineInner {
                wasmtime,
                limits,
                linker,
            }),
        })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub(crate) fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner.wasmtime
    }

    fn linker(&self) -> &Linker<store::CallState> {
        &self.inner.linker
    }

    /// Compiles a component to this engine's native artifact, for the on-disk cache.
    pub fn precompile(&self, bytes: &[u8]) -> Result<TrustedArtifact, LoadError> {
        module::sniff_component(bytes)?;
        self.inner
            .wasmtime
            .precompile_component(bytes)
            .map(TrustedArtifact::written_by_us)
            .map_err(|error| module::invalid_component(&error))
    }

    /// Identifies what this engine's artifacts are compatible with (wasmtime version
    /// and configuration): the cache keeps artifacts of different engines apart.
    pub fn compatibility_key(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.inner
            .wasmtime
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}

/// Linear memory each pooled slot keeps mapped between calls: reset page by page to its
/// initial contents instead of handed back to the kernel (`madvise`) and faulted in
/// again by the next call. A decision dirties a few dozen pages; more than this is
/// decommitted as usual, so a memory-hungry guest does not pin its memory.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// Keeps a slot's pages resident between calls where the kernel can say which of them
/// a call dirtied (`PAGEMAP_SCAN`, Linux 6.7+): only those are reset. Without it,
/// wasmtime would `memset` the whole resident span on every call, which costs more than
/// the page faults it saves, so the default (decommit everything) stays.
///
/// Measured with the engine benchmark (`bench/run`): a fresh sandbox's p50 is 13.0 us
/// with this and 29.4 us without, in the same run; without it most of the time went to
/// the kernel (page faults, TLB shootdowns from `madvise`).
fn keep_slots_resident(pool: &mut PoolingAllocationConfig) {
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(Enabled::Yes)
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(64 << 10);
    }
}

/// Advances the engine's epoch every `tick` until the engine is dropped; a call's
/// deadline is a number of ticks.
fn spawn_epoch_ticker(engine: &wasmtime::Engine, tick: Duration) -> Result<(), LoadError> {
    let weak = engine.weak();
    thread::Builder::new()
        .name("arbiter-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                thread::sleep(tick);
            }
        })
        .map(|_| ())
        .map_err(|error| LoadError::Engine(format!("starting the epoch ticker: {error}")))
}
