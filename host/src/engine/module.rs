//! Loaded policy modules: one compiled, type-checked, pre-instantiated component each,
//! and the calls into it, every one in a fresh `Store`.

use std::fmt;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{ResourceLimiter, Store, Trap};

use super::{Engine, GuestFailure, GuestFailureKind, LoadError};
use crate::world::compensation::CompensationPolicyPre;
use crate::world::fraud::FraudScreenPre;
use crate::world::types::{
    Assessment, Claim, Decision, History, ModuleMetadata, PolicyError, SettingsError,
};

/// A module's identity: `sha256:` and the hex digest of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ModuleDigest(String);

impl ModuleDigest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        Self(format!("sha256:{hex}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModuleDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What every loaded module has: its digest, its engine, its pre-instantiated world
/// and what it said about itself at load.
#[derive(Clone)]
struct Loaded<Pre> {
    digest: ModuleDigest,
    engine: Engine,
    pre: Pre,
    metadata: ModuleMetadata,
    settings_schema: String,
}

impl<Pre> Loaded<Pre> {
    /// Compiles `bytes`, checks they implement `world` with no imports (`bind` finds
    /// the world's exports), and asks the module for its metadata and settings schema.
    fn load(
        engine: &Engine,
        bytes: &[u8],
        world: &'static str,
        bind: impl FnOnce(InstancePre<CallState>) -> wasmtime::Result<Pre>,
        describe: impl FnOnce(&Pre, &mut Store<CallState>) -> wasmtime::Result<(ModuleMetadata, String)>,
    ) -> Result<Self, LoadError> {
        let digest = ModuleDigest::of(bytes);
        let pre = bind(pre_instantiate(engine, bytes)?).map_err(|error| LoadError::WrongWorld {
            world,
            detail: format!("{error:#}"),
        })?;
        let (metadata, settings_schema) = call(engine, &digest, |store| describe(&pre, store))?;
        Ok(Self {
            digest,
            engine: engine.clone(),
            pre,
            metadata,
            settings_schema,
        })
    }

    /// Runs `body` with this module's pre-instantiated world in a fresh store.
    fn call<T>(
        &self,
        body: impl FnOnce(&Pre, &mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<T, GuestFailure> {
        call(&self.engine, &self.digest, |store| body(&self.pre, store))
    }
}

impl<Pre> fmt::Debug for Loaded<Pre> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("digest", &self.digest)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

/// The accessors both module kinds share.
macro_rules! module_accessors {
    () => {
        /// The module's identity, `sha256:...`.
        pub fn digest(&self) -> &ModuleDigest {
            &self.0.digest
        }

        /// What the module said about itself at load.
        pub fn metadata(&self) -> &ModuleMetadata {
            &self.0.metadata
        }

        /// The JSON Schema of the module's settings, as the module gave it at load.
        pub fn settings_schema(&self) -> &str {
            &self.0.settings_schema
        }
    };
}

/// A `compensation-policy` component, ready to decide.
#[derive(Clone, Debug)]
pub struct CompensationModule(Loaded<CompensationPolicyPre<CallState>>);

impl CompensationModule {
    /// Compiles `bytes`, checks they implement `compensation-policy` with no imports,
    /// and asks the module to describe itself.
    pub fn load(engine: &Engine, bytes: &[u8]) -> Result<Self, LoadError> {
        Loaded::load(
            engine,
            bytes,
            "compensation-policy",
            CompensationPolicyPre::new,
            |pre, store| {
                let policy = pre.instantiate(&mut *store)?;
                let metadata = policy.call_metadata(&mut *store)?;
                Ok((metadata, policy.call_settings_schema(&mut *store)?))
            },
        )
        .map(Self)
    }

    /// The next step for `claim`, or the policy's own "no".
    pub fn decide(
        &self,
        claim: &Claim,
        history: &History,
        settings: &str,
    ) -> Result<Result<Decision, PolicyError>, GuestFailure> {
        self.0.call(|pre, store| {
            let policy = pre.instantiate(&mut *store)?;
            policy.call_decide(&mut *store, claim, history, settings)
        })
    }

    /// Asks the module whether `settings` are acceptable.
    pub fn validate_settings(
        &self,
        settings: &str,
    ) -> Result<Result<(), SettingsError>, GuestFailure> {
        self.0.call(|pre, store| {
            let policy = pre.instantiate(&mut *store)?;
            policy.call_validate_settings(&mut *store, settings)
        })
    }

    module_accessors!();
}

/// A `fraud-screen` component, ready to assess.
#[derive(Clone, Debug)]
pub struct FraudModule(Loaded<FraudScreenPre<CallState>>);

impl FraudModule {
    /// Compiles `bytes`, checks they implement `fraud-screen` with no imports, and asks
    /// the module to describe itself.
    pub fn load(engine: &Engine, bytes: &[u8]) -> Result<Self, LoadError> {
        Loaded::load(
            engine,
            bytes,
            "fraud-screen",
            FraudScreenPre::new,
            |pre, store| {
                let screen = pre.instantiate(&mut *store)?;
                let metadata = screen.call_metadata(&mut *store)?;
                Ok((metadata, screen.call_settings_schema(&mut *store)?))
            },
        )
        .map(Self)
    }

    /// The fraud screen's assessment of `claim`.
    pub fn assess(
        &self,
        claim: &Claim,
        history: &History,
        settings: &str,
        shop_settings: &str,
    ) -> Result<Result<Assessment, PolicyError>, GuestFailure> {
        self.0.call(|pre, store| {
            let screen = pre.instantiate(&mut *store)?;
            screen.call_assess(&mut *store, claim, history, settings, shop_settings)
        })
    }

    /// Asks the module whether `settings` are acceptable.
    pub fn validate_settings(
        &self,
        settings: &str,
    ) -> Result<Result<(), SettingsError>, GuestFailure> {
        self.0.call(|pre, store| {
            let screen = pre.instantiate(&mut *store)?;
            screen.call_validate_settings(&mut *store, settings)
        })
    }

    module_accessors!();
}

/// Per-call state: only the limiter. Nothing survives a call.
pub struct CallState {
    limiter: CallLimiter,
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

/// Imports a policy may have: the contract's types-only interface, which carries no
/// functions and so gives a guest nothing to call.
const ALLOWED_IMPORTS: &[&str] = &["arbiter:policy/types@"];

/// Compiles `bytes` as a component and pre-instantiates it against a linker that
/// provides nothing, so any import at all refuses the module.
fn pre_instantiate(engine: &Engine, bytes: &[u8]) -> Result<InstancePre<CallState>, LoadError> {
    sniff_component(bytes)?;
    let component = Component::from_binary(engine.wasmtime(), bytes)
        .map_err(|error| LoadError::NotAComponent(format!("{error:#}")))?;
    let forbidden: Vec<String> = component
        .component_type()
        .imports(engine.wasmtime())
        .map(|(name, _)| name)
        .filter(|name| {
            !ALLOWED_IMPORTS
                .iter()
                .any(|allowed| name.starts_with(allowed))
        })
        .map(|name| format!("`{name}`"))
        .collect();
    if !forbidden.is_empty() {
        return Err(LoadError::ForbiddenImports(format!(
            "{}; policies get no files, network, environment, clock or randomness",
            forbidden.join(", ")
        )));
    }
    let linker = Linker::<CallState>::new(engine.wasmtime());
    linker
        .instantiate_pre(&component)
        .map_err(|error| LoadError::ForbiddenImports(format!("{error:#}")))
}

/// Tells apart the usual things that are not a component, for a clear message.
fn sniff_component(bytes: &[u8]) -> Result<(), LoadError> {
    const WASM_MAGIC: &[u8] = b"\0asm";
    const ELF_MAGIC: &[u8] = b"\x7fELF";
    if bytes.starts_with(ELF_MAGIC) {
        return Err(LoadError::NotAComponent(
            "this is a precompiled native artifact; upload the component itself".into(),
        ));
    }
    if !bytes.starts_with(WASM_MAGIC) {
        return Err(LoadError::NotAComponent(
            "the bytes are not WebAssembly (no `\\0asm` header)".into(),
        ));
    }
    // Bytes 6..8 are the layer: 0 for a core module, 1 for a component.
    if bytes.get(6..8) == Some(&[0, 0]) {
        return Err(LoadError::NotAComponent(
            "this is a core Wasm module; encode it as a component (wit-component, cargo build --target wasm32-wasip2)".into(),
        ));
    }
    Ok(())
}

/// Runs `body` in a fresh store under the engine's limits and classifies a failure.
fn call<T>(
    engine: &Engine,
    digest: &ModuleDigest,
    body: impl FnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
) -> Result<T, GuestFailure> {
    let limits = engine.limits();
    let mut store = Store::new(
        engine.wasmtime(),
        CallState {
            limiter: CallLimiter {
                memory_bytes: limits.memory_bytes,
                hit_memory_limit: false,
            },
        },
    );
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(limits.deadline_ticks());
    body(&mut store).map_err(|error| {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            ModuleDigest::of(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn non_components_are_named() {
        let cases: [(&[u8], &str); 4] = [
            (b"\x7fELF\x02\x01", "precompiled"),
            (b"hello", "not WebAssembly"),
            (b"\0asm\x01\0\0\0", "core Wasm module"),
            (b"", "not WebAssembly"),
        ];
        for (bytes, expected) in cases {
            let message = sniff_component(bytes).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
        assert!(sniff_component(b"\0asm\x0d\0\x01\0").is_ok());
    }
}
