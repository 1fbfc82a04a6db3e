//! The HTTP API in-process: a real service on a temporary data directory behind the real
//! router, driven with `tower::ServiceExt::oneshot` (no sockets), and a valid sample claim.
//!
//! The ledger is SQLite in the data directory; with `ARBITER_TEST_LEDGER=postgres` it is
//! a scratch schema of its own on the PostgreSQL test server instead (see
//! [`arbiter::ledger::scratch`]), so the same tests run on both stores.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use arbiter::access::Access;
use arbiter::api::{AppState, router};
use arbiter::ledger::Storage;
use arbiter::ledger::scratch::ScratchSchema;
use arbiter::registry::UploadLimits;
use arbiter::server::{Drained, FrontDoor};
use arbiter::service::Service;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt as _;

/// The operator's bearer secret in every test app.
pub const OPERATOR_TOKEN: &str = "test-operator-token";

/// A running app: its data directory (removed on drop), the service and the router.
#[derive(Debug)]
pub struct TestApp {
    service: Service,
    router: Router,
    upload_limits: UploadLimits,
    /// The ledger's PostgreSQL schema, when the tests run on PostgreSQL.
    schema: Option<ScratchSchema>,
    // Last, so the directory outlives the service's files while dropping.
    data: TempDir,
}

/// The variable that puts the test apps' ledgers on PostgreSQL (`postgres`).
pub const LEDGER_VARIABLE: &str = "ARBITER_TEST_LEDGER";

/// An answer: status, headers and the body's bytes exactly as sent.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpReply {
    /// The body as JSON.
    pub fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "{} body is not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header's value as text, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Holds the reply to the API's error shape: `status`, `error.code` and
    /// `error.field` (`None` for a JSON null), with a message that says something.
    pub fn assert_error(&self, status: StatusCode, code: &str, field: Option<&str>) {
        let body = String::from_utf8_lossy(&self.body);
        assert_eq!(self.status, status, "body: {body}");
        let json: Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("error body is not JSON ({error}): {body}"));
        let error = &json["error"];
        assert_eq!(error["code"], json!(code), "body: {body}");
        assert_eq!(error["field"], json!(field), "body: {body}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "no message: {body}"
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "body: {body}"
        );
    }
}

impl TestApp {
    /// Opens a fresh service (new ledger, the platform's modules) behind the v1 router.
    pub async fn new() -> anyhow::Result<Self> {
        Self::with_upload_limits(UploadLimits::default()).await
    }

    /// Like [`Self::new`], with these limits on module uploads.
    pub async fn with_upload_limits(upload_limits: UploadLimits) -> anyhow::Result<Self> {
        let data = tempfile::tempdir().context("creating the data directory")?;
        Self::open(data, upload_limits).await
    }

    /// Opens the service on `data`, a directory the caller made (on a small file system,
    /// say), with the default upload limits; the directory is removed on drop. The
    /// ledger is SQLite in that directory whatever `ARBITER_TEST_LEDGER` says: the
    /// directory's file system is the point.
    pub async fn in_dir(data: TempDir) -> anyhow::Result<Self> {
        Self::open_on(data, None, UploadLimits::default()).await
    }

    /// The service on `data` (new or left by an earlier app) behind the v1 router.
    async fn open(data: TempDir, upload_limits: UploadLimits) -> anyhow::Result<Self> {
        let schema = match std::env::var(LEDGER_VARIABLE).as_deref() {
            Ok("postgres") => Some(
                ScratchSchema::create()
                    .await?
                    .context("no PostgreSQL server for the test apps")?,
            ),
            _ => None,
        };
        Self::open_on(data, schema, upload_limits).await
    }

    async fn open_on(
        data: TempDir,
        schema: Option<ScratchSchema>,
        upload_limits: UploadLimits,
    ) -> anyhow::Result<Self> {
        let storage = match &schema {
            Some(schema) => schema.storage(),
            None => Storage::in_data_dir(data.path()),
        };
        let service = Service::open_on(
            &storage,
            data.path(),
            crate::test_limits(),
            upload_limits.clone(),
        )
        .await
        .context("opening the service")?;
        let access = Access::new(OPERATOR_TOKEN, service.ledger().clone());
        let router = router(AppState {
            service: service.clone(),
            access,
        });
        Ok(Self {
            service,
            router,
            upload_limits,
            schema,
            data,
        })
    }

    /// Stops this app (its ledger closed, its modules dropped) and opens a new one on the
    /// same data directory and ledger, as a restarted process would.
    pub async fn restart(self) -> anyhow::Result<Self> {
        self.restart_after(|_| async { Ok(()) }).await
    }

