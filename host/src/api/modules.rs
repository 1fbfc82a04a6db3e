//! `POST /v1/modules` (upload), `GET /v1/modules`, `GET /v1/modules/{digest}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::extract::ModuleDigestId;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::ledger::ModuleRecord;
use crate::signing::SIGNATURE_HEADER;

/// The module as the API shows it to `principal`. A seller never learns which other
/// account uploaded the same bytes first.
pub(super) fn module_body(record: &ModuleRecord, principal: &Principal) -> Value {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let uploaded_by = match principal {
        Principal::Seller { .. }
            if record.uploaded_by.starts_with("seller:")
                && record.uploaded_by != principal.actor() =>
        {
            "another account".to_owned()
        }
        _ => record.uploaded_by.clone(),
    };
    json!({
        "digest": record.digest,
        "world": record.world,
        "size": record.size,
        "name": record.name,
        "version": record.version,
        "metadata": parse(&record.metadata_json),
        "settings_schema": parse(&record.schema_json),
        "uploaded_by": uploaded_by,
        "uploaded_at": crate::contract::Timestamp::from_unix_millis(record.uploaded_at_ms)
            .map(|at| at.to_string()),
    })
}

/// Which modules a caller may see and use: operators all (and uploads are for every
/// shop), a seller its shop's and the platform's.
fn scope(principal: &Principal) -> Result<Option<&str>, ApiError> {
    match principal {
        Principal::Operator => Ok(None),
        Principal::Seller { shop_id, .. } => Ok(Some(shop_id)),
        Principal::Marketplace { .. } => Err(ApiError::Forbidden),
    }
}

/// `POST /v1/modules`, counted in the metrics by how it ended.
pub(super) async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let outcome = upload_module(&state, &principal, &headers, body).await;
    super::observe::count_upload(state.service.metrics(), &outcome);
    outcome
}

async fn upload_module(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let scope = scope(principal)?.unwrap_or("*").to_owned();
    let signature = match headers.get(SIGNATURE_HEADER) {
        Some(value) => Some(value.to_str().map_err(|_| ApiError::BadRequest {
            field: "Arbiter-Signature".into(),
            message: "must be printable ASCII".into(),
        })?),
        None => None,
    };
    let max = state.service.registry().upload_limits().max_bytes;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::ModuleRejected {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "module_too_large",
                message: format!("the module is more than the {max} bytes accepted"),
            }
        } else {
            ApiError::BadRequest {
                field: String::new(),
                message: rejection.body_text(),
            }
        }
    })?;
    let (record, created) = state
        .service
        .upload_module(body.to_vec(), signature, &scope, &principal.actor())
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(module_body(&record, principal))))
}

pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    let scope = scope(&principal)?;
    let modules = state.service.modules(scope).await?;
    Ok(axum::Json(json!({
        "modules": modules
            .iter()
            .map(|module| module_body(module, &principal))
            .collect::<Vec<_>>(),
    })))
}

pub(super) async fn show(
    State(state): State<AppState>,
    principal: Principal,
    ModuleDigestId(digest): ModuleDigestId,
) -> Result<axum::Json<Value>, ApiError> {
    let scope = scope(&principal)?;
    let (record, failures) = state.service.module(&digest, scope).await?;
    let mut body = module_body(&record, &principal);
    body["failures"] = json!(failures);
    Ok(axum::Json(body))
}
