//! The remote commands against a real `arbiter serve` on port 0: `module push`, `policy
//! set`/`show`/`rollback`, a decision made by the pushed module, and the errors a seller
//! sees (settings rejected, wrong token, no server).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common;

const TOKEN: &str = "cli-remote-operator-token";
const SHOP: &str = "florist-shop";

/// `arbiter serve` on a free port; killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    fn start(data: &Path) -> Self {
        Self::start_with(data, &[])
    }

    /// With `extra` arguments to `arbiter serve`.
    fn start_with(data: &Path, extra: &[&str]) -> Self {
        let (child, address) = common::spawn_serve(data, TOKEN, extra);
        Self { child, address }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `arbiter ARGS` against `server` with `token`, free of the caller's environment.
fn arbiter(server: &str, token: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arbiter"));
    command
        .args(args)
        .env("ARBITER_SERVER", server)
        .env("ARBITER_TOKEN", token);
    for proxy in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        command.env_remove(proxy);
    }
    command
        .output()
        .unwrap_or_else(|e| panic!("running arbiter {args:?}: {e}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the command succeeded and returns its stdout.
fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Asserts the command failed with exit code 2 and returns its stderr.
fn failed(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
    let stderr = stderr(output);
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// One HTTP/1.1 request as the operator; the status and JSON body.
fn request(address: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connecting to {address}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap_or_else(|e| panic!("{e}"));
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .unwrap_or_else(|e| panic!("sending {method} {path}: {e}"));
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .unwrap_or_else(|e| panic!("reading {method} {path}: {e}"));
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .unwrap_or_default();
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, body)
}

/// A broken vase worth 350.00 RUB: under the standard policy's promo limit, over the
/// florist's 300.00 RUB setting.
fn claim(claim_id: &str) -> Value {
    json!({
        "claim_id": claim_id, "revision": 1, "shop_id": SHOP,
        "now": "2026-11-20T10:00:00Z", "opened_at": "2026-11-20T09:55:00Z",
        "kind": "damaged",
        "order": {"order_id": format!("o-{claim_id}"), "currency": "RUB", "total": 35000,
                  "placed_at": "2026-11-16T12:00:00Z", "delivered_at": "2026-11-19T18:00:00Z",
                  "fulfilment": "3p", "courier": "seller"},
        "items": [{"sku": "v", "title": "Vase", "unit_price": 35000, "quantity_ordered": 1,
                   "quantity_affected": 1, "category": "home"}],
        "customer": {"customer_id": format!("u-{claim_id}"),
                     "account_created_at": "2024-02-01T00:00:00Z"},
        "evidence": {"photos": [], "damage_confirmed": true}
    })
}

fn rules(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .map(|reasons| {
            reasons
                .iter()
                .filter_map(|reason| reason["rule"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_seller_pushes_activates_and_rolls_back_a_policy() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(&data.path().join("data"));
    let url = server.url();
    let florist = arbiter_artifacts::FLORIST_EXAMPLE_PATH;

    // The first push stores the module; the second finds the same digest.
    let first = succeeded(&arbiter(&url, TOKEN, &["module", "push", florist]));
    let digest = first
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(digest.starts_with("sha256:"), "{first}");
    assert!(
        first.lines().next().unwrap_or_default().ends_with("new"),
        "{first}"
    );
    assert!(first.contains("florist 0.1.0"), "{first}");
    assert!(first.contains("compensation-policy"), "{first}");
    let second = succeeded(&arbiter(&url, TOKEN, &["module", "push", florist]));
    assert!(second.starts_with(&format!("{digest}  known")), "{second}");
    let json: Value = serde_json::from_str(&succeeded(&arbiter(
        &url,
        TOKEN,
        &["module", "push", florist, "--json"],
    )))
    .unwrap_or_else(|e| panic!("--json: {e}"));
    assert_eq!(json["digest"], json!(digest));
    assert_eq!(json["name"], json!("florist"));

    // Activate it with settings from a file: version 1.
    let settings = data.path().join("florist.json");
    std::fs::write(&settings, r#"{"promo_max": 30000}"#).unwrap_or_else(|e| panic!("{e}"));
    let settings = settings.to_string_lossy().into_owned();
    let set = succeeded(&arbiter(
        &url,
        TOKEN,
        &[
            "policy",
            "set",
            SHOP,
            "--module",
            &digest,
            "--settings",
            &settings,
        ],
    ));
    assert!(set.contains("version 1 (active)"), "{set}");
    assert!(set.contains(&digest), "{set}");
    let show = succeeded(&arbiter(&url, TOKEN, &["policy", "show", SHOP]));
    assert!(show.contains("active     version 1"), "{show}");
    assert!(show.contains(r#"{"promo_max":30000}"#), "{show}");

    // The next decision is the florist's, and the ledger says so.
    let (status, decision) = request(
        server.address,
        "POST",
        "/v1/decisions",
        Some(&claim("c-florist")),
    );
    assert_eq!(status, 200, "{decision}");
    assert_eq!(decision["policy"]["module"], json!(digest), "{decision}");
    assert_eq!(
        decision["policy"]["settings_version"],
        json!(1),
        "{decision}"
    );
    assert_eq!(rules(&decision), vec!["FL3"], "{decision}");
    let id = decision["decision_id"].as_str().unwrap_or_default();
    let (status, stored) = request(server.address, "GET", &format!("/v1/decisions/{id}"), None);
    assert_eq!(status, 200, "{stored}");
    assert!(stored.to_string().contains(&digest), "{stored}");

    // Settings the module refuses: exit 2, the key named, no new version.
    let bad = data.path().join("bad.json");
    std::fs::write(&bad, r#"{"promo_max": 0}"#).unwrap_or_else(|e| panic!("{e}"));
    let bad = bad.to_string_lossy().into_owned();
    let error = failed(&arbiter(
        &url,
        TOKEN,
        &[
            "policy",
            "set",
            SHOP,
            "--module",
            &digest,
            "--settings",
            &bad,
        ],
    ));
    assert!(
        error.starts_with("error: settings_rejected: ") && error.contains("(field promo_max)"),
        "{error}"
    );
    // A file that is not a JSON object never reaches the server.
    std::fs::write(data.path().join("list.json"), "[1]").unwrap_or_else(|e| panic!("{e}"));
    let list = data.path().join("list.json").to_string_lossy().into_owned();
    let error = failed(&arbiter(
        &url,
        TOKEN,
        &[
            "policy",
            "set",
            SHOP,
            "--module",
            &digest,
            "--settings",
            &list,
        ],
    ));
    assert!(error.contains("must be a JSON object"), "{error}");

    // A wrong token is refused by the server.
    let error = failed(&arbiter(&url, "not-the-token", &["policy", "show", SHOP]));
    assert!(error.starts_with("error: unauthorized: "), "{error}");

    // Back to version 0: the platform's standard policy decides again.
    let rollback = succeeded(&arbiter(
        &url,
        TOKEN,
        &["policy", "rollback", SHOP, "--to", "0"],
    ));
    assert!(rollback.contains("active     version 0"), "{rollback}");
    let (status, decision) = request(
        server.address,
        "POST",
        "/v1/decisions",
        Some(&claim("c-standard")),
    );
    assert_eq!(status, 200, "{decision}");
    assert_ne!(decision["policy"]["module"], json!(digest), "{decision}");
    assert_eq!(
        decision["policy"]["settings_version"],
        json!(0),
        "{decision}"
    );
    assert!(
        rules(&decision).iter().all(|rule| !rule.starts_with("FL")),
        "{decision}"
    );

    // And forward again, by number.
    let rollback = succeeded(&arbiter(
        &url,
        TOKEN,
        &["policy", "rollback", SHOP, "--to", "1"],
    ));
    assert!(rollback.contains("active     version 1"), "{rollback}");
    let error = failed(&arbiter(
        &url,
        TOKEN,
        &["policy", "rollback", SHOP, "--to", "7"],
    ));
    assert!(error.starts_with("error: not_found: "), "{error}");
}

#[test]
fn an_unreachable_server_is_named() {
    // A port that was free a moment ago and has no listener now.
    let address = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("http://{address}");
    let error = failed(&arbiter(&url, TOKEN, &["policy", "show", SHOP]));
    assert!(
        error.starts_with(&format!("error: could not reach the server at {url}")),
        "{error}"
    );
    let error = failed(&arbiter(
        &url,
        TOKEN,
        &["module", "push", arbiter_artifacts::FLORIST_EXAMPLE_PATH],
    ));
    assert!(error.contains(&url), "{error}");
}

/// Decides two refunds on `server`: 1,200 and 1,800 RUB (the example claim, its
/// customer asking for money).
fn decide_refunds(server: &Server, claim_ids: [&str; 2]) {
    for (claim_id, price) in claim_ids.into_iter().zip([120_000, 180_000]) {
        let mut body = claim(claim_id);
        body["items"][0]["unit_price"] = json!(price);
        body["order"]["total"] = json!(price);
        body["desired_outcome"] = json!("refund");
        let (status, decision) = request(server.address, "POST", "/v1/decisions", Some(&body));
        assert_eq!(status, 200, "{decision}");
    }
}

#[test]
fn a_seller_backtests_a_lower_refund_max_and_reads_what_would_change() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(data.path());
    let url = server.url();
    decide_refunds(&server, ["c-bt-1", "c-bt-2"]);
    let (status, issued) = request(
        server.address,
        "POST",
        "/v1/tokens",
        Some(&json!({"role": "seller", "shop_id": SHOP, "label": "cli"})),
    );
    assert_eq!(status, 201, "{issued}");
    let seller = issued["token"].as_str().unwrap_or_default().to_owned();

    let settings = data.path().join("lower.json");
    std::fs::write(&settings, r#"{"refund_max": 150000}"#).unwrap_or_else(|e| panic!("{e}"));
    let settings = settings.to_string_lossy().into_owned();
    let printed = succeeded(&arbiter(
        &url,
        &seller,
        &["backtest", SHOP, "--settings", &settings],
    ));
    assert!(
        printed.contains("2 decisions of 2 claims, 2 changed"),
        "{printed}"
    );
    assert!(printed.contains("escalate"), "{printed}");
    assert!(
        printed.contains("  refund RUB") && printed.contains("-1800.00"),
        "{printed}"
    );
    assert!(printed.contains("refund_max 1500.00 RUB"), "{printed}");

    let json_out = succeeded(&arbiter(&url, &seller, &["backtest", SHOP, "--json"]));
    let shown: Value =
        serde_json::from_str(json_out.trim()).unwrap_or_else(|e| panic!("{e}: {json_out}"));
    assert_eq!(shown["status"], json!("done"));
    assert_eq!(shown["report"]["decisions"], json!(2));
    assert_eq!(
        shown["report"]["changed"],
        json!(0),
        "a replay audit changes nothing"
    );

    // Another shop's seller: the server's 404, in words.
    let out = arbiter(&url, &seller, &["backtest", "another-shop"]);
    let said = failed(&out);
    assert!(said.contains("not found"), "{said}");
}

#[test]
fn a_backtest_runs_without_a_server_on_a_copy_of_a_ledger() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    {
        let server = Server::start(data.path());
        decide_refunds(&server, ["c-local-1", "c-local-2"]);
    }
    let copy = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for file in ["arbiter.db", "arbiter.db-wal", "arbiter.db-shm"] {
        let from = data.path().join(file);
        if from.exists() {
            std::fs::copy(&from, copy.path().join(file)).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let settings = copy.path().join("lower.json");
    std::fs::write(&settings, r#"{"refund_max": 150000}"#).unwrap_or_else(|e| panic!("{e}"));
    let ledger = copy.path().to_string_lossy().into_owned();
    let settings = settings.to_string_lossy().into_owned();
    // No server answers at this address: the backtest does not ask one.
    let printed = succeeded(&arbiter(
        "http://127.0.0.1:9",
        "no-token",
        &[
            "backtest",
            SHOP,
            "--ledger",
            &ledger,
            "--settings",
            &settings,
        ],
    ));
    assert!(
        printed.contains("2 decisions of 2 claims, 2 changed (1 in outcome or actions)"),
        "{printed}"
    );
    assert!(printed.contains("-1800.00"), "{printed}");

    let missing = data
        .path()
        .join("nothing-here")
        .to_string_lossy()
        .into_owned();
    let said = failed(&arbiter(
        "http://127.0.0.1:9",
        "t",
        &["backtest", SHOP, "--ledger", &missing],
    ));
    assert!(said.contains("no ledger at"), "{said}");
}

#[test]
fn a_server_trusting_a_key_takes_what_module_push_signs_with_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let prefix = dir.path().join("seller");
    let prefix_text = prefix.display().to_string();
    let made = succeeded(&arbiter("", "", &["module", "keygen", &prefix_text]));
    assert!(
        made.contains("seller.key") && made.contains("seller.pub"),
        "{made}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("seller.key"))
            .map(|meta| meta.permissions().mode() & 0o777)
            .unwrap_or_default();
        assert_eq!(mode, 0o600);
    }
    let public = dir.path().join("seller.pub").display().to_string();
    let key = dir.path().join("seller.key").display().to_string();
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start_with(data.path(), &["--trusted-key", &public]);
    let url = server.url();
    let florist = arbiter_artifacts::FLORIST_EXAMPLE_PATH;

    let refused = failed(&arbiter(&url, TOKEN, &["module", "push", florist]));
    assert!(refused.contains("module_unsigned"), "{refused}");
    let signed = succeeded(&arbiter(
        &url,
        TOKEN,
        &["module", "sign", florist, "--key", &key],
    ));
    let lines: Vec<&str> = signed.lines().collect();
    assert!(lines[0].starts_with("sha256:"), "{signed}");
    assert!(
        lines[1].starts_with("ed25519:") && lines[1].len() == 8 + 128,
        "{signed}"
    );
    let pushed = succeeded(&arbiter(
        &url,
        TOKEN,
        &["module", "push", florist, "--key", &key],
    ));
    assert!(
        pushed.starts_with(lines[0]) && pushed.contains("new"),
        "{pushed}"
    );
}
