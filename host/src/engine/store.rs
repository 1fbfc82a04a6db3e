//! One call's store: the per-call state (memory limiter, captured WASI output), a fresh
//! `Store` under the engine's limits, and how a failed call is classified.

use wasmtime::{ResourceLimiter, Store, Trap};
use wasmtime_wasi::{WasiCtxView, WasiView};

use super::observable::CallInputs;
use super::output::CallWasi;
use super::{Engine, GuestFailure, GuestFailureKind, ModuleDigest};

/// A call's result, and what the guest wrote to stdout and stderr meanwhile (capped).
#[derive(Debug)]
pub struct Called<T> {
    pub result: Result<T, GuestFailure>,
    pub output: Option<String>,
}

/// Per-call state: the limiter, and for WASI guests their captured output. Nothing
/// survives a call.
pub struct CallState {
    limiter: CallLimiter,
    wasi: Option<CallWasi>,
    output_cap: usize,
    inputs: CallInputs,
}

impl CallState {
    /// The call's WASI context, made on first use.
    pub(super) fn wasi(&mut self) -> &mut CallWasi {
        let (cap, inputs) = (self.output_cap, self.inputs);
        self.wasi.get_or_insert_with(|| CallWasi::new(cap, &inputs))
    }
}

struct CallLimiter {
    memory_bytes: usize,
    hit_memory_limit: bool,
}

impl ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.hit_memory_limit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Table elements a guest may grow to; far above what a compiled policy needs.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Lets the WASI host functions find a call's context in its store.
impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi().view()
    }
}

/// A fresh store under the engine's limits, with a WASI context if the module uses one
/// (observing `inputs`).
pub(super) fn new_store(engine: &Engine, uses_wasi: bool, inputs: CallInputs) -> Store<CallState> {
    let limits = engine.limits();
    let output_cap = limits.output.guest_output_bytes;
    let mut store = Store::new(
        engine.wasmtime(),
        CallState {
            limiter: CallLimiter {
                memory_bytes: limits.memory_bytes,
                hit_memory_limit: false,
            },
            wasi: uses_wasi.then(|| CallWasi::new(output_cap, &inputs)),
            output_cap,
            inputs,
        },
    );
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(limits.deadline_ticks());
    store
}

/// What kind of failure `error`, raised by a call in `store`, is.
pub(super) fn classify(
    store: &Store<CallState>,
    digest: &ModuleDigest,
    error: wasmtime::Error,
) -> GuestFailure {
    let kind = if store.data().limiter.hit_memory_limit {
        GuestFailureKind::GuestMemoryLimit
    } else {
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => GuestFailureKind::GuestTimeout,
            Some(Trap::StackOverflow) => GuestFailureKind::GuestStackOverflow,
            _ => GuestFailureKind::GuestTrap,
        }
    };
    GuestFailure {
        module: digest.clone(),
        kind,
        detail: format!("{error:#}"),
    }
}

/// Runs `body` in a fresh store under the engine's limits, classifies a failure and
/// collects what a WASI guest wrote.
pub(super) fn call<T>(
    engine: &Engine,
    digest: &ModuleDigest,
    uses_wasi: bool,
    inputs: CallInputs,
    body: impl FnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
) -> Called<T> {
    let mut store = new_store(engine, uses_wasi, inputs);
    let result = body(&mut store).map_err(|error| classify(&store, digest, error));
    let output = store.data().wasi.as_ref().and_then(CallWasi::output);
    Called { result, output }
}
