//! Why the decision service could not do what was asked: one variant per cause, the
//! cause kept as its `source`. The API maps each to one status and one code.

use crate::contract::FieldError;
use crate::engine::GuestFailure;
use crate::ledger::LedgerError;
use crate::registry::RegistryError;
use crate::signing::SignatureRefused;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is not acceptable; the field is named.
    #[error(transparent)]
    BadRequest(#[from] FieldError),
    /// The same idempotency key came with a different body.
    #[error("idempotency key `{0}` was already used with a different request")]
    IdempotencyConflict(String),
    /// The decision has other feedback already.
    #[error("decision `{0}` has other feedback already")]
    FeedbackConflict(String),
    /// The module refused the settings, naming the key when it can.
    #[error("settings rejected: {message}")]
    SettingsRejected {
        key: Option<String>,
        message: String,
    },
    /// The module failed (trapped, ran out of time or memory) while checking settings.
    #[error("the module failed while checking the settings ({})", .0.kind.code())]
    SettingsCheckFailed(#[source] GuestFailure),
    /// The upload's signature is missing or not by a trusted key.
    #[error(transparent)]
    Signature(#[from] SignatureRefused),
    /// No such thing (or not this caller's to see).
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The data dir could not be made.
    #[error("creating the data dir {path}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A policy call on the blocking pool did not come back (it panicked).
    #[error("{0} did not finish")]
    Blocking(&'static str, #[source] tokio::task::JoinError),
    /// A thread of the service could not be started, or stopped.
    #[error("{0}")]
    Worker(&'static str, #[source] Option<std::io::Error>),
    /// The decision could not be written as JSON.
    #[error("encoding the decision")]
    Encode(#[source] serde_json::Error),
}
