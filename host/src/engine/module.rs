//! Loaded policy modules: one compiled, type-checked, pre-instantiated component each,
//! and the calls into it, every one in a fresh `Store`.

use std::fmt;
use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, TypedFunc};

use super::observable::CallInputs;
use super::store::{CallState, Called, call, classify, new_store};
use super::{Engine, GuestFailure, LoadError, ModuleDigest, NotAComponent};
use crate::world::compensation::CompensationPolicyPre;
use crate::world::fraud::FraudScreenPre;
use crate::world::types::{
    Assessment, Claim, Decision, History, ModuleMetadata, PolicyError, SettingsError,
};

/// Where a module comes from: its component bytes, or this host's compiled artifact of
/// the module with that digest.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    Bytes(&'a [u8]),
    Artifact(ModuleDigest, &'a TrustedArtifact),
}

/// A native artifact that this host compiled (or wrote and verified), and so may
/// deserialize. Only `Engine::precompile` and the compiled cache make one.
#[derive(Clone)]
pub struct TrustedArtifact(Vec<u8>);

impl TrustedArtifact {
    pub(crate) fn written_by_us(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TrustedArtifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrustedArtifact({} bytes)", self.0.len())
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
    /// Whether the module imports WASI (for its stdout and stderr): its calls then get
    /// a WASI context and their output is captured.
    uses_wasi: bool,
    /// Bytes of the compiled image (native code and its data) held while it is loaded.
    image_bytes: usize,
}

impl<Pre> Loaded<Pre> {
    /// Compiles the module (or takes it from a trusted artifact), checks it implements
    /// `world` with no imports (`bind` finds the world's exports), and asks the module
    /// for its metadata and settings schema.
    fn load(
        engine: &Engine,
        source: Source<'_>,
        world: &'static str,
        bind: impl FnOnce(InstancePre<CallState>) -> wasmtime::Result<Pre>,
        describe: impl FnOnce(&Pre, &mut Store<CallState>) -> wasmtime::Result<(ModuleMetadata, String)>,
    ) -> Result<Self, LoadError> {
        let (digest, component) = match source {
            Source::Bytes(bytes) => (ModuleDigest::of(bytes), compile(engine, bytes)?),
            Source::Artifact(digest, artifact) => (digest, deserialize(engine, artifact)?),
        };
        let image = component.image_range();
        let image_bytes = image.end.addr().saturating_sub(image.start.addr());
        let (instance_pre, uses_wasi) = pre_instantiate(engine, &component)?;
        let pre = bind(instance_pre).map_err(|error| LoadError::WrongWorld {
            world,
            detail: format!("{error:#}"),
        })?;
        let inputs = CallInputs::of(0, &[b"describe", digest.as_str().as_bytes()]);
        // Describing runs once, at load, under its own budget: a runtime's first call
        // (CPython seeding its hash and random state, a JS engine's first compile) can
        // take longer than a decision may, more so on a busy machine.
        let (metadata, settings_schema) = call(engine, &digest, uses_wasi, inputs, |store| {
            store.set_epoch_deadline(engine.limits().describe_deadline_ticks());
            describe(&pre, store)
        })
        .result?;
        Ok(Self {
            digest,
            engine: engine.clone(),
            pre,
            metadata,
            settings_schema,
            uses_wasi,
            image_bytes,
        })
    }

