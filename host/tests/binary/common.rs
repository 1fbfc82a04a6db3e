//! What the binary's integration tests share: starting `arbiter serve` as a child, alone
//! or as one replica of several on a PostgreSQL ledger, and plain HTTP/1.1 requests to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The variable `arbiter serve` reads its PostgreSQL URL from.
const DATABASE_VARIABLE: &str = "ARBITER_DATABASE_URL";

/// Starts `arbiter serve` on a free port over `data`, with `token` as the operator's,
/// and returns the child with the address it listens on (read from its stderr). Its
/// ledger is SQLite under `data`, whatever the environment says.
pub fn start_server(data: &Path, token: &str) -> (Child, SocketAddr) {
    spawn_serve(data, token, &[])
}

/// Starts `arbiter serve` as one replica of several: its own `data` (the compiled
/// modules' cache), the ledger at the PostgreSQL `database_url` the replicas share.
pub fn start_replica(data: &Path, token: &str, database_url: &str) -> (Child, SocketAddr) {
    spawn_serve(data, token, &["--database", database_url])
}

/// Starts `arbiter serve` with `extra` arguments after the common ones, and waits until
/// it says where it listens.
pub fn spawn_serve(data: &Path, token: &str, extra: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        // A busy test machine can keep a call off its core for the default 10 ms.
        .args(["--deadline-ms", "500"])
        .args(extra)
        .env("ARBITER_OPERATOR_TOKEN", token)
        // The ledger is what the arguments say, not what the caller's shell exported.
        .env_remove(DATABASE_VARIABLE)
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

/// An answer read off the wire.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// The header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The first header called `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP/1.1 request on a fresh connection, as `token`'s, with `body` as JSON; the
/// status and body, or None when the connection failed (the server died).
pub fn request(
    address: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Option<(u16, String)> {
    let body = body.map(Value::to_string).unwrap_or_default();
    send(
        address,
        token,
        method,
        path,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .map(|reply| (reply.status, reply.body))
}

/// One HTTP/1.1 request on a fresh connection, as `token`'s, with `headers` and the raw
/// `body`; the whole answer, or None when the connection failed (the server died).
pub fn send(
    address: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Reply> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(Reply {
        status,
        headers,
        body: body.to_owned(),
    })
}
