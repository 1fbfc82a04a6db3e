//! Module uploads (`POST /v1/modules`): whatever the bytes, loading them answers `Ok` or
//! a `LoadError`, never a panic (nor a sanitizer report, nor a hang).
//!
//! Each input takes both ways into the engine:
//! - the registry's upload path (`Registry::upload` → `load_cached`): the size limit,
//!   `Engine::precompile` (the `\0asm`/ELF/core-module sniff, then wasmtime's
//!   validation and compile), then loading the artifact as a compensation policy and,
//!   if that is the wrong world, as a fraud screen;
//! - `CompensationModule::load` and `FraudModule::load` on the bytes (compile, world
//!   and import checks, pre-instantiation, the `metadata`/`settings-schema` calls).
//!
//! Whether bytes compile does not depend on the way in, so the fuzzer also checks that
//! both ways agree on it (a `NotAComponent` from one and not the other is a bug).
//!
//! `ARBITER_FUZZ_VERBOSE=1` prints each input's outcome.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arbiter::engine::{
    CompensationModule, Engine, FraudModule, Limits, LoadError, ModuleDigest, Source,
};
use arbiter::registry::UploadLimits;
use libfuzzer_sys::fuzz_target;

/// One engine for the whole run, as the server has. The pool is kept small (a load
/// uses one instance at a time) so the fuzzer's memory stays low; the deadline is
/// shorter than the server's so that guests that spin cost the fuzzer less time.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(Limits {
            pooled_instances: 4,
            deadline: Duration::from_millis(20),
            ..Limits::default()
        })
        .unwrap_or_else(|error| panic!("the engine does not start: {error}"))
    })
}

fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("ARBITER_FUZZ_VERBOSE").is_some_and(|v| v != "0"))
}

fn outcome<T>(result: &Result<T, LoadError>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(error) => format!("{}: {error}", error.code()),
    }
}

fn not_a_component<T>(result: &Result<T, LoadError>) -> bool {
    matches!(result, Err(LoadError::NotAComponent { .. }))
}

fuzz_target!(|data: &[u8]| {
    // The registry refuses an oversized upload before anything else.
    if data.len() > UploadLimits::default().max_bytes {
        return;
    }
    let engine = engine();

    // The registry's way: precompile, then load the artifact as either world.
    let precompiled = engine.precompile(data);
    let registry = precompiled.as_ref().map_err(|_| ()).map(|artifact| {
        let digest = ModuleDigest::of(data);
        match CompensationModule::load_from(engine, Source::Artifact(digest.clone(), artifact)) {
            Err(LoadError::WrongWorld { .. }) => {
                outcome(&FraudModule::load_from(engine, Source::Artifact(digest, artifact)))
            }
            other => outcome(&other),
        }
    });

    // Straight from the bytes, as each world.
    let compensation = CompensationModule::load(engine, data);
    let fraud = FraudModule::load(engine, data);

    if verbose() {
        eprintln!(
            "{} bytes: precompile {}; registry {}; compensation {}; fraud {}",
            data.len(),
            precompiled.as_ref().map_or_else(|e| format!("{}: {e}", e.code()), |_| "ok".into()),
            registry.as_deref().unwrap_or("-"),
            outcome(&compensation),
            outcome(&fraud),
        );
    }

    let refused = precompiled.is_err();
    assert_eq!(
        refused,
        not_a_component(&compensation),
        "precompile and CompensationModule::load disagree: {} vs {}",
        precompiled.as_ref().map_or_else(|e| e.to_string(), |_| "ok".into()),
        outcome(&compensation)
    );
    assert_eq!(
        refused,
        not_a_component(&fraud),
        "precompile and FraudModule::load disagree: {} vs {}",
        precompiled.as_ref().map_or_else(|e| e.to_string(), |_| "ok".into()),
        outcome(&fraud)
    );
});
