//! The Wasm engine: compiles policy components, checks their world, pre-instantiates them
//! once, and runs every call in a fresh, limited `Store`.
//!
//! Guests get nothing from the host: no files, network, environment, clock or
//! randomness, so a call is a pure function of its arguments. The one exception is
//! output: a guest built for WASI may write to stdout and stderr, which are captured
//! (capped) and kept with the call ([`output`]). Each call has a wall-clock deadline (epoch interruption), a memory cap
//! and a stack cap; a guest that breaks one is a [`GuestFailure`], never a panic.

mod error;
mod limits;
mod module;
mod output;

pub use error::{GuestFailure, GuestFailureKind, LoadError, NotAComponent};
pub use limits::{Limits, OutputLimits, SuspensionPolicy};
pub use module::{
    Called, CompensationModule, FraudModule, ModuleDigest, Source, TrustedArtifact, WarmPolicy,
};

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

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
    linker: Linker<module::CallState>,
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
            .cranelift_opt_level(OptLevel::Speed);

        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(limits.pooled_instances)
            .total_core_instances(limits.pooled_instances.saturating_mul(4))
            .total_memories(limits.pooled_instances.saturating_mul(2))
            .total_tables(limits.pooled_instances.saturating_mul(4))
            .max_memory_size(limits.memory_bytes);
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

    fn linker(&self) -> &Linker<module::CallState> {
        &self.inner.linker
    }

    /// Compiles a component to this engine's native artifact, for the on-disk cache.
    pub fn precompile(&self, bytes: &[u8]) -> Result<TrustedArtifact, LoadError> {
        module::sniff_component(bytes)?;
        self.inner
            .wasmtime
            .precompile_component(bytes)
            .map(TrustedArtifact::written_by_us)
            .map_err(|error| LoadError::NotAComponent {
                why: NotAComponent::InvalidComponent,
                detail: format!("{error:#}"),
            })
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
