//! The HTTP API (v1): routes, authentication, error mapping and the OpenAPI description
//! (`openapi.json`). Handlers translate between HTTP and the [`Service`]; they never
//! touch the engine.

mod auth;
mod backtests;
mod decision_list;
mod decisions;
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
pub use error::ApiError;
pub use export::NEXT_CURSOR;
pub use observe::{REQUEST_ID, RequestId, metrics_router};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::access::Access;
use crate::service::Service;

/// The largest request body accepted (decisions, settings), in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The hand-written OpenAPI 3.1 description of this API, served at `/v1/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: Service,
    pub access: Access,
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
    Router::new()
        .route("/v1/decisions", post(decisions::decide).get(export::export))
        .route("/v1/decisions/{decision_id}", get(decisions::explain))
        .route("/v1/decisions/{decision_id}/feedback", post(feedback::give))
        .route("/v1/shops/{shop_id}/feedback", get(feedback::by_version))
        .route("/v1/shops/{shop_id}/decisions", get(decision_list::list))
        .route("/v1/shops/{shop_id}/insights", get(insights::shop))
        .route("/v1/platform/insights", get(insights::platform))
        .route("/v1/platform/fraud-list", get(platform::fraud_list))
        .route("/v1/whoami", get(whoami::whoami))
        .route(
            "/v1/shops/{shop_id}/settings",
            get(shops::get_settings).put(shops::put_settings),
        )
        .route(
            "/v1/platform/fraud-list/{customer_id}",
            put(platform::add_to_fraud_list).delete(platform::remove_from_fraud_list),
        )
        .route(
            "/v1/platform/guardrails",
            get(platform::get_guardrails).put(platform::put_guardrails),
        )
        .route("/v1/tokens", post(platform::issue_token))
        .route(
            "/v1/modules",
            get(modules::list)
                .merge(post(modules::upload).layer(DefaultBodyLimit::max(upload_limit))),
        )
        .route("/v1/modules/{digest}", get(modules::show))
        .route(
            "/v1/shops/{shop_id}/policy",
            get(policies::get_policy).put(policies::put_policy),
        )
        .route(
            "/v1/shops/{shop_id}/policy/versions",
            get(policies::versions),
        )
        .route(
            "/v1/shops/{shop_id}/policy/rollback",
            post(policies::rollback),
        )
        .route(
            "/v1/shops/{shop_id}/policy/promote",
            post(policies::promote),
        )
        .route("/v1/shops/{shop_id}/rollouts", get(rollouts::list))
        .route(
            "/v1/shops/{shop_id}/failure-policy",
            get(policies::get_failure_policy).put(policies::put_failure_policy),
        )
        .route(
            "/v1/platform/policies/{name}",
            get(policies::get_platform_policy).put(policies::put_platform_policy),
        )
        .route(
            "/v1/shops/{shop_id}/backtests",
            get(backtests::list).post(backtests::start),
        )
        .route("/v1/backtests/{backtest_id}", get(backtests::show))
        .route(
            "/v1/platform/backtests",
            get(backtests::list_platform).post(backtests::start_platform),
        )
        .route("/v1/audit", get(policies::audit))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/v1/openapi.json", get(openapi))
        .route("/metrics", get(observe::metrics))
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
        .with_state(state)
}

/// `GET /v1/openapi.json`, without authentication.
async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}
