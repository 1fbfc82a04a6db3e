//! The decision service: the pipeline behind the HTTP API, with the ledger around it.
//!
//! request -> validated contract type -> history from the ledger -> fraud screen ->
//! the shop's policy with the shop's settings -> envelope -> ledger -> response.
//! Idempotent by key: a replay answers the stored response byte for byte; the same key
//! with another body is a conflict. Nothing here knows HTTP.

use std::path::Path;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::contract::{DecisionRequest, FieldError, PolicyMode, parse_request};
use crate::decide::{Decided, Fallback, ShopPolicy, decide};
use crate::engine::{CompensationModule, FraudModule, GuestFailure, Limits, LoadError};
use crate::envelope::Guardrails;
use crate::history::CustomerHistory;
use crate::ledger::{
    DecisionRecord, FailurePolicy, Ledger, LedgerError, ModuleRecord, PolicyVersion, Recorded,
    Rollout, ShopRollout, ShopSettings, StoredDecision,
};
use crate::registry::{Registry, RegistryError, UploadLimits};
use crate::suspension::Suspensions;

/// The longest idempotency key accepted.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 256;

/// Why the service could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is not acceptable; the field is named.
    #[error("{0}")]
    BadRequest(#[from] FieldError),
    /// The same idempotency key came with a different body.
    #[error("idempotency key `{0}` was already used with a different request")]
    IdempotencyConflict(String),
    /// The shop's policy refused the settings.
    #[error("settings rejected: {message}")]
    SettingsRejected {
        key: Option<String>,
        message: String,
    },
    /// No such thing (or not this caller's to see).
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("loading a module: {0}")]
    Load(#[from] LoadError),
    #[error(transparent)]
    Guest(#[from] GuestFailure),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("internal: {0}")]
    Internal(String),
}

/// The platform policies a claim runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformPolicy {
    /// The compensation module and settings of shops that set none of their own.
    Compensation,
    /// The fraud screen and its settings.
    FraudScreen,
}

impl PlatformPolicy {
    pub fn name(self) -> &'static str {
        match self {
            Self::Compensation => "compensation",
            Self::FraudScreen => "fraud_screen",
        }
    }
}

/// Everything a decision runs with, resolved at its start: one consistent version.
struct Resolved {
    fraud: FraudModule,
    fraud_settings: String,
    serving: (CompensationModule, PolicyVersion, PolicyMode),
    shadow: Option<(CompensationModule, PolicyVersion)>,
    guardrails: Guardrails,
    /// The platform's default policy and settings, when the shop falls back to it.
    fallback: Option<(CompensationModule, String)>,
}

/// A decision's answer, and whether it was made now or replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub body: String,
    pub replayed: bool,
}

/// The running service: registry and ledger. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Service {
    registry: Arc<Registry>,
    ledger: Ledger,
    suspensions: Arc<Suspensions>,
}

impl Service {
    /// Opens the ledger under `data_dir` and loads the platform's modules.
    pub async fn open(data_dir: &Path, limits: Limits) -> Result<Self, ServiceError> {
        Self::open_with(data_dir, limits, UploadLimits::default()).await
    }

    /// Like [`Self::open`], with upload limits.
    pub async fn open_with(
        data_dir: &Path,
        limits: Limits,
        upload_limits: UploadLimits,
    ) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(data_dir).map_err(|error| {
            ServiceError::Internal(format!("creating {}: {error}", data_dir.display()))
        })?;
        let ledger = Ledger::open(&data_dir.join("arbiter.db")).await?;
        let suspensions = Arc::new(Suspensions::new(limits.suspension.clone()));
        let registry = Registry::open(data_dir, limits, upload_limits, ledger.clone()).await?;
        Ok(Self {
            registry: Arc::new(registry),
            ledger,
            suspensions,
        })
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The module and settings of a platform policy (the built-in module when none set).
    pub async fn platform_policy(
        &self,
        which: PlatformPolicy,
    ) -> Result<(Option<String>, String), ServiceError> {
        Ok(self.ledger.platform_policy(which.name()).await?)
    }

