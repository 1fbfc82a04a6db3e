//! What follows every request: its id (`x-request-id`, the caller's when it is a
//! sensible one, else a new ULID), echoed in the answer and put in the request's
//! tracing span; the HTTP metrics by route template, method and status; and
//! `GET /metrics`, for operators on the API listener and for anyone on the separate
//! `--metrics-listen` address.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::operator_only;
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::metrics::Metrics;

/// The header carrying a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// The longest request id taken from a caller.
const MAX_REQUEST_ID: usize = 128;

/// A request's id, in its extensions for handlers to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// `value` as a request id: 1 to 128 visible ASCII characters, no spaces.
fn accepted_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    (!text.is_empty()
        && text.len() <= MAX_REQUEST_ID
        && text.bytes().all(|byte| byte.is_ascii_graphic()))
    .then(|| text.to_owned())
}

/// Gives the request its id and echoes it in the answer.
pub(super) async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(accepted_id)
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let value = HeaderValue::from_str(&id).ok();
    if let Some(value) = &value {
        request.headers_mut().insert(REQUEST_ID, value.clone());
    }
    request.extensions_mut().insert(RequestId(id));
    let mut response = next.run(request).await;
    if let Some(value) = value {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The tracing span of one request: method, path and its id.
pub(super) fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map_or("", |id| id.0.as_str());
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

/// Counts the request by its route's template (`/v1/shops/{shop_id}/settings`, never
/// the path itself), method and status.
pub(super) async fn http_metrics(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state.service.metrics().http_request(
        &route,
        method_label(&method),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Standard methods by name, anything else as `other` (a bounded label).
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" => method,
        _ => "other",
    }
}

/// The OpenMetrics content type Prometheus asks for.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

fn metrics_response(text: String) -> Response {
    ([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response()
}

/// Prometheus metrics in the OpenMetrics text format (operators; also without a token
/// on `serve --metrics-listen`).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    operation_id = "metrics",
    responses((status = 200, description = "The metrics.",
        content_type = OPENMETRICS, body = String))
)]
pub(super) async fn metrics(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    operator_only(&principal)?;
    Ok(metrics_response(state.service.render_metrics()))
}

/// The router of the separate metrics listener: `GET /metrics`, unauthenticated, for
/// a scraper inside the network.
pub fn metrics_router(service: crate::service::Service) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let service = service.clone();
            async move { metrics_response(service.render_metrics()) }
        }),
    )
}

/// Counts an upload's outcome: `accepted`, or the error code refusing it.
pub(super) fn count_upload<T>(metrics: &Metrics, outcome: &Result<T, ApiError>) {
    match outcome {
        Ok(_) => metrics.upload("accepted"),
        Err(error) => metrics.upload(error.code()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sensible_caller_id_is_kept_and_anything_else_replaced() {
        let id = |text: &str| accepted_id(&HeaderValue::from_str(text).unwrap());
        assert_eq!(id("req-42.abc:1").as_deref(), Some("req-42.abc:1"));
        assert_eq!(id(""), None);
        assert_eq!(id("two words"), None);
        assert_eq!(id(&"x".repeat(129)), None);
        assert_eq!(id(&"x".repeat(128)).map(|id| id.len()), Some(128));
    }
}
