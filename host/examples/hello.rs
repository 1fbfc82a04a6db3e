//! The HTTP floor for benchmarks: a minimal axum server answering `GET /hello`, built
//! with the same axum, tokio and profile as `arbiter serve`.
//!
//! `cargo run --release -p arbiter --example hello -- 127.0.0.1:8081`

use axum::Router;
use axum::routing::get;

fn main() -> anyhow::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Router::new().route("/hello", get(|| async { "hello" }));
        let listener = tokio::net::TcpListener::bind(&address).await?;
        eprintln!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        anyhow::Ok(())
    })
}