    /// The compensation module of a version (none: the platform's default module).
    async fn compensation_module(
        &self,
        module: Option<&str>,
    ) -> Result<CompensationModule, ServiceError> {
        let default = match module {
            Some(_) => None,
            None => self.platform_policy(PlatformPolicy::Compensation).await?.0,
        };
        self.module_or_default(module, default.as_deref()).await
    }

    /// `module`, or else the platform's `default` module, or else the built-in standard.
    async fn module_or_default(
        &self,
        module: Option<&str>,
        default: Option<&str>,
    ) -> Result<CompensationModule, ServiceError> {
        match module.or(default) {
            Some(digest) => Ok(self.registry.compensation(digest).await?),
            None => Ok(self.registry.standard().clone()),
        }
    }

    /// What a shop runs now, with the platform's default settings standing in for a
    /// shop that never set any (version 0).
    pub async fn shop_rollout(&self, shop_id: &str) -> Result<ShopRollout, ServiceError> {
        let mut rollout = self.ledger.shop_rollout(shop_id).await?;
        if rollout.active.version == 0 {
            rollout.active.settings_json =
                self.platform_policy(PlatformPolicy::Compensation).await?.1;
        }
        Ok(rollout)
    }

    /// Everything `request` runs with, read once so the decision never mixes versions.
    async fn resolve(&self, request: &DecisionRequest) -> Result<Resolved, ServiceError> {
        // One read of the config epoch; the rest comes from the cache kept under it, so
        // everything below is of one consistent moment or newer.
        let epoch = self.ledger.config_epoch().await?;
        // The platform's default is read once, so a swap of it during this decision
        // cannot pair one default's module with another's settings.
        let (default_module, default_settings) = self
            .ledger
            .platform_policy_at(epoch, PlatformPolicy::Compensation.name())
            .await?;
        let default_module = default_module.as_deref();
        let mut rollout = self.ledger.shop_rollout_at(epoch, &request.shop_id).await?;
        if rollout.active.version == 0 {
            rollout.active.settings_json = default_settings.clone();
        }
        let (fraud_module, fraud_settings) = self
            .ledger
            .platform_policy_at(epoch, PlatformPolicy::FraudScreen.name())
            .await?;
        let fraud = match fraud_module {
            Some(digest) => self.registry.fraud(&digest).await?,
            None => self.registry.builtin_fraud().clone(),
        };
        let guardrails = self.ledger.guardrails_at(epoch).await?;

        let active_module = self
            .module_or_default(rollout.active.module_digest.as_deref(), default_module)
            .await?;
        let active = (active_module, rollout.active);
        let (serving, shadow) = match rollout.candidate {
            Some((candidate, Rollout::Canary { basis_points }))
                if in_canary(&request.claim_id, basis_points) =>
            {
                let module = self
                    .module_or_default(candidate.module_digest.as_deref(), default_module)
                    .await?;
                ((module, candidate, PolicyMode::Canary), None)
            }
            Some((candidate, Rollout::Shadow)) => {
                let module = self
                    .module_or_default(candidate.module_digest.as_deref(), default_module)
                    .await?;
                (
                    (active.0, active.1, PolicyMode::Active),
                    Some((module, candidate)),
                )
            }
            _ => ((active.0, active.1, PolicyMode::Active), None),
        };
        let fallback = match self
            .ledger
            .failure_policy_at(epoch, &request.shop_id)
            .await?
        {
            FailurePolicy::FailClosed => None,
            FailurePolicy::FallbackToPlatformDefault => Some((
                self.module_or_default(None, default_module).await?,
                default_settings,
            )),
        };
        Ok(Resolved {
            fraud,
            fraud_settings,
            serving,
            shadow,
            guardrails,
            fallback,
        })
    }

