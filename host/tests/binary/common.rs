//! What the binary's integration tests share: starting `arbiter serve` as a child.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `arbiter serve` on a free port over `data`, with `token` as the operator's,
/// and returns the child with the address it listens on (read from its stderr).
pub fn start_server(data: &Path, token: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        // A busy test machine can keep a call off its core for the default 10 ms.
        .args(["--deadline-ms", "500"])
        .env("ARBITER_OPERATOR_TOKEN", token)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting arbiter serve: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("arbiter serve exited before listening"))
            .unwrap_or_default();
        if let Some(address) = line.strip_prefix("listening on http://") {
            break address.parse().unwrap_or_else(|e| panic!("{address}: {e}"));
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}
