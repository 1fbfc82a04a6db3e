//! The module registry: uploads checked before they are accepted, stored by digest in
//! the ledger, compiled once per host (the compiled cache), and kept loaded in memory
//! within a budget (`resident.rs`). A compile runs on a bounded worker with a time
//! limit, so it never holds up decisions.

mod cache;
mod resident;

pub use cache::CompiledCache;

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::engine::{
    CompensationModule, Engine, FraudModule, Limits, LoadError, ModuleDigest, Source,
    TrustedArtifact,
};
use crate::ledger::{Ledger, LedgerError, ModuleRecord};
use resident::ResidentModules;
pub use resident::ResidentUsage;

/// Limits on uploads, and on the modules kept loaded.
#[derive(Debug, Clone)]
pub struct UploadLimits {
    /// The largest component accepted, in bytes.
    pub max_bytes: usize,
    /// How long compiling an upload may take.
    pub compile_timeout: Duration,
    /// Compiles that may run at once.
    pub compile_workers: usize,
    /// Bytes of compiled images kept loaded (beside the built-ins); past it the least
    /// recently used modules are dropped and loaded again from the compiled cache.
    pub loaded_bytes: usize,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            // A default componentize-py build is 18.5 MB, componentize-js's 12.2 MB.
            max_bytes: 32 << 20,
            // A SpiderMonkey build compiles in ~15 s on two idle cores, and in more than
            // 30 s on two busy ones.
            compile_timeout: Duration::from_secs(120),
            compile_workers: 1,
            // About 25 JavaScript modules on SpiderMonkey, 40 in Python, 1,500 in Rust.
            loaded_bytes: 2 << 30,
        }
    }
}

/// Why the registry could not give or take a module.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("the module is {size} bytes, more than the {max} accepted")]
    TooLarge { size: usize, max: usize },
    #[error(transparent)]
    Rejected(#[from] LoadError),
    #[error("compiling the module took longer than {0:?}")]
    CompileTimeout(Duration),
    #[error("module `{0}` not found")]
    UnknownModule(String),
    #[error("module `{digest}` implements `{actual}`, not `{expected}`")]
    WrongKind {
        digest: String,
        actual: &'static str,
        expected: &'static str,
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Internal(String),
}

/// A loaded module of either world.
#[derive(Debug, Clone)]
pub enum LoadedModule {
    Compensation(CompensationModule),
    Fraud(FraudModule),
}

impl LoadedModule {
    /// Bytes its compiled image holds while it is loaded.
    pub fn image_bytes(&self) -> usize {
        match self {
            Self::Compensation(module) => module.image_bytes(),
            Self::Fraud(module) => module.image_bytes(),
        }
    }

    /// The world the module implements.
    pub fn world(&self) -> &'static str {
        match self {
            Self::Compensation(_) => "compensation-policy",
            Self::Fraud(_) => "fraud-screen",
        }
    }

    fn record(&self, size: usize, uploaded_by: &str, at_ms: i64) -> ModuleRecord {
        let (digest, metadata, schema) = match self {
            Self::Compensation(module) => {
                (module.digest(), module.metadata(), module.settings_schema())
            }
            Self::Fraud(module) => (module.digest(), module.metadata(), module.settings_schema()),
        };
        ModuleRecord {
            digest: digest.clone(),
            world: self.world().to_owned(),
            size: u64::try_from(size).unwrap_or(u64::MAX),
            name: metadata.name.clone(),
            version: metadata.version.clone(),
            metadata_json: serde_json::json!({
                "name": metadata.name, "version": metadata.version, "rules": metadata.rules,
            })
            .to_string(),
            schema_json: schema.to_owned(),
            uploaded_by: uploaded_by.to_owned(),
            uploaded_at_ms: at_ms,
        }
    }
}

/// The registry, shared by all requests.
#[derive(Debug)]
pub struct Registry {
    engine: Engine,
    ledger: Ledger,
    cache: CompiledCache,
    loaded: RwLock<ResidentModules>,
    compile_slots: Arc<Semaphore>,
    /// Jobs handed to the compile workers since the registry opened.
    compile_jobs: std::sync::atomic::AtomicU64,
    upload_limits: UploadLimits,
    standard: CompensationModule,
    fraud: FraudModule,
}