    /// Like [`Self::restart`], running `between` on the data directory while nothing
    /// has it open (to change the ledger's file as an older version left it, say).
    pub async fn restart_after<F, Fut>(self, between: F) -> anyhow::Result<Self>
    where
        F: FnOnce(PathBuf) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let Self {
            service,
            router,
            upload_limits,
            schema,
            data,
        } = self;
        drop(router);
        service.ledger().close().await;
        drop(service);
        between(data.path().to_path_buf()).await?;
        Self::open_on(data, schema, upload_limits).await
    }

    /// This app asking every module upload to be signed by one of `keys`, as `serve
    /// --trusted-key` does.
    #[must_use]
    pub fn trusting(mut self, keys: arbiter::signing::TrustedKeys) -> Self {
        self.service = self.service.clone().with_trusted_keys(keys);
        self.router = router(AppState {
            service: self.service.clone(),
            access: Access::new(OPERATOR_TOKEN, self.service.ledger().clone()),
        });
        self
    }

    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The data directory: the ledger and the compiled cache.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// A clone of the router, for requests sent from other tasks.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// How many decisions the ledger holds.
    pub async fn decision_count(&self) -> anyhow::Result<u64> {
        Ok(self.service.ledger().decision_count().await?)
    }

    /// Sends one request; `token` is the bearer secret, `headers` any others.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Body,
    ) -> anyhow::Result<HttpReply> {
        send(self.router(), method, path, token, headers, body).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> anyhow::Result<HttpReply> {
        self.send(Method::GET, path, token, &[], Body::empty())
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> anyhow::Result<HttpReply> {
        self.send(Method::DELETE, path, token, &[], Body::empty())
            .await
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<HttpReply> {
        self.send(Method::POST, path, token, &[], json_body(body))
            .await
    }

    pub async fn put_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<HttpReply> {
        self.send(Method::PUT, path, token, &[], json_body(body))
            .await
    }

    /// `POST` of raw bytes (a module upload), as `application/wasm`.
    pub async fn post_bytes(
        &self,
        path: &str,
        token: Option<&str>,
        bytes: &[u8],
    ) -> anyhow::Result<HttpReply> {
        self.send(
            Method::POST,
            path,
            token,
            &[("content-type", "application/wasm")],
            Body::from(bytes.to_vec()),
        )
        .await
    }

    /// `POST /v1/modules` with `bytes` under `token`.
    pub async fn upload(&self, token: &str, bytes: &[u8]) -> anyhow::Result<HttpReply> {
        self.post_bytes("/v1/modules", Some(token), bytes).await
    }

    /// Uploads `bytes` as the operator (for every shop); the module's digest.
    pub async fn upload_module(&self, bytes: &[u8]) -> anyhow::Result<String> {
        let reply = self.upload(OPERATOR_TOKEN, bytes).await?;
        anyhow::ensure!(
            reply.status == StatusCode::CREATED || reply.status == StatusCode::OK,
            "POST /v1/modules: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()?["digest"]
            .as_str()
            .map(str::to_owned)
            .context("the upload reply has no digest")
    }

    /// `PUT /v1/shops/{shop_id}/policy` with `body` as the operator; the new version.
    pub async fn put_policy(&self, shop_id: &str, body: &Value) -> anyhow::Result<u64> {
        let path = format!("/v1/shops/{shop_id}/policy");
        let reply = self.put_json(&path, Some(OPERATOR_TOKEN), body).await?;
        anyhow::ensure!(
            reply.status == StatusCode::OK,
            "PUT {path} {body}: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()?["version"]
            .as_u64()
            .context("the policy reply has no version")
    }

    /// `POST /v1/decisions` with `body` as JSON.
    pub async fn decide(&self, token: &str, body: &Value) -> anyhow::Result<HttpReply> {
        self.post_json("/v1/decisions", Some(token), body).await
    }

    /// `POST /v1/decisions` with `body` as JSON and an `Idempotency-Key` header.
    pub async fn decide_with_key(
        &self,
        token: &str,
        key: &str,
        body: &Value,
    ) -> anyhow::Result<HttpReply> {
        self.send(
            Method::POST,
            "/v1/decisions",
            Some(token),
            &[("idempotency-key", key)],
            json_body(body),
        )
        .await
    }

    /// `PUT /v1/shops/{shop_id}/settings` as the operator; the new version.
    pub async fn put_settings(&self, shop_id: &str, settings: &Value) -> anyhow::Result<u64> {
        let path = format!("/v1/shops/{shop_id}/settings");
        let reply = self.put_json(&path, Some(OPERATOR_TOKEN), settings).await?;
        anyhow::ensure!(
            reply.status == StatusCode::OK,
            "PUT {path}: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()?["version"]
            .as_u64()
            .context("the settings reply has no version")
    }

    /// Issues a token as the operator (`{"role": ...}`) and returns its secret.
    pub async fn issue_token(&self, request: &Value) -> anyhow::Result<String> {
        let reply = self
            .post_json("/v1/tokens", Some(OPERATOR_TOKEN), request)
            .await?;
        anyhow::ensure!(
            reply.status == StatusCode::CREATED,
            "POST /v1/tokens {request}: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()?["token"]
            .as_str()
            .map(str::to_owned)
            .context("the token reply has no token")
    }

    /// A fresh marketplace token.
    pub async fn marketplace_token(&self) -> anyhow::Result<String> {
        self.issue_token(&json!({"role": "marketplace", "label": "tests"}))
            .await
    }

    /// A fresh seller token bound to `shop_id`.
    pub async fn seller_token(&self, shop_id: &str) -> anyhow::Result<String> {
        self.issue_token(&json!({"role": "seller", "shop_id": shop_id}))
            .await
    }

    /// The standard policy's digest as `/readyz` reports it.
    pub async fn standard_module(&self) -> anyhow::Result<String> {
        let reply = self.get("/readyz", None).await?;
        reply.json()?["modules"]["standard_policy"]
            .as_str()
            .map(str::to_owned)
            .context("/readyz names no standard_policy")
    }
}

/// Sends one request to `router` (a clone may be moved into a task).
pub async fn send(
    router: Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Body,
) -> anyhow::Result<HttpReply> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(body).context("building the request")?;
    let response = router.oneshot(request).await?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .context("reading the response body")?
        .to_bytes();
    Ok(HttpReply {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// `value` as a JSON request body.
pub fn json_body(value: &Value) -> Body {
    Body::from(value.to_string())
}

/// A valid claim in the contract's shape: a damaged 350.00 RUB vase with confirmed
/// evidence, the customer's first claim (a promo code under the default settings).
/// The photo hash is derived from the claim id, so claims do not share photos.
pub fn sample_claim(claim_id: &str, shop_id: &str, customer_id: &str) -> Value {
    json!({
        "claim_id": claim_id, "revision": 1, "shop_id": shop_id,
        "now": "2026-11-20T10:00:00Z", "opened_at": "2026-11-20T09:55:00Z",
        "kind": "damaged", "subkind": null, "desired_outcome": "promo_code",
        "order": {"order_id": format!("o-{claim_id}"), "currency": "RUB", "total": 459000,
                  "placed_at": "2026-11-16T12:00:00Z", "delivered_at": "2026-11-19T18:00:00Z",
                  "fulfilment": "3p", "courier": "seller"},
        "items": [{"sku": "vase-1", "title": "Vase", "unit_price": 35000,
                   "quantity_ordered": 1, "quantity_affected": 1, "category": "home"}],
        "customer": {"customer_id": customer_id, "account_created_at": "2024-02-01T00:00:00Z"},
        "evidence": {"photos": [{"sha256": photo_hash(claim_id), "shows_labels": true}],
                     "damage_confirmed": true, "documents_match_order": null, "used_signs": []},
        "confirmations": {"warehouse": null, "delivery_service": null, "category_manager": null,
                          "routing_team": null, "courier": null},
        "return_shipment": {"received_at": null, "shipping_cost": null},
        "customer_reply": {"keeps_item": null, "insists": null, "accepts_sorry_coupon": null,
                           "will_return": null},
        "last_seller_reply_at": null, "last_customer_reply_at": null
    })
}

/// A 64-hex-digit photo hash unique to `seed`.
pub fn photo_hash(seed: &str) -> String {
    use sha2::{Digest as _, Sha256};
    Sha256::digest(seed.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `value` with the field at `path` (dot-separated; numbers index arrays) set to `to`.
/// Intermediate objects must exist.
pub fn with(mut value: Value, path: &str, to: Value) -> Value {
    if let Some(slot) = pointer(&mut value, path) {
        *slot = to;
    } else if let Some((parent, key)) = path.rsplit_once('.') {
        if let Some(Value::Object(map)) = pointer(&mut value, parent) {
            map.insert(key.to_owned(), to);
        }
    } else if let Value::Object(map) = &mut value {
        map.insert(path.to_owned(), to);
    }
    value
}

/// `value` without the field at `path` (dot-separated; numbers index arrays).
pub fn without(mut value: Value, path: &str) -> Value {
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let target = if parent.is_empty() {
        Some(&mut value)
    } else {
        pointer(&mut value, parent)
    };
    if let Some(Value::Object(map)) = target {
        map.remove(key);
    }
    value
}

fn pointer<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let pointer: String = path.split('.').map(|part| format!("/{part}")).collect();
    value.pointer_mut(&pointer)
}

/// An app's router behind the real front door ([`arbiter::server`]) on a loopback port of
/// the system's choosing, in this process, until [`Served::drained`].
#[derive(Debug)]
pub struct Served {
    address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<Drained>,
}

impl TestApp {
    /// Serves this app's router as `arbiter serve` does, under `front_door`.
    pub async fn serve(&self, front_door: FrontDoor) -> anyhow::Result<Served> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a loopback port")?;
        let address = listener.local_addr()?;
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(arbiter::server::serve(
            listener,
            self.router(),
            front_door,
            async move {
                // A dropped sender shuts down too.
                let _ = signal.await;
            },
        ));
        Ok(Served {
            address,
            shutdown: Some(shutdown),
            server,
        })
    }
}

impl Served {
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Begins the shutdown that SIGTERM begins in `arbiter serve`.
    pub fn begin_shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // An error means the server has already stopped.
            let _ = shutdown.send(());
        }
    }

    /// Waits until the server has drained and stopped (shutting it down if not yet).
    pub async fn drained(mut self) -> anyhow::Result<Drained> {
        self.begin_shutdown();
        self.server.await.context("the server's task failed")
    }
}
