//! A small HTTP load generator, so `/hello` and `POST /v1/decisions` are measured by the
//! same client in the same way: keep-alive HTTP/1.1 connections, and a request body
//! template whose `{n}` becomes a unique number (every decision is a new claim; `wrk`
//! can do that with Lua, but neither it nor `oha` can also hold a fixed rate) and whose
//! `{shop}` spreads them over `--shops` shops.
//!
//! - Closed loop (no `--rate`): each connection sends its next request when the last is
//!   answered; measures the maximum rate at that concurrency.
//! - Open loop (`--rate R`): requests are due at R per second whatever the answers do;
//!   latency counts from when a request was due, so a stall is not hidden (no
//!   coordinated omission).
//!
//! Prints one JSON line: `{"requests", "errors", "rps", "p50_us", "p99_us"}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arbiter_bench::stats::percentile;
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
struct Args {
    /// `http://host:port/path`.
    #[arg(long)]
    url: String,
    /// A file whose text is the body of every request (POST), `{n}` made unique and
    /// `{shop}` the number `n` modulo `--shops`.
    #[arg(long)]
    body: Option<std::path::PathBuf>,
    /// The first `{n}`: runs against the same server start apart, so none of their
    /// claims repeats another run's (a repeat is an idempotent replay, not a decision).
    #[arg(long, default_value_t = 0)]
    first: u64,
    /// How many shops `{shop}` ranges over.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    shops: u64,
    /// `Name: value`, repeatable.
    #[arg(long = "header")]
    headers: Vec<String>,
    /// Connections kept open.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// How long to send.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Requests per second (open loop); without it, as fast as answered.
    #[arg(long)]
    rate: Option<u64>,
}

struct Target {
    shops: u64,
    host: String,
    path: String,
    body: Option<String>,
    headers: Vec<(String, String)>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rest = args
        .url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("--url must start with http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let headers = args
        .headers
        .iter()
        .map(|header| {
            header
                .split_once(':')
                .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
                .ok_or_else(|| anyhow::anyhow!("--header `{header}` is not `Name: value`"))
        })
        .collect::<anyhow::Result<_>>()?;
    let target = Arc::new(Target {
        shops: args.shops,
        host: host.to_owned(),
        path: format!("/{path}"),
        body: args
            .body
            .as_ref()
            .map(std::fs::read_to_string)
            .transpose()?,
        headers,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(run(target, &args))?;
    println!("{report}");
    Ok(())
}

async fn run(target: Arc<Target>, args: &Args) -> anyhow::Result<serde_json::Value> {
    let counter = Arc::new(AtomicU64::new(args.first));
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let duration = Duration::from_secs(args.seconds);
    let started = Instant::now();
    let until = started + duration;
    // Open loop: one shared schedule of due times; closed loop: none.
    let schedule = args.rate.map(|rate| Schedule::start(rate, until));

    let mut workers = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let target = target.clone();
        let counter = counter.clone();
        let errors = errors.clone();
        let latencies = latencies.clone();
        let schedule = schedule.clone();
        workers.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(&target.host).await?;
            stream.set_nodelay(true)?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            let mut mine = Vec::new();
            loop {
                let due = match &schedule {
                    Some(schedule) => match schedule.recv().await {
                        Some(due) => due,
                        None => break,
                    },
                    None if Instant::now() < until => Instant::now(),
                    None => break,
                };
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let request = request(&target, n)?;
                sender.ready().await?;
                match sender.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        response.into_body().collect().await?;
                        if ok {
                            mine.push(due.elapsed());
                        } else {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies.lock().await.extend(mine);
            anyhow::Ok(())
        }));
    }
    for worker in workers {
        worker.await??;
    }
    let wall = started.elapsed();
    let mut latencies = std::mem::take(&mut *latencies.lock().await);
    latencies.sort_unstable();
    let micros = |p: f64| u64::try_from(percentile(&latencies, p).as_micros()).unwrap_or(u64::MAX);
    Ok(serde_json::json!({
        "requests": latencies.len(),
        "errors": errors.load(Ordering::Relaxed),
        "rps": latencies.len() as f64 / wall.as_secs_f64(),
        "p50_us": micros(50.0),
        "p99_us": micros(99.0),
    }))
}

fn request(target: &Target, n: u64) -> anyhow::Result<Request<Full<Bytes>>> {
    let mut builder = Request::builder()
        .uri(&target.path)
        .header("host", &target.host);
    for (name, value) in &target.headers {
        builder = builder.header(name, value);
    }
    Ok(match &target.body {
        Some(body) => builder
            .method("POST")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                body.replace("{n}", &n.to_string())
                    .replace("{shop}", &(n % target.shops).to_string()),
            )))?,
        None => builder.method("GET").body(Full::new(Bytes::new()))?,
    })
}

/// The due times of an open loop, shared by the connections: whichever is free takes
/// the next.
#[derive(Clone)]
struct Schedule(Arc<Mutex<tokio::sync::mpsc::Receiver<Instant>>>);

impl Schedule {
    /// Due times at `rate` per second until `until`.
    fn start(rate: u64, until: Instant) -> Self {
        let (sender, receiver) = tokio::sync::mpsc::channel(1);
        let interval = Duration::from_secs(1) / u32::try_from(rate.max(1)).unwrap_or(u32::MAX);
        tokio::spawn(async move {
            let start = Instant::now();
            let mut n: u32 = 0;
            loop {
                let due = start + interval * n;
                if due >= until {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                if sender.send(due).await.is_err() {
                    break;
                }
                n = n.saturating_add(1);
            }
        });
        Self(Arc::new(Mutex::new(receiver)))
    }

    async fn recv(&self) -> Option<Instant> {
        self.0.lock().await.recv().await
    }
}
