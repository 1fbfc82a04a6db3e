//! `arbiter serve`: the decision service over HTTP, with the ledger under a data dir.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use arbiter::access::{Access, operator_token_file};
use arbiter::api::{AppState, metrics_router, router};
use arbiter::ledger::Storage;
use arbiter::server::{self, FrontDoor};
use arbiter::service::Service;
use arbiter::signing::TrustedKeys;

use super::limits::LimitsArgs;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// Where this host's own files live: the compiled modules' cache, the operator token
    /// and, without `--database`, the ledger (SQLite).
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
    /// A PostgreSQL URL (`postgres://user@host:5432/db`) for a ledger that several
    /// replicas share; without it the ledger is SQLite under `--data`.
    #[arg(
        long,
        env = "ARBITER_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database: Option<String>,
    /// The operator's bearer token; without it one is generated on first start, kept
    /// in the data dir (owner-readable only) and printed once.
    #[arg(long, env = "ARBITER_OPERATOR_TOKEN", hide_env_values = true)]
    operator_token: Option<String>,
    /// Also serve `GET /metrics` without a token on this address, for a Prometheus
    /// scraper inside the network (on the API listener it needs the operator token).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// How log lines are written to stderr: `pretty` for people, `json` (one object per
    /// line, with the request's span and id) for machines.
    #[arg(long, value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
    /// A public key (ed25519, PEM) that module uploads may be signed by; repeatable.
    /// Once any is given, every upload must carry a signature by one of them over the
    /// module's digest (header `Arbiter-Signature`; `arbiter module push --key`).
    #[arg(long = "trusted-key", value_name = "FILE")]
    trusted_keys: Vec<PathBuf>,
    /// Count nothing for `/metrics` (which then shows zeros): only to measure what the
    /// metrics cost a decision.
    #[arg(long, hide = true)]
    no_metrics: bool,
    #[command(flatten)]
    limits: LimitsArgs,
    #[command(flatten)]
    front_door: FrontDoorArgs,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

/// How long the server waits for slow clients, and how many it holds at once.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Serving limits")]
struct FrontDoorArgs {
    /// Seconds a client has to send a request's head, from its first byte (on a new
    /// connection: from the accept); a slower connection is closed.
    #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3_600))]
    header_timeout_s: u64,
    /// Seconds a client has to send a request's body, from the end of its head; a later
    /// body is answered 408 and its connection closed.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3_600))]
    body_timeout_s: u64,
    /// Seconds a kept-alive connection may stay silent between requests (or leave an
    /// answer unread) before it is closed.
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout_s: u64,
    /// Connections open at once; one more is answered 503 and closed. Kept below the
    /// open-files limit, which is raised to its hard limit at start.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for the requests in flight to be
    /// answered; idle and half-sent connections close at once, the rest are cut then.
    #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=3_600))]
    drain_timeout_s: u64,
}

/// File descriptors kept for everything but connections: the ledger, the listener,
/// compiled modules, logs.
const RESERVED_FILES: u64 = 64;

impl FrontDoorArgs {
    /// The front door these flags ask for, its cap kept below the open-files limit.
    fn front_door(&self) -> FrontDoor {
        let mut max_connections = self.max_connections;
        #[cfg(unix)]
        match server::raise_open_files_limit() {
            Ok(Some(open_files)) => {
                let room = open_files.saturating_sub(RESERVED_FILES).max(1);
                if max_connections > room {
                    tracing::warn!(
                        max_connections,
                        open_files,
                        "the connection cap is over what the open-files limit allows: lowered to {room}"
                    );
                    max_connections = room;
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not raise the open-files limit"),
        }
        FrontDoor {
            header_timeout: Duration::from_secs(self.header_timeout_s),
            body_timeout: Duration::from_secs(self.body_timeout_s),
            idle_timeout: Duration::from_secs(self.idle_timeout_s),
            max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            drain_timeout: Duration::from_secs(self.drain_timeout_s),
        }
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Pretty => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // First: it raises the open-files limit before anything opens a file.
    let front_door = args.front_door.front_door();
    tracing::info!(?front_door, "clients are served under these limits");
    let storage = Storage::choose(args.database.as_deref(), &args.data)?;
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating the data dir {}", args.data.display()))?;
    let operator_token = match args.operator_token {
        Some(token) if !token.trim().is_empty() => token.trim().to_owned(),
        _ => {
            let (token, created) = operator_token_file(&args.data)
                .context("reading or creating the operator token")?;
            if created {
                eprintln!(
                    "operator token (kept in {}, shown once): {token}",
                    args.data.join("operator-token").display()
                );
            }
            token
        }
    };

    let limits = args.limits.limits();
    tracing::info!(?limits, "policy calls run under these limits");
    tracing::info!(%storage, "the ledger is here");
    let trusted_keys = TrustedKeys::load(&args.trusted_keys).context("reading the trusted keys")?;
    if trusted_keys.required() {
        tracing::info!(
            keys = args.trusted_keys.len(),
            "module uploads must be signed by a trusted key"
        );
    }
    let service = Service::open_on(&storage, &args.data, limits, args.limits.upload_limits())
        .await
        .with_context(|| format!("opening the service on {storage}"))?
        .with_trusted_keys(trusted_keys);
    service.metrics().set_enabled(!args.no_metrics);
    let access = Access::new(&operator_token, service.ledger().clone());
    let app = router(AppState {
        service: service.clone(),
        access,
    });

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, data = %args.data.display(), %storage, "arbiter is serving");
    eprintln!("listening on http://{address}");
    if let Some(metrics_listen) = args.metrics_listen {
        let scrape = tokio::net::TcpListener::bind(metrics_listen)
            .await
            .with_context(|| format!("listening for metrics on {metrics_listen}"))?;
        tracing::info!(address = %scrape.local_addr()?, "metrics are served without a token");
        let metrics = metrics_router(service.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(scrape, metrics).await {
                tracing::error!(%error, "the metrics listener stopped");
            }
        });
    }
    let drained = server::serve(listener, app, front_door, shutdown_signal()).await;
    service.close().await;
    tracing::info!(open = drained.open, cut = drained.cut, "stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