    /// Decides a request body, or replays the answer already given under its key.
    pub async fn decide(
        &self,
        body: &[u8],
        idempotency_key: Option<&str>,
    ) -> Result<Reply, ServiceError> {
        let request = parse_request(body)?;
        let key = idempotency_key_for(&request, idempotency_key)?;
        let request_hash = request_hash(&request);

        if let Some(stored) = self.ledger.reply_for_key(&key).await? {
            return replay(
                &key,
                &request_hash,
                stored.request_hash,
                stored.response_json,
            );
        }

        let history = self.ledger.history(&request).await?;
        let resolved = self.resolve(&request).await?;
        let decision_id = format!("d-{}", ulid::Ulid::new());

        let started = Instant::now();
        let (module, version, mode) = resolved.serving.clone();
        let serving_digest = module.digest().clone();
        let suspended = self
            .suspensions
            .check(&request.shop_id, &serving_digest, started);
        let decided = run_blocking(
            resolved.fraud.clone(),
            resolved.fraud_settings.clone(),
            module,
            version,
            mode,
            resolved.guardrails,
            resolved.fallback.clone(),
            request.clone(),
            history.clone(),
            decision_id.clone(),
            suspended,
        )
        .await?;
        if decided.shop_module_called {
            let failure = decided
                .failure
                .as_ref()
                .filter(|failure| failure.module == serving_digest)
                .map(|failure| failure.kind);
            self.suspensions
                .record(&request.shop_id, &serving_digest, failure, Instant::now());
        }
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);

