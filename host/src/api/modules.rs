//! `POST /v1/modules` (upload), `GET /v1/modules`, `GET /v1/modules/{digest}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::extract::ModuleDigestId;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::contract::{ModuleDigestText, Timestamp};
use crate::ledger::ModuleRecord;
use crate::signing::SIGNATURE_HEADER;

/// A stored module: what it is and what its settings look like.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Module)]
pub(super) struct ModuleBody {
    #[schema(value_type = ModuleDigestText)]
    digest: String,
    /// `compensation` or `fraud-screen`.
    world: String,
    /// Bytes.
    size: u64,
    name: String,
    version: String,
    /// What the module says of itself (`metadata`).
    #[schema(value_type = Object)]
    metadata: Value,
    /// The JSON Schema of its settings (`settings-schema`), which the console draws its
    /// form from.
    #[schema(value_type = Object)]
    settings_schema: Value,
    /// Who uploaded it first; a seller sees `another account` for another seller.
    uploaded_by: String,
    uploaded_at: Option<Timestamp>,
}

impl ModuleBody {
    /// The module as the API shows it to `principal`. A seller never learns which other
    /// account uploaded the same bytes first.
    pub(super) fn new(record: &ModuleRecord, principal: &Principal) -> Self {
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
        Self {
            digest: record.digest.to_string(),
            world: record.world.clone(),
            size: record.size,
            name: record.name.clone(),
            version: record.version.clone(),
            metadata: parse(&record.metadata_json),
            settings_schema: parse(&record.schema_json),
            uploaded_by,
            uploaded_at: Timestamp::from_unix_millis(record.uploaded_at_ms),
        }
    }
}

/// The modules a caller may use.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ModuleList)]
pub(super) struct ModuleListBody {
    modules: Vec<ModuleBody>,
}

/// A module with its recorded failures.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ModuleDetail)]
pub(super) struct ModuleDetailBody {
    #[serde(flatten)]
    module: ModuleBody,
    /// Decisions on which it failed, by kind (`guest_timeout`, `invalid_decision`, ...).
    failures: BTreeMap<String, u64>,
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

/// Upload a policy component (operators for every shop, a seller for its own).
///
/// Checked (a component of the `compensation` or `fraud-screen` world, importing
/// nothing else), compiled and stored by digest. With `serve --trusted-key` the
/// `Arbiter-Signature` header must sign its digest. Counted in the metrics by how it
/// ended.
#[utoipa::path(
    post,
    path = "/v1/modules",
    tag = "modules",
    operation_id = "upload_module",
    params(
        ("Arbiter-Signature" = Option<String>, Header, pattern = "^ed25519:[0-9a-f]{128}$",
            description = "`ed25519:` and the hex Ed25519 signature of the module's digest \
                text (`sha256:...`); needed when the server trusts signing keys."),
    ),
    request_body(content = Vec<u8>, content_type = "application/wasm",
        description = "The component's bytes (at most the upload cap, 32 MiB unless configured)."),
    responses(
        (status = 201, description = "Stored.", body = ModuleBody),
        (status = 200, description = "Already stored; the caller's scope now has it too.",
            body = ModuleBody),
        (status = 403, description = "`forbidden`, or `module_unsigned` / \
            `module_signature_invalid` when signatures are required.",
            body = super::error::ErrorBody),
        (status = 413, description = "`module_too_large`: over the upload cap.",
            body = super::error::ErrorBody),
        (status = 422, description = "Not an acceptable module; `error.code` says why: \
            `not_wasm`, `core_module`, `precompiled_artifact`, `invalid_component`, \
            `wrong_world`, `forbidden_imports` (the message names them), `describe_failed`, \
            `compile_timeout`.", body = super::error::ErrorBody),
    )
)]
pub(super) async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<ModuleBody>), ApiError> {
    let outcome = upload_module(&state, &principal, &headers, body).await;
    super::observe::count_upload(state.service.metrics(), &outcome);
    outcome
}

async fn upload_module(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<ModuleBody>), ApiError> {
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
    Ok((status, axum::Json(ModuleBody::new(&record, principal))))
}

/// The modules the caller may use: operators all, a seller its shop's and the
/// platform's.
#[utoipa::path(
    get,
    path = "/v1/modules",
    tag = "modules",
    operation_id = "list_modules",
    responses((status = 200, description = "The modules.", body = ModuleListBody))
)]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<ModuleListBody>, ApiError> {
    let scope = scope(&principal)?;
    let modules = state.service.modules(scope).await?;
    Ok(axum::Json(ModuleListBody {
        modules: modules
            .iter()
            .map(|module| ModuleBody::new(module, &principal))
            .collect(),
    }))
}

/// One module, its settings schema and its recorded failures.
#[utoipa::path(
    get,
    path = "/v1/modules/{digest}",
    tag = "modules",
    operation_id = "show_module",
    params(("digest" = ModuleDigestText, Path)),
    responses((status = 200, description = "The module.", body = ModuleDetailBody))
)]
pub(super) async fn show(
    State(state): State<AppState>,
    principal: Principal,
    ModuleDigestId(digest): ModuleDigestId,
) -> Result<axum::Json<ModuleDetailBody>, ApiError> {
    let scope = scope(&principal)?;
    let (record, failures) = state.service.module(&digest, scope).await?;
    Ok(axum::Json(ModuleDetailBody {
        module: ModuleBody::new(&record, &principal),
        failures,
    }))
}
