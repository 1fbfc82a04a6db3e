//! The OpenAPI 3.1 description, generated from the handlers' own types: every route is
//! registered through `utoipa_axum`'s `routes!`, which takes its path, method, body and
//! answers from the handler's `#[utoipa::path]`, so the router and the description
//! cannot drift apart. This module adds what is common to every operation: the title,
//! the bearer scheme, the tags and the error answers each operation can give.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};

use super::error::ErrorBody;
use super::paging::Cursor;
use crate::contract::{ClaimKind, ClaimSubkind};

/// The description's fixed parts; the paths are added by the router.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Arbiter",
        version = "1.0.0",
        description = "Decides marketplace claims with sandboxed WebAssembly policies. \
            The marketplace's v1 contract (`shared/contract.md`) as Arbiter serves it. All \
            amounts are integer minor units with an ISO 4217 currency; all times are RFC 3339. \
            Request bodies are parsed strictly: an unknown field is refused with 400 and the \
            field's path; an integer may be written as a whole-number float (`683.0`). Fields \
            Arbiter adds to the contract are marked \"Added to the contract\"."
    ),
    servers((url = "/")),
    security(("bearer" = [])),
    // Schemas only parameters name (those bodies name are collected by the routes).
    components(schemas(ErrorBody, Cursor)),
    modifiers(&Common),
    tags(
        (name = "decisions", description = "Ask for a decision; explain one; the decision log."),
        (name = "shops", description = "A shop's settings, decisions, insights and feedback."),
        (name = "policies", description = "A shop's policy versions: a module with settings, \
            rolled out as active, shadow, canary or progressive; rollback and promotion."),
        (name = "backtests", description = "A candidate tried on a shop's own past claims."),
        (name = "modules", description = "Policy components: upload (checked, compiled and \
            stored by digest) and listing."),
        (name = "platform", description = "Operator endpoints: the hard-fraud list, \
            guardrails, API tokens, the platform's own policies and the audit trail."),
        (name = "health", description = "Liveness, readiness, metrics and this description."),
    )
)]
pub(super) struct ApiDoc;

/// The description with its fixed parts, before any route is added.
pub(super) fn base() -> OpenApi {
    ApiDoc::openapi()
}

/// Adds the bearer scheme and, to each operation, the error answers every operation of
/// its kind can give (unless the handler describes its own).
struct Common;

impl Modify for Common {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer <secret>`. The operator's secret is set at \
                         start; marketplace and seller secrets are issued by `POST /v1/tokens`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Completes the description once every route is in: the common error answers, and
/// the rules utoipa's model of a schema cannot hold.
pub(super) fn finish(mut openapi: OpenApi) -> Value {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let has_path_id = path.contains('{');
        for operation in operations(item) {
            add_common_errors(operation, has_path_id);
        }
    }
    let mut description = serde_json::to_value(openapi).unwrap_or(Value::Null);
    require_subkinds_of_their_kind(&mut description);
    description
}

/// A claim's `subkind` must belong to its `kind`: one `if`/`then` per kind, drawn from
/// [`ClaimSubkind::kind`] over every subkind the description lists, so it follows the
/// code.
fn require_subkinds_of_their_kind(description: &mut Value) {
    let values = |schema: &str| -> Vec<Value> {
        description
            .pointer(&format!("/components/schemas/{schema}/enum"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut subkinds: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for kind in values("ClaimKind") {
        if serde_json::from_value::<ClaimKind>(kind.clone()).is_ok()
            && let Some(kind) = kind.as_str()
        {
            subkinds.entry(kind.to_owned()).or_default();
        }
    }
    for subkind in values("ClaimSubkind") {
        let Ok(parsed) = serde_json::from_value::<ClaimSubkind>(subkind.clone()) else {
            continue;
        };
        if let Ok(Value::String(kind)) = serde_json::to_value(parsed.kind()) {
            subkinds.entry(kind).or_default().push(subkind);
        }
    }
    let rules: Vec<Value> = subkinds
        .into_iter()
        .map(|(kind, subkinds)| {
            let allowed: Vec<Value> = std::iter::once(Value::Null).chain(subkinds).collect();
            json!({
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"properties": {"subkind": {"enum": allowed}}},
            })
        })
        .collect();
    if let Some(request) = description.pointer_mut("/components/schemas/DecisionRequest")
        && !rules.is_empty()
    {
        request["allOf"] = Value::Array(rules);
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.head,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The answers any operation may give besides its own: a bad request, a missing or
/// insufficient token (unless it is public), a body too large (when it takes one), a
/// path id not found, and the server's own trouble.
fn add_common_errors(operation: &mut Operation, has_path_id: bool) {
    // An operation with `security: [{}]` (an empty requirement) is public.
    let public = operation.security.as_ref().is_some_and(|requirements| {
        requirements
            .iter()
            .all(|requirement| *requirement == SecurityRequirement::default())
    });
    let mut common: Vec<(&str, &str)> = vec![(
        "400",
        "`invalid_request`: bad input; `error.field` names the field at fault \
         (`items[0].unit_price`, a query parameter, a header), empty when the body as a \
         whole is (not JSON).",
    )];
    if !public {
        common.push((
            "401",
            "`unauthorized`: no bearer token, or not a known one.",
        ));
        common.push(("403", "`forbidden`: the token's role may not do that."));
    }
    if operation.request_body.is_some() {
        common.push(("413", "`payload_too_large`: the body is over 1 MiB."));
    }
    if has_path_id {
        common.push((
            "404",
            "`not_found`: no such thing, or not the caller's to see.",
        ));
    }
    common.push((
        "500",
        "`internal`: a fault of the server's own, never with internal details.",
    ));
    common.push((
        "503",
        "`storage_unavailable` (with `Retry-After`): the ledger cannot take writes now and \
         nothing was recorded; or `unavailable`: shedding load. Retry.",
    ));
    for (status, description) in common {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description));
    }
}

/// An answer in the API's error shape.
fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}
