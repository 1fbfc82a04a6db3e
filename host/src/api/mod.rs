//! The HTTP API (v1): routes, authentication, error mapping and the OpenAPI description,
//! generated from the handlers' own types as the routes are registered (`doc.rs`).
//! Handlers translate between HTTP and the [`Service`]; they never touch the engine.

mod auth;
mod backtests;
mod decision_list;
mod decisions;
mod doc;
mod error;
mod export;
mod extract;
mod feedback;
mod health;
mod insights;
mod modules;
mod observe;
mod paging;
mod platform;
mod policies;
mod rollouts;
mod shops;
mod whoami;

pub use backtests::backtest_body;
pub use error::{ApiError, ErrorBody};
pub use export::NEXT_CURSOR;
pub use observe::{REQUEST_ID, RequestId, metrics_router};

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension};
use axum::http::header;
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::Access;
use crate::service::Service;

/// The largest request body accepted (decisions, settings), in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: Service,
    pub access: Access,
}

/// Every documented route, each registered with its description. `upload_limit` is
/// the body limit of module uploads (one byte over the registry's cap, so the registry
/// itself names the size refused).
fn documented_routes(upload_limit: usize) -> OpenApiRouter<AppState> {
    let (schemas, paths, upload) = routes!(modules::upload);
    let upload = (
        schemas,
        paths,
        upload.layer(DefaultBodyLimit::max(upload_limit)),
    );
    OpenApiRouter::with_openapi(doc::base())
        .routes(routes!(decisions::decide, export::export))
        .routes(routes!(decisions::explain))
        .routes(routes!(feedback::give))
        .routes(routes!(feedback::by_version))
        .routes(routes!(decision_list::list))
        .routes(routes!(insights::shop))
        .routes(routes!(insights::platform))
        .routes(routes!(platform::fraud_list))
        .routes(routes!(whoami::whoami))
        .routes(routes!(shops::get_settings, shops::put_settings))
        .routes(routes!(
            platform::add_to_fraud_list,
            platform::remove_from_fraud_list
        ))
        .routes(routes!(platform::get_guardrails, platform::put_guardrails))
        .routes(routes!(platform::issue_token))
        .routes(routes!(modules::list))
        .routes(upload)
        .routes(routes!(modules::show))
        .routes(routes!(policies::get_policy, policies::put_policy))
        .routes(routes!(policies::versions))
        .routes(routes!(policies::rollback))
        .routes(routes!(policies::promote))
        .routes(routes!(rollouts::list))
        .routes(routes!(
            policies::get_failure_policy,
            policies::put_failure_policy
        ))
        .routes(routes!(
            policies::get_platform_policy,
            policies::put_platform_policy
        ))
        .routes(routes!(backtests::list, backtests::start))
        .routes(routes!(backtests::show))
        .routes(routes!(backtests::list_platform, backtests::start_platform))
        .routes(routes!(policies::audit))
        .routes(routes!(health::alive))
        .routes(routes!(health::ready))
        .routes(routes!(observe::metrics))
        .routes(routes!(openapi_doc))
}

/// This API's OpenAPI 3.1 description, as `GET /v1/openapi.json` serves it.
pub fn openapi() -> serde_json::Value {
    doc::finish(documented_routes(MAX_BODY_BYTES).into_openapi())
}

/// The v1 router.
pub fn router(state: AppState) -> Router {
    // One byte over the registry's cap, so the registry itself names the size refused.
    let upload_limit = state
        .service
        .registry()
        .upload_limits()
        .max_bytes
        .saturating_add(1);
    let (routes, openapi) = documented_routes(upload_limit).split_for_parts();
    let description = Description(doc::finish(openapi).to_string().into());
    routes
        .merge(crate::console::router())
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        // After the routes: it applies to those registered before it. `Allow` is kept.
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::http_metrics,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http().make_span_with(observe::request_span))
        .layer(middleware::from_fn(observe::request_id))
        // The description `openapi_doc` serves, serialized once.
        .layer(Extension(description))
        .with_state(state)
}

/// This API's description as JSON text.
#[derive(Debug, Clone)]
struct Description(Arc<str>);

/// This API's OpenAPI 3.1 description (no token needed).
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "health",
    operation_id = "openapi",
    security(()),
    responses((status = 200, description = "This description.", body = Object))
)]
async fn openapi_doc(Extension(Description(text)): Extension<Description>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        text.to_string(),
    )
}