        if let Some(failure) = &decided.failure {
            tracing::warn!(%failure, claim_id = %request.claim_id, "module failure, fell back");
            self.ledger
                .count_failure(failure.module.as_str(), failure.kind.code(), now_ms())
                .await?;
        }
        let settings_json = match (&resolved.fallback, decided.fell_back) {
            (Some((_, settings)), true) => settings.as_str(),
            _ => resolved.serving.1.settings_json.as_str(),
        };
        let response_json = serde_json::to_string(&decided.response)
            .map_err(|error| ServiceError::Internal(format!("encoding the decision: {error}")))?;
        let recorded = self
            .ledger
            .record(DecisionRecord {
                idempotency_key: &key,
                request_hash: &request_hash,
                request: &request,
                response: &decided.response,
                response_json: &response_json,
                history: &history,
                guardrails: &resolved.guardrails,
                settings_json,
                fraud_module_digest: resolved.fraud.digest().as_str(),
                fraud_settings_json: &resolved.fraud_settings,
                signals: &decided.signals,
                guest_output: decided.guest_output.as_deref(),
                failure_detail: decided
                    .failure
                    .as_ref()
                    .map(|failure| failure.detail.as_str()),
                latency_us,
                decided_at_ms: now_ms(),
            })
            .await?;
        match recorded {
            Recorded::New => {
                if let Some((module, version)) = resolved.shadow {
                    self.run_shadow(
                        &resolved.fraud,
                        &resolved.fraud_settings,
                        module,
                        version,
                        resolved.guardrails,
                        &request,
                        &history,
                        &decision_id,
                    )
                    .await;
                }
                Ok(Reply {
                    body: response_json,
                    replayed: false,
                })
            }
            // A concurrent twin recorded first: answer what it answered.
            Recorded::Existing(stored) => replay(
                &key,
                &request_hash,
                stored.request_hash,
                stored.response_json,
            ),
        }
    }

    /// A recorded decision by id.
    pub async fn decision(&self, decision_id: &str) -> Result<StoredDecision, ServiceError> {
        self.ledger
            .decision(decision_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("decision `{decision_id}`")))
    }

    /// The shop's current settings.
    pub async fn settings(&self, shop_id: &str) -> Result<ShopSettings, ServiceError> {
        Ok(self.ledger.shop_settings(shop_id).await?)
    }

    /// Validates `settings` with the shop's policy and stores them as a new version.
    pub async fn put_settings(
        &self,
        shop_id: &str,
        settings: &serde_json::Value,
        by: &str,
    ) -> Result<ShopSettings, ServiceError> {
        if !settings.is_object() {
            return Err(ServiceError::SettingsRejected {
                key: None,
                message: "settings must be a JSON object".into(),
            });
        }
        let text = settings.to_string();
        let active = self.ledger.shop_rollout(shop_id).await?.active;
        let module = self
            .compensation_module(active.module_digest.as_deref())
            .await?;
        validate_settings(module, text.clone()).await?;
        // Stored with the module that accepted them, named: a policy change landing
        // meanwhile must not end up with settings its own module never checked.
        let stored = self
            .ledger
            .add_policy_version(
                shop_id,
                Some(active.module_digest.as_deref()),
                &text,
                Rollout::Active,
                by,
                now_ms(),
            )
            .await?;
        self.audit(
            by,
            "settings.update",
            shop_id,
            serde_json::json!({"version": stored.version, "settings": settings}),
        )
        .await;
        Ok(ShopSettings {
            version: stored.version,
            settings_json: stored.settings_json,
        })
    }

    /// Checks, compiles and stores an uploaded module that `scope` (a shop id, or `*`
    /// for every shop) may use.
    pub async fn upload_module(
        &self,
        bytes: Vec<u8>,
        scope: &str,
        by: &str,
    ) -> Result<(ModuleRecord, bool), ServiceError> {
        let (record, created) = self.registry.upload(bytes, scope, by).await?;
        self.audit(by, "module.upload", &record.digest, serde_json::json!({"scope": scope, "new": created, "name": record.name, "version": record.version}))
            .await;
        Ok((record, created))
    }

    /// Adds a version of the shop's policy: `module` (which `shop_id` must be allowed to
    /// use) with `settings`, checked by that module, rolled out as `rollout`.
    pub async fn put_policy(
        &self,
        shop_id: &str,
        module: &str,
        settings: &serde_json::Value,
        rollout: Rollout,
        by: &str,
    ) -> Result<PolicyVersion, ServiceError> {
        if !settings.is_object() {
            return Err(ServiceError::SettingsRejected {
                key: None,
                message: "settings must be a JSON object".into(),
            });
        }
        if self.ledger.module(module, Some(shop_id)).await?.is_none() {
            return Err(ServiceError::NotFound(format!("module `{module}`")));
        }
        let compensation = self.registry.compensation(module).await?;
        let text = settings.to_string();
        validate_settings(compensation, text.clone()).await?;
        let version = self
            .ledger
            .add_policy_version(shop_id, Some(Some(module)), &text, rollout, by, now_ms())
            .await?;
        let (mode, percent) = rollout_label(rollout);
        self.audit(by, "policy.set", shop_id, serde_json::json!({"version": version.version, "module": module, "mode": mode, "canary_percent": percent}))
            .await;
        Ok(version)
    }

    /// Sets what happens to the shop's claims when its module fails.
    pub async fn put_failure_policy(
        &self,
        shop_id: &str,
        policy: FailurePolicy,
        by: &str,
    ) -> Result<(), ServiceError> {
        self.ledger
            .put_failure_policy(shop_id, policy, by, now_ms())
            .await?;
        self.audit(
            by,
            "policy.failure_policy",
            shop_id,
            serde_json::json!({"failure_policy": policy}),
        )
        .await;
        Ok(())
    }

    /// Makes version `to` active again (and drops any candidate).
    pub async fn rollback(
        &self,
        shop_id: &str,
        to: u64,
        by: &str,
    ) -> Result<PolicyVersion, ServiceError> {
        let version = self
            .ledger
            .rollback(shop_id, to, now_ms())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("version {to} of shop `{shop_id}`")))?;
        self.audit(
            by,
            "policy.rollback",
            shop_id,
            serde_json::json!({"to": to}),
        )
        .await;
        Ok(version)
    }

    /// Makes the shop's shadow or canary candidate active.
    pub async fn promote(&self, shop_id: &str, by: &str) -> Result<PolicyVersion, ServiceError> {
        let version = self
            .ledger
            .promote(shop_id, now_ms())
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("a candidate version of shop `{shop_id}`"))
            })?;
        self.audit(
            by,
            "policy.promote",
            shop_id,
            serde_json::json!({"version": version.version}),
        )
        .await;
        Ok(version)
    }

    /// Sets a platform policy: its module (none: the built-in) and settings.
    pub async fn put_platform_policy(
        &self,
        which: PlatformPolicy,
        module: Option<&str>,
        settings: &serde_json::Value,
        by: &str,
    ) -> Result<(), ServiceError> {
        if !settings.is_object() {
            return Err(ServiceError::SettingsRejected {
                key: None,
                message: "settings must be a JSON object".into(),
            });
        }
        let text = settings.to_string();
        match which {
            PlatformPolicy::Compensation => {
                let module = match module {
                    Some(digest) => {
                        // Only a module every shop may use can be every shop's default.
                        if self.ledger.module(digest, Some("*")).await?.is_none() {
                            return Err(ServiceError::NotFound(format!(
                                "platform module `{digest}`"
                            )));
                        }
                        self.registry.compensation(digest).await?
                    }
                    None => self.registry.standard().clone(),
                };
                validate_settings(module, text.clone()).await?;
            }
            PlatformPolicy::FraudScreen => {
                let module = match module {
                    Some(digest) => {
                        if self.ledger.module(digest, Some("*")).await?.is_none() {
                            return Err(ServiceError::NotFound(format!(
                                "platform module `{digest}`"
                            )));
                        }
                        self.registry.fraud(digest).await?
                    }
                    None => self.registry.builtin_fraud().clone(),
                };
                let verdict = tokio::task::spawn_blocking(move || module.validate_settings(&text))
                    .await
                    .map_err(|error| ServiceError::Internal(format!("validating: {error}")))??;
                if let Err(rejected) = verdict {
                    return Err(ServiceError::SettingsRejected {
                        key: rejected.key,
                        message: rejected.message,
                    });
                }
            }
        }
        self.ledger
            .put_platform_policy(which.name(), module, &settings.to_string(), by, now_ms())
            .await?;
        self.audit(
            by,
            "platform.policy",
            which.name(),
            serde_json::json!({"module": module, "settings": settings}),
        )
        .await;
        Ok(())
    }

    /// Records an entry in the audit trail; a failure to do so is logged, not fatal.
    pub async fn audit(&self, actor: &str, action: &str, subject: &str, detail: serde_json::Value) {
        if let Err(error) = self
            .ledger
            .audit(actor, action, subject, &detail, now_ms())
            .await
        {
            tracing::error!(%error, action, subject, "could not write the audit trail");
        }
    }

    /// Runs the shadow candidate beside an answered decision and records what it decided.
    #[allow(clippy::too_many_arguments)]
    async fn run_shadow(
        &self,
        fraud: &FraudModule,
        fraud_settings: &str,
        module: CompensationModule,
        version: PolicyVersion,
        guardrails: Guardrails,
        request: &DecisionRequest,
        history: &CustomerHistory,
        decision_id: &str,
    ) {
        let module_digest = module.digest().clone();
        let digest = module_digest.to_string();
        let settings_version = version.version;
        let suspended = self
            .suspensions
            .check(&request.shop_id, &module_digest, Instant::now());
        let shadow = run_blocking(
            fraud.clone(),
            fraud_settings.to_owned(),
            module,
            version,
            PolicyMode::Shadow,
            guardrails,
            None,
            request.clone(),
            history.clone(),
            decision_id.to_owned(),
            suspended,
        )
        .await;
        if let Ok(decided) = &shadow
            && decided.shop_module_called
        {
            let failure = decided
                .failure
                .as_ref()
                .filter(|failure| failure.module == module_digest)
                .map(|failure| failure.kind);
            self.suspensions
                .record(&request.shop_id, &module_digest, failure, Instant::now());
        }
        let recorded = match shadow {
            Ok(decided) => {
                let response = serde_json::to_string(&decided.response).unwrap_or_default();
                self.ledger
                    .record_shadow(
                        decision_id,
                        &digest,
                        settings_version,
                        &crate::ledger::label(&decided.response.outcome),
                        decided.response.failure.as_deref(),
                        &response,
                    )
                    .await
            }
            Err(error) => {
                tracing::warn!(%error, decision_id, "shadow run failed");
                Ok(())
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(%error, decision_id, "could not record the shadow decision");
        }
    }
}

