//! The front door of `arbiter serve`: accepts TCP connections and serves the router over
//! HTTP/1.1 with bounded patience, so no client can hold the process or its shutdown.
//!
//! Each connection gets a watchdog that closes it when its client dawdles: the head of a
//! request must be complete [`FrontDoor::header_timeout`] after its first byte (a fresh
//! connection's clock starts when it is accepted), a body [`FrontDoor::body_timeout`]
//! after its head (a late body is answered 408), and a kept-alive connection that sends
//! nothing is closed after [`FrontDoor::idle_timeout`]. Hyper's own `header_read_timeout`
//! is not used: it also runs while a kept-alive connection waits for its next request, so
//! it would close idle connections at the header timeout, not the idle one.
//!
//! At most [`FrontDoor::max_connections`] are open at once; one more is accepted, told
//! 503 if its socket takes it at once, and closed, so the backlog never fills. On
//! shutdown the listener closes, connections with no request in flight are closed, the
//! requests in flight are answered (their connections then close), and whatever is left
//! at [`FrontDoor::drain_timeout`] is cut.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

/// How patient the front door is, and how many clients it holds at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontDoor {
    /// From a request's first byte (a fresh connection: from its accept) to the end of
    /// its head.
    pub header_timeout: Duration,
    /// From the end of a request's head to the end of its body.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait, silent, for its next request (and a
    /// client may leave an answer unread).
    pub idle_timeout: Duration,
    /// Connections open at once; more are refused.
    pub max_connections: usize,
    /// How long a shutdown waits for the requests in flight before it cuts them.
    pub drain_timeout: Duration,
}

impl Default for FrontDoor {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// How a shutdown went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// Connections open when the shutdown began.
    pub open: usize,
    /// Of those, the ones still open at the drain deadline, and cut.
    pub cut: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains (see the module
/// docs) and returns within [`FrontDoor::drain_timeout`] of it.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    front_door: FrontDoor,
    shutdown: impl Future<Output = ()> + Send,
) -> Drained {
    let front_door = Arc::new(front_door);
    let permits = Arc::new(Semaphore::new(
        front_door.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut at_cap = false;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(ended) = connections.join_next() => {
                if let Err(error) = ended
                    && error.is_panic()
                {
                    tracing::error!(%error, "a connection's task panicked");
                }
            }
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(error) => {
                        // Out of file descriptors, mostly: wait for some to close
                        // rather than spin on a listener that stays readable.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match Arc::clone(&permits).try_acquire_owned() {
                    Ok(permit) => {
                        if at_cap {
                            tracing::info!("below the connection cap again");
                            at_cap = false;
                        }
                        connections.spawn(serve_connection(
                            stream,
                            router.clone(),
                            Arc::clone(&front_door),
                            stopping.clone(),
                            permit,
                        ));
                    }
                    Err(_) => {
                        if !at_cap {
                            tracing::warn!(
                                max_connections = front_door.max_connections,
                                "connection cap reached: refusing new connections"
                            );
                            at_cap = true;
                        }
                        refuse(&stream);
                    }
                }
            }
        }
    }
    drop(listener);
    let open = connections.len();
    tracing::info!(open, "draining connections");
    // Sent to every connection; an error means none is left to hear it.
    let _ = stop.send(true);
    let all_ended = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(front_door.drain_timeout, all_ended).await;
    let cut = connections.len();
    if cut > 0 {
        tracing::warn!(cut, "connections cut at the drain deadline");
    }
    connections.shutdown().await;
    Drained { open, cut }
}

/// Raises this process's soft limit on open files to its hard limit, so the connection
/// cap, not the file table, is what refuses clients; the soft limit after (`None`: none).
#[cfg(unix)]
pub fn raise_open_files_limit() -> std::io::Result<Option<u64>> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return Ok(limit.current);
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    )?;
    Ok(getrlimit(Resource::Nofile).current)
}

/// The body of the answer to a connection over the cap, in the API's error shape.
const OVER_CAP: &str = r#"{"error":{"code":"unavailable","message":"too many open connections; retry later","field":null}}"#;

/// Tells a connection over the cap why, if that costs no waiting, and closes it.
fn refuse(stream: &TcpStream) {
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{OVER_CAP}",
        OVER_CAP.len()
    );
    // A fresh socket's send buffer is empty: the write fits at once or is skipped.
    let _ = stream.try_write(answer.as_bytes());
}

