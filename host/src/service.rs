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

use crate::builtin;
use crate::contract::{DecisionRequest, FieldError, PolicyMode, parse_request};
use crate::decide::{ShopPolicy, decide};
use crate::engine::{CompensationModule, Engine, FraudModule, GuestFailure, Limits, LoadError};
use crate::ledger::{DecisionRecord, Ledger, LedgerError, Recorded, ShopSettings, StoredDecision};

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
    #[error("internal: {0}")]
    Internal(String),
}

/// The platform's loaded modules.
#[derive(Debug)]
pub struct Modules {
    pub fraud: FraudModule,
    pub fraud_settings: String,
    pub standard: CompensationModule,
}

/// A decision's answer, and whether it was made now or replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub body: String,
    pub replayed: bool,
}

/// The running service: engine, modules and ledger. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Service {
    modules: Arc<Modules>,
    ledger: Ledger,
}

impl Service {
    /// Opens the ledger under `data_dir` and loads the platform's modules.
    pub async fn open(data_dir: &Path, limits: Limits) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(data_dir).map_err(|error| {
            ServiceError::Internal(format!("creating {}: {error}", data_dir.display()))
        })?;
        let ledger = Ledger::open(&data_dir.join("arbiter.db")).await?;
        let modules = tokio::task::spawn_blocking(move || -> Result<Modules, LoadError> {
            let engine = Engine::new(limits)?;
            Ok(Modules {
                fraud: builtin::fraud_screen(&engine)?,
                fraud_settings: "{}".to_owned(),
                standard: builtin::standard_policy(&engine)?,
            })
        })
        .await
        .map_err(|error| ServiceError::Internal(format!("loading modules: {error}")))??;
        Ok(Self {
            modules: Arc::new(modules),
            ledger,
        })
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn modules(&self) -> &Modules {
        &self.modules
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
        let settings = self.ledger.shop_settings(&request.shop_id).await?;
        let guardrails = self.ledger.guardrails().await?;
        let decision_id = format!("d-{}", ulid::Ulid::new());

        let started = Instant::now();
        let modules = Arc::clone(&self.modules);
        let request_for_policy = request.clone();
        let history_for_policy = history.clone();
        let decided = tokio::task::spawn_blocking(move || {
            let policy = ShopPolicy {
                fraud: &modules.fraud,
                fraud_settings: &modules.fraud_settings,
                compensation: &modules.standard,
                settings: &settings.settings_json,
                settings_version: settings.version,
                mode: PolicyMode::Active,
                guardrails,
            };
            decide(
                policy,
                &request_for_policy,
                &history_for_policy,
                decision_id,
            )
        })
        .await
        .map_err(|error| ServiceError::Internal(format!("deciding: {error}")))?;
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);

        if let Some(failure) = &decided.failure {
            tracing::warn!(%failure, claim_id = %request.claim_id, "module failure, fell back");
        }
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
                guardrails: &guardrails,
                signals: &decided.signals,
                latency_us,
                decided_at_ms: now_ms(),
            })
            .await?;
        match recorded {
            Recorded::New => Ok(Reply {
                body: response_json,
                replayed: false,
            }),
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
        let modules = Arc::clone(&self.modules);
        let checked = text.clone();
        let verdict =
            tokio::task::spawn_blocking(move || modules.standard.validate_settings(&checked))
                .await
                .map_err(|error| ServiceError::Internal(format!("validating: {error}")))??;
        if let Err(rejected) = verdict {
            return Err(ServiceError::SettingsRejected {
                key: rejected.key,
                message: rejected.message,
            });
        }
        Ok(self
            .ledger
            .put_shop_settings(shop_id, &text, by, now_ms())
            .await?)
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
    let canonical = serde_json::to_vec(request).unwrap_or_default();
    Sha256::digest(&canonical)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
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
