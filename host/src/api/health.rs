//! `/healthz` (the process answers) and `/readyz` (the ledger answers and takes writes,
//! modules loaded).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, AppState};
use crate::contract::ModuleDigestText;
use crate::ledger::LedgerError;

/// The process answers.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Alive {
    /// `ok`.
    status: &'static str,
}

/// Ready to decide.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Ready {
    /// `ready`.
    status: &'static str,
    modules: ReadyModules,
}

/// The platform's modules loaded.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ReadyModules {
    #[schema(value_type = ModuleDigestText)]
    fraud_screen: String,
    #[schema(value_type = ModuleDigestText)]
    standard_policy: String,
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    operation_id = "alive",
    security(()),
    responses((status = 200, description = "Alive.", body = Alive))
)]
pub(super) async fn alive() -> Json<Alive> {
    Json(Alive { status: "ok" })
}

/// Readiness: the ledger answers and takes writes, the platform's modules are loaded.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    operation_id = "ready",
    security(()),
    responses((status = 200, description = "Ready.", body = Ready))
)]
pub(super) async fn ready(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    state.service.ping().await.map_err(|error| match error {
        LedgerError::Unavailable(_) => ApiError::from(error),
        other => ApiError::Unavailable(format!("the ledger does not answer: {other}")),
    })?;
    let registry = state.service.registry();
    Ok(Json(Ready {
        status: "ready",
        modules: ReadyModules {
            fraud_screen: registry.builtin_fraud().digest().to_string(),
            standard_policy: registry.standard().digest().to_string(),
        },
    }))
}
