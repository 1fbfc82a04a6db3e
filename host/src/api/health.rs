//! `/healthz` (the process answers) and `/readyz` (the ledger answers and takes writes,
//! modules loaded).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::{ApiError, AppState};
use crate::ledger::LedgerError;

pub(super) async fn alive() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub(super) async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.service.ping().await.map_err(|error| match error {
        LedgerError::Unavailable(_) => ApiError::from(error),
        other => ApiError::Unavailable(format!("the ledger does not answer: {other}")),
    })?;
    let registry = state.service.registry();
    Ok(Json(json!({
        "status": "ready",
        "modules": {
            "fraud_screen": registry.builtin_fraud().digest(),
            "standard_policy": registry.standard().digest(),
        },
    })))
}