impl Registry {
    /// An engine under `limits`, the compiled cache under `data_dir`, and the platform's
    /// built-in modules (from the cache when this host compiled them before).
    pub async fn open(
        data_dir: &Path,
        limits: Limits,
        upload_limits: UploadLimits,
        ledger: Ledger,
    ) -> Result<Self, RegistryError> {
        let data_dir = data_dir.to_path_buf();
        let (engine, cache, standard, fraud) = tokio::task::spawn_blocking(move || {
            let engine = Engine::new(limits)?;
            let cache = CompiledCache::open(&data_dir, &engine.compatibility_key())
                .map_err(|error| RegistryError::Internal(format!("compiled cache: {error}")))?;
            let standard = match load_cached(&engine, &cache, arbiter_artifacts::STANDARD_POLICY)? {
                LoadedModule::Compensation(module) => module,
                LoadedModule::Fraud(_) => {
                    return Err(RegistryError::Internal(
                        "the built-in standard policy is a fraud screen".into(),
                    ));
                }
            };
            let fraud = match load_cached(&engine, &cache, arbiter_artifacts::FRAUD_SCREEN)? {
                LoadedModule::Fraud(module) => module,
                LoadedModule::Compensation(_) => {
                    return Err(RegistryError::Internal(
                        "the built-in fraud screen is a compensation policy".into(),
                    ));
                }
            };
            Ok::<_, RegistryError>((engine, cache, standard, fraud))
        })
        .await
        .map_err(|error| RegistryError::Internal(format!("loading built-ins: {error}")))??;

        let now = crate::clock::now_ms();
        for (module, bytes) in [
            (
                LoadedModule::Compensation(standard.clone()),
                arbiter_artifacts::STANDARD_POLICY,
            ),
            (
                LoadedModule::Fraud(fraud.clone()),
                arbiter_artifacts::FRAUD_SCREEN,
            ),
        ] {
            ledger
                .store_module(&module.record(bytes.len(), "builtin", now), bytes, "*")
                .await?;
        }
        Ok(Self {
            engine,
            ledger,
            cache,
            loaded: RwLock::new(ResidentModules::new(upload_limits.loaded_bytes)),
            compile_slots: Arc::new(Semaphore::new(upload_limits.compile_workers.max(1))),
            compile_jobs: std::sync::atomic::AtomicU64::new(0),
            upload_limits,
            standard,
            fraud,
        })
    }

    /// The limits uploads are held to.
    pub fn upload_limits(&self) -> &UploadLimits {
        &self.upload_limits
    }

    /// The built-in standard policy.
    pub fn standard(&self) -> &CompensationModule {
        &self.standard
    }

    /// The built-in fraud screen.
    pub fn builtin_fraud(&self) -> &FraudModule {
        &self.fraud
    }

    /// Checks, compiles and stores an upload that `scope` (a shop id, or `*`) may use.
    /// Returns the module and whether it is new (the same bytes are the same module).
    pub async fn upload(
        &self,
        bytes: Vec<u8>,
        scope: &str,
        uploaded_by: &str,
    ) -> Result<(ModuleRecord, bool), RegistryError> {
        let max = self.upload_limits.max_bytes;
        if bytes.len() > max {
            return Err(RegistryError::TooLarge {
                size: bytes.len(),
                max,
            });
        }
        let digest = ModuleDigest::of(&bytes);
        if let Some(existing) = self.ledger.module(&digest, None).await? {
            self.ledger.store_module(&existing, &bytes, scope).await?;
            return Ok((existing, false));
        }

        let module = self.compile_bounded(bytes.clone()).await?;
        let record = module.record(bytes.len(), uploaded_by, crate::clock::now_ms());
        self.ledger.store_module(&record, &bytes, scope).await?;
        self.remember(digest, module);
        Ok((record, true))
    }

    /// The compensation policy with `digest`.
    pub async fn compensation(
        &self,
        digest: &ModuleDigest,
    ) -> Result<CompensationModule, RegistryError> {
        match self.module(digest).await? {
            LoadedModule::Compensation(module) => Ok(module),
            LoadedModule::Fraud(_) => Err(RegistryError::WrongKind {
                digest: digest.to_string(),
                actual: "fraud-screen",
                expected: "compensation-policy",
            }),
        }
    }

    /// The fraud screen with `digest`.
    pub async fn fraud(&self, digest: &ModuleDigest) -> Result<FraudModule, RegistryError> {
        match self.module(digest).await? {
            LoadedModule::Fraud(module) => Ok(module),
            LoadedModule::Compensation(_) => Err(RegistryError::WrongKind {
                digest: digest.to_string(),
                actual: "compensation-policy",
                expected: "fraud-screen",
            }),
        }
    }

