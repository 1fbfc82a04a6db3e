//! API errors: each has one status and a stable `code`, answered as
//! `{"error": {"code", "message", "field"}}`. A 500 is logged with its detail and
//! answered without it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::contract::FieldError;
use crate::ledger::LedgerError;
use crate::registry::RegistryError;
use crate::service::ServiceError;
use crate::signing::SignatureRefused;

/// Every error's answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "invalid_request", "message": "unknown field `unit_prise`", "field": "items[0].unit_prise"}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and people (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable: `invalid_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `idempotency_conflict`, `feedback_conflict`,
    /// `payload_too_large`, `settings_rejected`, a module's `guest_*` failure while
    /// checking settings, an upload's refusal (`module_too_large`, `not_wasm`,
    /// `core_module`, `precompiled_artifact`, `invalid_component`, `wrong_world`,
    /// `forbidden_imports`, `describe_failed`, `compile_timeout`, `module_unsigned`,
    /// `module_signature_invalid`), `unavailable`, `storage_unavailable`, `internal`.
    pub code: &'static str,
    pub message: String,
    /// The field's path or the settings key at fault; null when no field is to blame.
    #[schema(required = true)]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { field: String, message: String },
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("this token may not do that")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("this route does not take that method")]
    MethodNotAllowed,
    #[error("{0}")]
    IdempotencyConflict(String),
    #[error("{0}")]
    FeedbackConflict(String),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// An upload refused: `code` says why (`core_module`, `wrong_world`, ...).
    #[error("{message}")]
    ModuleRejected {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("{message}")]
    SettingsRejected {
        key: Option<String>,
        message: String,
    },
    /// The module failed while checking settings: `code` is its `guest_*` kind.
    #[error("{message}")]
    SettingsCheckFailed { code: &'static str, message: String },
    #[error("{0}")]
    Unavailable(String),
    /// The ledger's store cannot take writes (or answer reads) now: answered with
    /// `Retry-After`, the cause logged.
    #[error("the ledger cannot store this now; nothing was recorded, retry later")]
    StorageUnavailable(#[source] LedgerError),
    /// The cause is logged, never answered.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A 400 naming the request's `field`.
    pub(super) fn bad_request(field: &str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The machine-readable code of the answer (`error.code`).
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::IdempotencyConflict(_) => (StatusCode::CONFLICT, "idempotency_conflict"),
            Self::FeedbackConflict(_) => (StatusCode::CONFLICT, "feedback_conflict"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::ModuleRejected { status, code, .. } => (*status, code),
            Self::SettingsRejected { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "settings_rejected")
            }
            Self::SettingsCheckFailed { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::StorageUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %Chain(cause.as_ref()), "internal error");
        }
        if let Self::StorageUnavailable(cause) = &self {
            tracing::warn!(error = %Chain(cause), "answered storage_unavailable");
        }
        let field = match &self {
            Self::BadRequest { field, .. } => Some(field.clone()),
            Self::SettingsRejected { key, .. } => key.clone(),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                field,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if matches!(self, Self::StorageUnavailable(_)) {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

/// An error with its causes, `outer: inner: innermost`, for the log.
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::BadRequest {
            field: error.field,
            message: error.message,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::BadRequest(field) => field.into(),
            ServiceError::IdempotencyConflict(_) => Self::IdempotencyConflict(error.to_string()),
            ServiceError::FeedbackConflict(_) => Self::FeedbackConflict(error.to_string()),
            ServiceError::SettingsRejected { key, message } => {
                Self::SettingsRejected { key, message }
            }
            ServiceError::SettingsCheckFailed(failure) => Self::SettingsCheckFailed {
                code: failure.kind.code(),
                message: format!(
                    "the module failed while checking the settings ({}); its settings cannot be checked",
                    failure.kind.code()
                ),
            },
            ServiceError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            ServiceError::Signature(refused) => Self::ModuleRejected {
                status: StatusCode::FORBIDDEN,
                code: match refused {
                    SignatureRefused::Missing => "module_unsigned",
                    SignatureRefused::Malformed | SignatureRefused::NotTrusted => {
                        "module_signature_invalid"
                    }
                },
                message: refused.to_string(),
            },
            ServiceError::Registry(error) => error.into(),
            ServiceError::Ledger(error) => error.into(),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(error: RegistryError) -> Self {
        let rejected =
            |status: StatusCode, code: &'static str, error: &RegistryError| Self::ModuleRejected {
                status,
                code,
                message: error.to_string(),
            };
        match error {
            RegistryError::TooLarge { .. } => {
                rejected(StatusCode::PAYLOAD_TOO_LARGE, "module_too_large", &error)
            }
            RegistryError::Rejected(ref load) => {
                rejected(StatusCode::UNPROCESSABLE_ENTITY, load.code(), &error)
            }
            RegistryError::CompileTimeout(_) => {
                rejected(StatusCode::UNPROCESSABLE_ENTITY, "compile_timeout", &error)
            }
            RegistryError::WrongKind { .. } => {
                rejected(StatusCode::UNPROCESSABLE_ENTITY, "wrong_world", &error)
            }
            RegistryError::UnknownModule(_) => Self::NotFound(error.to_string()),
            RegistryError::Ledger(error) => error.into(),
            RegistryError::Internal(_) => Self::Internal(Box::new(error)),
        }
    }
}

/// When a client may try again after `storage_unavailable`.
const RETRY_AFTER_SECONDS: &str = "1";

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> Self {
        match error {
            LedgerError::Database(sqlx::Error::PoolTimedOut) => {
                Self::Unavailable("the ledger is busy; retry".into())
            }
            // The ledger's writer is gone: as unavailable as a full disk.
            error @ (LedgerError::Unavailable(_) | LedgerError::Commit(_)) => {
                Self::StorageUnavailable(error)
            }
            other => Self::Internal(Box::new(other)),
        }
    }
}

/// The answer to a handler that panicked: a plain 500, the detail only in the log.
pub(super) fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
        .unwrap_or_default();
    ApiError::Internal(format!("handler panicked: {detail}").into()).into_response()
}