    /// Runs `body` with this module's pre-instantiated world in a fresh store, its
    /// guest observing the time and randomness of `inputs`.
    fn call<T>(
        &self,
        inputs: CallInputs,
        body: impl FnOnce(&Pre, &mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Called<T> {
        call(
            &self.engine,
            &self.digest,
            self.uses_wasi,
            inputs,
            |store| body(&self.pre, store),
        )
    }

    /// What a guest deciding `claim` with `settings` observes: the claim's `now`, and
    /// randomness seeded by this module, the settings and the claim's identity (its id
    /// and revision, which key every recorded decision), so a replay sees the same.
    fn claim_inputs(&self, call: &[u8], claim: &Claim, settings: &[&str]) -> CallInputs {
        if !self.uses_wasi {
            // Nothing would observe them: no hashing on the decision path.
            return CallInputs::UNOBSERVED;
        }
        let revision = claim.revision.to_le_bytes();
        let mut parts: Vec<&[u8]> = vec![
            call,
            self.digest.as_str().as_bytes(),
            claim.claim_id.as_bytes(),
            &revision,
        ];
        parts.extend(settings.iter().map(|text| text.as_bytes()));
        CallInputs::of(claim.now, &parts)
    }

    /// What a guest checking `settings` observes: the epoch, and randomness seeded by
    /// this module and the settings.
    fn settings_inputs(&self, settings: &str) -> CallInputs {
        if !self.uses_wasi {
            return CallInputs::UNOBSERVED;
        }
        CallInputs::of(
            0,
            &[
                b"validate-settings",
                self.digest.as_str().as_bytes(),
                settings.as_bytes(),
            ],
        )
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

        /// The limits the module's calls run under.
        pub fn limits(&self) -> &super::Limits {
            self.0.engine.limits()
        }

        /// Bytes of memory the module's compiled image holds while it is loaded: what
        /// keeping it costs (a default SpiderMonkey build about 75 MiB, the Rust florist
        /// about 1 MiB).
        pub fn image_bytes(&self) -> usize {
            self.0.image_bytes
        }
    };
}

/// A `compensation-policy` component, ready to decide.
#[derive(Clone, Debug)]
pub struct CompensationModule(Arc<Loaded<CompensationPre>>);

/// `decide`'s signature on the host side.
type DecideFunc<'a> =
    TypedFunc<(&'a Claim, &'a History, &'a str), (Result<Decision, PolicyError>,)>;

/// The compensation world pre-instantiated, and where its `decide` export is.
#[derive(Clone)]
struct CompensationPre {
    bindings: CompensationPolicyPre<CallState>,
    decide: ComponentExportIndex,
}

impl CompensationPre {
    fn new(instance_pre: InstancePre<CallState>) -> wasmtime::Result<Self> {
        let decide = instance_pre
            .component()
            .get_export_index(None, "decide")
            .ok_or_else(|| wasmtime::format_err!("no `decide` export"))?;
        Ok(Self {
            bindings: CompensationPolicyPre::new(instance_pre)?,
            decide,
        })
    }

    /// A fresh instance's `decide`, without checking its type again: every decision
    /// instantiates the component, and the bindings' own instantiation checks the type
    /// of every export each time (a tenth of a fresh sandbox's time, in a profile).
    fn instantiate_decide<'a>(
        &self,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<DecideFunc<'a>> {
        let instance = self.bindings.instance_pre().instantiate(&mut *store)?;
        let func = instance
            .get_func(&mut *store, self.decide)
            .ok_or_else(|| wasmtime::format_err!("no `decide` export"))?;
        // SAFETY: `new_unchecked` trusts `func` to have `decide`'s signature.
        // `CompensationPolicyPre::new`, in `Self::new`, type-checked the component's
        // `decide` export against exactly this signature before `self` existed, and
        // every instance of a component has the component's export types.
        #[allow(unsafe_code)]
        Ok(unsafe { TypedFunc::new_unchecked(func) })
    }
}

impl CompensationModule {
    /// Compiles `bytes`, checks they implement `compensation-policy` with no imports,
    /// and asks the module to describe itself.
    pub fn load(engine: &Engine, bytes: &[u8]) -> Result<Self, LoadError> {
        Self::load_from(engine, Source::Bytes(bytes))
    }

    /// Like [`Self::load`], from bytes or a trusted artifact.
    pub fn load_from(engine: &Engine, source: Source<'_>) -> Result<Self, LoadError> {
        Loaded::load(
            engine,
            source,
            "compensation-policy",
            CompensationPre::new,
            |pre, store| {
                let policy = pre.bindings.instantiate(&mut *store)?;
                let metadata = policy.call_metadata(&mut *store)?;
                Ok((metadata, policy.call_settings_schema(&mut *store)?))
            },
        )
        .map(|loaded| Self(Arc::new(loaded)))
    }

    /// The next step for `claim`, or the policy's own "no".
    pub fn decide(
        &self,
        claim: &Claim,
        history: &History,
        settings: &str,
    ) -> Result<Result<Decision, PolicyError>, GuestFailure> {
        self.decide_capturing(claim, history, settings).result
    }

    /// Like [`Self::decide`], with what the guest wrote to stdout and stderr.
    pub fn decide_capturing(
        &self,
        claim: &Claim,
        history: &History,
        settings: &str,
    ) -> Called<Result<Decision, PolicyError>> {
        let inputs = self.0.claim_inputs(b"decide", claim, &[settings]);
        self.0.call(inputs, |pre, store| {
            let decide = pre.instantiate_decide(&mut *store)?;
            let (decision,) = decide.call(&mut *store, (claim, history, settings))?;
            Ok(decision)
        })
    }

    /// One instance kept for many calls: the engine benchmark's reference for what a
    /// fresh sandbox per decision costs. Never used to decide real claims: state would
    /// survive from one decision to the next.
    pub fn warm_instance(&self) -> Result<WarmPolicy, GuestFailure> {
        let engine = &self.0.engine;
        let mut store = new_store(engine, self.0.uses_wasi, CallInputs::of(0, &[b"warm"]));
        let policy = self
            .0
            .pre
            .bindings
            .instantiate(&mut store)
            .map_err(|error| classify(&store, &self.0.digest, error))?;
        Ok(WarmPolicy {
            store,
            policy,
            digest: self.0.digest.clone(),
            deadline_ticks: engine.limits().deadline_ticks(),
        })
    }

    /// Asks the module whether `settings` are acceptable.
    pub fn validate_settings(
        &self,
        settings: &str,
    ) -> Result<Result<(), SettingsError>, GuestFailure> {
        self.0
            .call(self.0.settings_inputs(settings), |pre, store| {
                let policy = pre.bindings.instantiate(&mut *store)?;
                policy.call_validate_settings(&mut *store, settings)
            })
            .result
    }

    module_accessors!();
}

/// A compensation policy's instance kept between calls (see
/// [`CompensationModule::warm_instance`]); each call still has its deadline.
pub struct WarmPolicy {
    store: Store<CallState>,
    policy: crate::world::compensation::CompensationPolicy,
    digest: ModuleDigest,
    deadline_ticks: u64,
}

impl WarmPolicy {
    /// Like [`CompensationModule::decide`], in the kept instance.
    pub fn decide(
        &mut self,
        claim: &Claim,
        history: &History,
        settings: &str,
    ) -> Result<Result<Decision, PolicyError>, GuestFailure> {
        self.store.set_epoch_deadline(self.deadline_ticks);
        self.policy
            .call_decide(&mut self.store, claim, history, settings)
            .map_err(|error| classify(&self.store, &self.digest, error))
    }
}

impl fmt::Debug for WarmPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WarmPolicy")
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// A `fraud-screen` component, ready to assess.
#[derive(Clone, Debug)]
pub struct FraudModule(Arc<Loaded<FraudScreenPre<CallState>>>);

impl FraudModule {
    /// Compiles `bytes`, checks they implement `fraud-screen` with no imports, and asks
    /// the module to describe itself.
    pub fn load(engine: &Engine, bytes: &[u8]) -> Result<Self, LoadError> {
        Self::load_from(engine, Source::Bytes(bytes))
    }

    /// Like [`Self::load`], from bytes or a trusted artifact.
    pub fn load_from(engine: &Engine, source: Source<'_>) -> Result<Self, LoadError> {
        Loaded::load(
            engine,
            source,
            "fraud-screen",
            FraudScreenPre::new,
            |pre, store| {
                let screen = pre.instantiate(&mut *store)?;
                let metadata = screen.call_metadata(&mut *store)?;
                Ok((metadata, screen.call_settings_schema(&mut *store)?))
            },
        )
        .map(|loaded| Self(Arc::new(loaded)))
    }

    /// The fraud screen's assessment of `claim`.
    pub fn assess(
        &self,
        claim: &Claim,
        history: &History,
        settings: &str,
        shop_settings: &str,
    ) -> Result<Result<Assessment, PolicyError>, GuestFailure> {
        let inputs = self
            .0
            .claim_inputs(b"assess", claim, &[settings, shop_settings]);
        self.0
            .call(inputs, |pre, store| {
                let screen = pre.instantiate(&mut *store)?;
                screen.call_assess(&mut *store, claim, history, settings, shop_settings)
            })
            .result
    }

    /// Asks the module whether `settings` are acceptable.
    pub fn validate_settings(
        &self,
        settings: &str,
    ) -> Result<Result<(), SettingsError>, GuestFailure> {
        self.0
            .call(self.0.settings_inputs(settings), |pre, store| {
                let screen = pre.instantiate(&mut *store)?;
                screen.call_validate_settings(&mut *store, settings)
            })
            .result
    }

    module_accessors!();
}

/// Imports a policy may have: the contract's types-only interface, which carries no
/// functions, and the WASI 0.2 interfaces ordinary builds import, made deterministic:
/// the streams, stdout and stderr (captured); stdin, environment, arguments, exit and
/// the terminal queries, all empty; the clocks and random sources, derived from the
/// call's inputs (`observable.rs`); the filesystem, with no directory preopened. No
/// sockets and no HTTP.
const ALLOWED_IMPORTS: &[&str] = &[
    "arbiter:policy/types@",
    "wasi:clocks/wall-clock@0.2.",
    "wasi:clocks/monotonic-clock@0.2.",
    "wasi:random/random@0.2.",
    "wasi:random/insecure@0.2.",
    "wasi:random/insecure-seed@0.2.",
    "wasi:filesystem/types@0.2.",
    "wasi:filesystem/preopens@0.2.",
    "wasi:io/error@0.2.",
    "wasi:io/poll@0.2.",
    "wasi:io/streams@0.2.",
    "wasi:cli/stdout@0.2.",
    "wasi:cli/stderr@0.2.",
    "wasi:cli/stdin@0.2.",
    "wasi:cli/environment@0.2.",
    "wasi:cli/exit@0.2.",
    "wasi:cli/terminal-input@0.2.",
    "wasi:cli/terminal-output@0.2.",
    "wasi:cli/terminal-stdin@0.2.",
    "wasi:cli/terminal-stdout@0.2.",
    "wasi:cli/terminal-stderr@0.2.",
];

/// Compiles `bytes` as a component.
fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component, LoadError> {
    sniff_component(bytes)?;
    Component::from_binary(engine.wasmtime(), bytes).map_err(|error| invalid_component(&error))
}

/// The refusal of bytes that do not compile as a component, with the flag to build with
/// when a known toolchain made them so.
pub(super) fn invalid_component(error: &wasmtime::Error) -> LoadError {
    let detail = format!("{error:#}");
    let hint = if detail.contains("component model async") {
        ". The component uses the component model's async ABI (jco's QuickJS backend \
         does by default); Arbiter calls a policy synchronously, one call per sandbox, so \
         build it with `jco componentize --backend quickjs --backend-qjs-disable-async`"
    } else {
        ""
    };
    LoadError::NotAComponent {
        why: NotAComponent::InvalidComponent,
        detail: format!("{detail}{hint}"),
    }
}

/// A component from an artifact this host compiled and kept.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &TrustedArtifact) -> Result<Component, LoadError> {
    // SAFETY: `Component::deserialize` trusts its input to be an artifact that this
    // wasmtime produced. A `TrustedArtifact` is either fresh from `Engine::precompile` or
    // read back from the compiled cache after its MAC (keyed by a secret of this data
    // dir) matched, so it is exactly what this host wrote; the engine's compatibility
    // check still refuses artifacts of another wasmtime version or configuration.
    unsafe { Component::deserialize(engine.wasmtime(), artifact.bytes()) }.map_err(|error| {
        LoadError::NotAComponent {
            why: NotAComponent::InvalidComponent,
            detail: format!("cached artifact: {error:#}"),
        }
    })
}

/// Pre-instantiates `component`, after refusing any import but those allowed. Says
/// whether it imports WASI.
fn pre_instantiate(
    engine: &Engine,
    component: &Component,
) -> Result<(InstancePre<CallState>, bool), LoadError> {
    let component_type = component.component_type();
    let imports: Vec<&str> = component_type
        .imports(engine.wasmtime())
        .map(|(name, _)| name)
        .collect();
    let uses_wasi = imports.iter().any(|name| name.starts_with("wasi:"));
    let forbidden: Vec<String> = imports
        .into_iter()
        .filter(|name| {
            !ALLOWED_IMPORTS
                .iter()
                .any(|allowed| name.starts_with(allowed))
        })
        .map(|name| format!("`{name}`"))
        .collect();
    if !forbidden.is_empty() {
        return Err(LoadError::ForbiddenImports(format!(
            "{}; policies get no network, and no WASI but the deterministic clocks, random, \
             empty filesystem and captured output{}",
            forbidden.join(", "),
            toolchain_hint(&forbidden)
        )));
    }
    engine
        .linker()
        .instantiate_pre(component)
        .map(|pre| (pre, uses_wasi))
        .map_err(|error| LoadError::ForbiddenImports(format!("{error:#}")))
}

/// How to build without what `forbidden` names, when a known toolchain put it there.
fn toolchain_hint(forbidden: &[String]) -> &'static str {
    let imports = |prefix: &str| forbidden.iter().any(|name| name.contains(prefix));
    if imports("wasi:http/") {
        ". componentize-js and jco import wasi:http by default: build with \
         `--disable http fetch-event`, or with `arbiter module build`"
    } else if imports("wasi:sockets/") {
        ". componentize-py's CPython always imports wasi:sockets: build with \
         `arbiter module build`, which replaces those imports with stubs that trap"
    } else {
        ""
    }
}

/// Tells apart the usual things that are not a component, for a clear message.
pub(super) fn sniff_component(bytes: &[u8]) -> Result<(), LoadError> {
    const WASM_MAGIC: &[u8] = b"\0asm";
    const ELF_MAGIC: &[u8] = b"\x7fELF";
    if bytes.starts_with(ELF_MAGIC) {
        return Err(LoadError::NotAComponent {
            why: NotAComponent::PrecompiledArtifact,
            detail: "this is a precompiled native artifact; upload the component itself".into(),
        });
    }
    if !bytes.starts_with(WASM_MAGIC) {
        return Err(LoadError::NotAComponent {
            why: NotAComponent::NotWasm,
            detail: "the bytes are not WebAssembly (no `\\0asm` header)".into(),
        });
    }
    // Bytes 6..8 are the layer: 0 for a core module, 1 for a component.
    if bytes.get(6..8) == Some(&[0, 0]) {
        return Err(LoadError::NotAComponent {
            why: NotAComponent::CoreModule,
            detail: "this is a core Wasm module; encode it as a component (wit-component, cargo build --target wasm32-wasip2)".into(),
        });
    }
    Ok(())
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