    /// A module by digest: loaded already, or from the compiled cache, or compiled from
    /// the bytes in the ledger.
    ///
    /// A cached artifact is loaded beside the compile workers, not on them: it is no
    /// compile, and a decision that needs it (the first after a restart) must not queue
    /// behind an upload's compile, nor fail when that takes longer than the time limit.
    pub async fn module(&self, digest: &ModuleDigest) -> Result<LoadedModule, RegistryError> {
        if let Some(module) = self.loaded_module(digest) {
            return Ok(module);
        }
        let bytes = self
            .ledger
            .module_bytes(digest)
            .await?
            .ok_or_else(|| RegistryError::UnknownModule(digest.to_string()))?;
        let engine = self.engine.clone();
        let cache = self.cache.clone();
        let (key, cached, bytes) = tokio::task::spawn_blocking(move || {
            let key = ModuleDigest::of(&bytes);
            let cached = from_cache(&engine, &cache, &key);
            (key, cached, bytes)
        })
        .await
        .map_err(|error| RegistryError::Internal(format!("loading: {error}")))?;
        let module = match cached {
            Some(module) => module,
            None => self.compile_bounded(bytes).await?,
        };
        self.remember(key, module.clone());
        Ok(module)
    }

    fn loaded_module(&self, digest: &ModuleDigest) -> Option<LoadedModule> {
        if digest == self.standard.digest() {
            return Some(LoadedModule::Compensation(self.standard.clone()));
        }
        if digest == self.fraud.digest() {
            return Some(LoadedModule::Fraud(self.fraud.clone()));
        }
        self.loaded
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(digest)
    }

    /// The modules loaded now beside the built-ins, and how many were dropped to stay
    /// within the budget since the registry opened.
    pub fn resident(&self) -> ResidentUsage {
        self.loaded
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .usage()
    }

    fn remember(&self, digest: ModuleDigest, module: LoadedModule) {
        self.loaded
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(digest, module);
    }

    /// How many jobs have gone to the compile workers since the registry opened (an
    /// upload's compile, or a module missing from the compiled cache).
    pub fn compile_jobs(&self) -> u64 {
        self.compile_jobs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Compiles on one of the bounded workers, within the time limit.
    async fn compile_bounded(&self, bytes: Vec<u8>) -> Result<LoadedModule, RegistryError> {
        self.compile_jobs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let timeout = self.upload_limits.compile_timeout;
        let slot = tokio::time::timeout(timeout, Arc::clone(&self.compile_slots).acquire_owned())
            .await
            .map_err(|_| RegistryError::CompileTimeout(timeout))?
            .map_err(|error| RegistryError::Internal(format!("compile workers: {error}")))?;
        let engine = self.engine.clone();
        let cache = self.cache.clone();
        let compile = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            load_cached(&engine, &cache, &bytes)
        });
        tokio::time::timeout(timeout, compile)
            .await
            .map_err(|_| RegistryError::CompileTimeout(timeout))?
            .map_err(|error| RegistryError::Internal(format!("compiling: {error}")))?
    }
}

/// Loads `bytes` through the compiled cache: the artifact this host wrote before, or a
/// fresh compile kept for next time once the module proved valid. Also what `arbiter
/// decide` loads its modules with.
pub fn load_cached(
    engine: &Engine,
    cache: &CompiledCache,
    bytes: &[u8],
) -> Result<LoadedModule, RegistryError> {
    let digest = ModuleDigest::of(bytes);
    if let Some(module) = from_cache(engine, cache, &digest) {
        return Ok(module);
    }
    let artifact = engine.precompile(bytes)?;
    let module = load_artifact(engine, &digest, &artifact)?;
    if let Err(error) = cache.store(&digest, &artifact) {
        tracing::warn!(%digest, %error, "could not keep the compiled module");
    }
    Ok(module)
}

/// The module of `digest` from the artifact this host wrote before, if there is one and
/// it still loads.
fn from_cache(
    engine: &Engine,
    cache: &CompiledCache,
    digest: &ModuleDigest,
) -> Option<LoadedModule> {
    let artifact = cache.load(digest)?;
    load_artifact(engine, digest, &artifact).ok()
}

/// A module of whichever world it implements.
fn load_artifact(
    engine: &Engine,
    digest: &ModuleDigest,
    artifact: &TrustedArtifact,
) -> Result<LoadedModule, LoadError> {
    match CompensationModule::load_from(engine, Source::Artifact(digest.clone(), artifact)) {
        Ok(module) => Ok(LoadedModule::Compensation(module)),
        Err(LoadError::WrongWorld { .. }) => {
            FraudModule::load_from(engine, Source::Artifact(digest.clone(), artifact))
                .map(LoadedModule::Fraud)
                .map_err(|error| match error {
                    LoadError::WrongWorld { detail, .. } => LoadError::WrongWorld {
                        world: "compensation-policy or fraud-screen",
                        detail,
                    },
                    other => other,
                })
        }
        Err(other) => Err(other),
    }
}