/// One connection, from accept until it ends, times out, or the drain closes it.
async fn serve_connection(
    stream: TcpStream,
    router: Router,
    front_door: Arc<FrontDoor>,
    mut stopping: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    // Small JSON answers: send each as soon as it is written.
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new(Instant::now()));
    let io = TokioIo::new(Watched {
        stream,
        activity: Arc::clone(&activity),
    });
    let service = ConnectionService {
        router,
        activity: Arc::clone(&activity),
        body_timeout: front_door.body_timeout,
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The watchdog below keeps the clock (see the module docs); hyper sets no timer.
    builder.header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(error) = ended {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = activity.expired(&front_door) => {
                tracing::debug!("connection closed: its client was too slow or silent");
                return;
            }
            _ = stopping.changed(), if !draining => {
                if !activity.request_in_flight() {
                    return;
                }
                // Answer the request in flight, then close.
                connection.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
}

/// What one connection's client has done, for its watchdog.
#[derive(Debug)]
struct Activity {
    progress: Mutex<Progress>,
    /// Woken when a deadline may have moved earlier.
    changed: Notify,
}

#[derive(Debug)]
struct Progress {
    /// Requests handed to the router and not yet answered.
    in_flight: usize,
    /// When the head being read began: its first byte, or the accept for the first.
    head_started: Option<Instant>,
    /// The last byte read or written, or the last answer.
    last_progress: Instant,
}

impl Activity {
    fn new(accepted: Instant) -> Self {
        Self {
            progress: Mutex::new(Progress {
                in_flight: 0,
                head_started: Some(accepted),
                last_progress: accepted,
            }),
            changed: Notify::new(),
        }
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        // The fields stay consistent whatever a panicking holder did.
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read_some(&self) {
        let now = Instant::now();
        let mut progress = self.progress();
        progress.last_progress = now;
        if progress.in_flight == 0 && progress.head_started.is_none() {
            progress.head_started = Some(now);
            drop(progress);
            self.changed.notify_one();
        }
    }

    fn wrote_some(&self) {
        self.progress().last_progress = Instant::now();
    }

    fn request_started(&self) {
        let mut progress = self.progress();
        progress.in_flight += 1;
        progress.head_started = None;
    }

    fn request_answered(&self) {
        let mut progress = self.progress();
        progress.in_flight = progress.in_flight.saturating_sub(1);
        progress.last_progress = Instant::now();
        drop(progress);
        self.changed.notify_one();
    }

    fn request_in_flight(&self) -> bool {
        self.progress().in_flight > 0
    }

    /// When this connection is to be closed unless its client does something; `None`
    /// while a request is in flight (its body has its own deadline).
    fn deadline(&self, front_door: &FrontDoor) -> Option<Instant> {
        let progress = self.progress();
        if progress.in_flight > 0 {
            None
        } else if let Some(started) = progress.head_started {
            Some(started + front_door.header_timeout)
        } else {
            Some(progress.last_progress + front_door.idle_timeout)
        }
    }

    /// Resolves once the connection has passed its deadline.
    async fn expired(&self, front_door: &FrontDoor) {
        loop {
            // Made before the deadline is read, so a change in between is not missed.
            let changed = self.changed.notified();
            match self.deadline(front_door) {
                None => changed.await,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {
                            if self
                                .deadline(front_door)
                                .is_some_and(|deadline| deadline <= Instant::now())
                            {
                                return;
                            }
                        }
                        () = changed => {}
                    }
                }
            }
        }
    }
}

/// A connection's socket, telling its [`Activity`] about every byte that moves.
#[derive(Debug)]
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.read_some();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            this.activity.wrote_some();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            this.activity.wrote_some();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The router as one connection's hyper service: counts its requests in flight and puts
/// each body under its deadline.
#[derive(Debug, Clone)]
struct ConnectionService {
    router: Router,
    activity: Arc<Activity>,
    body_timeout: Duration,
}

impl hyper::service::Service<Request<Incoming>> for ConnectionService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::start(Arc::clone(&self.activity));
        let late = Arc::new(AtomicBool::new(false));
        let deadline = Box::pin(tokio::time::sleep(self.body_timeout));
        let request = request.map(|body| {
            Body::new(BodyWithDeadline {
                body,
                deadline,
                late: Arc::clone(&late),
            })
        });
        let router = self.router.clone();
        Box::pin(async move {
            let response = router.oneshot(request).await;
            // Answered (or dropped) when this future ends: the guard goes with it.
            let _in_flight = in_flight;
            if late.load(Ordering::Acquire) {
                return Ok(request_timeout());
            }
            response
        })
    }
}

/// 408 in the API's error shape; the connection closes after it, the rest of the body
/// unread.
fn request_timeout() -> Response<Body> {
    let body = r#"{"error":{"code":"request_timeout","message":"the request body did not arrive in time","field":null}}"#;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// One request in flight on a connection, until dropped.
#[derive(Debug)]
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.request_started();
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_answered();
    }
}

/// Why a request body stopped.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error("reading the request body: {0}")]
    Read(#[from] hyper::Error),
    #[error("the request body did not arrive in time")]
    Late,
}

/// A request body that fails once its deadline passes, and says so in `late`.
#[derive(Debug)]
struct BodyWithDeadline {
    body: Incoming,
    deadline: Pin<Box<Sleep>>,
    late: Arc<AtomicBool>,
}

impl http_body::Body for BodyWithDeadline {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.late.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(BodyError::Late)));
        }
        Pin::new(&mut this.body)
            .poll_frame(cx)
            .map(|frame| frame.map(|frame| frame.map_err(BodyError::from)))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
