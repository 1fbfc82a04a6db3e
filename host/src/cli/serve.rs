//! `arbiter serve`: the decision service over HTTP, with the ledger under a data dir.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use arbiter::access::{Access, operator_token_file};
use arbiter::api::{AppState, router};
use arbiter::service::Service;

use super::limits::LimitsArgs;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// Where the ledger (SQLite) and the operator token live.
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
    /// The operator's bearer token; without it one is generated on first start, kept
    /// in the data dir (owner-readable only) and printed once.
    #[arg(long, env = "ARBITER_OPERATOR_TOKEN", hide_env_values = true)]
    operator_token: Option<String>,
    #[command(flatten)]
    limits: LimitsArgs,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
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
    let service = Service::open_with(&args.data, limits, args.limits.upload_limits())
        .await
        .context("opening the service")?;
    let access = Access::new(&operator_token, service.ledger().clone());
    let app = router(AppState {
        service: service.clone(),
        access,
    });

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, data = %args.data.display(), "arbiter is serving");
    eprintln!("listening on http://{address}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    service.ledger().close().await;
    tracing::info!("stopped");
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
