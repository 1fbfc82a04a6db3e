//! The HTTP API (v1): routes, authentication and error mapping. Handlers translate
//! between HTTP and the [`Service`]; they never touch the engine.

mod auth;
mod decisions;
mod error;
mod health;
mod platform;
mod shops;

pub use error::ApiError;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

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

/// The v1 router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/decisions", post(decisions::decide))
        .route("/v1/decisions/{decision_id}", get(decisions::explain))
        .route(
            "/v1/shops/{shop_id}/settings",
            get(shops::get_settings).put(shops::put_settings),
        )
        .route(
            "/v1/platform/fraud-list/{customer_id}",
            put(platform::add_to_fraud_list).delete(platform::remove_from_fraud_list),
        )
        .route("/v1/tokens", post(platform::issue_token))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