/// Runs one decision on the blocking pool (guest code never runs on the async workers).
#[allow(clippy::too_many_arguments)]
async fn run_blocking(
    fraud: FraudModule,
    fraud_settings: String,
    module: CompensationModule,
    version: PolicyVersion,
    mode: PolicyMode,
    guardrails: Guardrails,
    fallback: Option<(CompensationModule, String)>,
    request: DecisionRequest,
    history: CustomerHistory,
    decision_id: String,
    suspended: Option<String>,
) -> Result<Decided, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let fallback = fallback
            .as_ref()
            .map(|(module, settings)| Fallback { module, settings });
        let policy = ShopPolicy {
            fraud: &fraud,
            fraud_settings: &fraud_settings,
            compensation: &module,
            settings: &version.settings_json,
            settings_version: version.version,
            mode,
            guardrails,
            fallback,
            suspended: suspended.as_deref(),
        };
        decide(policy, &request, &history, decision_id)
    })
    .await
    .map_err(|error| ServiceError::Internal(format!("deciding: {error}")))
}

/// Asks `module` whether `settings` are acceptable.
async fn validate_settings(
    module: CompensationModule,
    settings: String,
) -> Result<(), ServiceError> {
    let verdict = tokio::task::spawn_blocking(move || module.validate_settings(&settings))
        .await
        .map_err(|error| ServiceError::Internal(format!("validating: {error}")))??;
    verdict.map_err(|rejected| ServiceError::SettingsRejected {
        key: rejected.key,
        message: rejected.message,
    })
}

/// Whether `claim_id` falls in a canary of `basis_points` (hundredths of a percent):
/// a stable hash, so every revision of a claim lands on the same side.
pub fn in_canary(claim_id: &str, basis_points: u32) -> bool {
    let digest = Sha256::digest(claim_id.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % 10_000 < u64::from(basis_points)
}

/// The JSON name of a rollout and its canary share in percent.
pub fn rollout_label(rollout: Rollout) -> (&'static str, Option<f64>) {
    match rollout {
        Rollout::Active => ("active", None),
        Rollout::Shadow => ("shadow", None),
        Rollout::Canary { basis_points } => ("canary", Some(f64::from(basis_points) / 100.0)),
    }
}

/// The key a request is idempotent under: the header, or `claim_id#revision`.
fn idempotency_key_for(
    request: &DecisionRequest,
    header: Option<&str>,
) -> Result<String, ServiceError> {
    match header {
        Some(key) => {
            let key = key.trim();
            if key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY_LEN
                || key.chars().any(char::is_control)
            {
                return Err(FieldError::new(
                    "Idempotency-Key",
                    format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} bytes of printable text"),
                )
                .into());
            }
            Ok(format!("key:{key}"))
        }
        None => Ok(format!("claim:{}#{}", request.claim_id, request.revision)),
    }
}

/// SHA-256 of the request in canonical form (field order fixed by the type), so that
/// whitespace or key order does not make a replay look like a conflict.
fn request_hash(request: &DecisionRequest) -> String {
    crate::digest::sha256_hex(&serde_json::to_vec(request).unwrap_or_default())
}

fn replay(
    key: &str,
    request_hash: &str,
    stored_hash: String,
    stored_response: String,
) -> Result<Reply, ServiceError> {
    if stored_hash != request_hash {
        let shown = key
            .strip_prefix("key:")
            .or_else(|| key.strip_prefix("claim:"))
            .unwrap_or(key);
        return Err(ServiceError::IdempotencyConflict(shown.to_owned()));
    }
    Ok(Reply {
        body: stored_response,
        replayed: true,
    })
}

/// The host's wall clock in milliseconds, for record keeping only (never for deciding).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
