//! `arbiter decide` as a seller or operator runs it: real files, the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn shared_dir() -> PathBuf {
    match std::env::var_os("ARBITER_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// The first request of scenario `name`.
fn scenario_request(name: &str) -> Value {
    let path = shared_dir().join("scenarios").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let scenario: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    scenario["steps"][0]["request"].clone()
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    path
}

fn arbiter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running arbiter: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn decides_a_claim_as_contract_json() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let claim = write(dir.path(), "claim.json", &scenario_request("p01"));
    let output = arbiter(&["decide", claim.to_str().unwrap_or_default(), "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let decision: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not only the decision JSON: {e}\n{}",
            text(&output.stdout)
        )
    });
    assert_eq!(decision["outcome"], "compensate");
    assert_eq!(
        decision["actions"],
        json!([{"type": "promo_code", "amount": 35000, "currency": "RUB"}])
    );
    assert_eq!(decision["payer"], "seller");
    assert_eq!(decision["risk"], "none");
    assert_eq!(decision["reasons"][0]["rule"], "R1.2");
    assert!(
        decision["policy"]["module"]
            .as_str()
            .is_some_and(|digest| digest.starts_with("sha256:"))
    );
    assert_eq!(decision["fallback_applied"], false);
}

#[test]
fn prints_the_decision_in_words_by_default() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let claim = write(dir.path(), "claim.json", &scenario_request("p02"));
    let output = arbiter(&["decide", claim.to_str().unwrap_or_default()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("compensate"), "{stdout}");
    assert!(stdout.contains("refund 1500.00 RUB"), "{stdout}");
    assert!(stdout.contains("R1.2"), "{stdout}");
}

#[test]
fn settings_and_history_change_the_decision() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // 700.00 RUB is a refund by default, a promo code with promo_max at 1000.00 RUB.
    let mut request = scenario_request("p01");
    request["items"][0]["unit_price"] = json!(70000);
    let claim = write(dir.path(), "claim.json", &request);
    let settings = write(dir.path(), "settings.json", &json!({"promo_max": 100000}));
    let output = arbiter(&[
        "decide",
        claim.to_str().unwrap_or_default(),
        "--settings",
        settings.to_str().unwrap_or_default(),
        "--json",
    ]);
    let decision: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(
        decision["actions"][0]["type"],
        "promo_code",
        "{}",
        text(&output.stderr)
    );
    assert_eq!(decision["policy"]["settings_version"], 1);

    // An earlier damage claim a month before makes this a repeat case: office staff.
    let history = write(
        dir.path(),
        "history.json",
        &json!({"earlier_claims": [{
            "claim_id": "earlier", "kind": "damaged", "opened_at": "2026-10-20T10:00:00Z",
            "outcome": "compensate", "money_given": {"amount": 35000, "currency": "RUB"},
            "sorry_coupon_given": false, "same_shop": true
        }]}),
    );
    let output = arbiter(&[
        "decide",
        claim.to_str().unwrap_or_default(),
        "--history",
        history.to_str().unwrap_or_default(),
        "--json",
    ]);
    let decision: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(decision["outcome"], "escalate", "{}", text(&output.stderr));
}

#[test]
fn runs_a_seller_module() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let claim = write(dir.path(), "claim.json", &scenario_request("p02"));
    let output = arbiter(&[
        "decide",
        claim.to_str().unwrap_or_default(),
        "--module",
        arbiter_artifacts::FLORIST_EXAMPLE_PATH,
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let decision: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    // The florist escalates anything at or above its 1000.00 RUB promo_max.
    assert_eq!(decision["outcome"], "escalate");
    assert_eq!(decision["reasons"][0]["rule"], "FL3");
}

#[test]
fn bad_input_names_the_field_and_never_panics() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut typo = scenario_request("p01");
    typo["items"][0]["unit_prise"] = json!(1);
    let mut negative = scenario_request("p01");
    negative["order"]["total"] = json!(-5);
    let cases = [
        ("typo.json", typo, "items[0].unit_prise"),
        ("negative.json", negative, "order.total"),
        ("array.json", json!([1, 2]), "invalid type"),
    ];
    for (name, body, expected) in cases {
        let claim = write(dir.path(), name, &body);
        let output = arbiter(&["decide", claim.to_str().unwrap_or_default(), "--json"]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(output.stdout.is_empty(), "{name}");
    }

    let claim = write(dir.path(), "claim.json", &scenario_request("p01"));
    let settings = write(dir.path(), "settings.json", &json!({"refund_maxx": 5}));
    let output = arbiter(&[
        "decide",
        claim.to_str().unwrap_or_default(),
        "--settings",
        settings.to_str().unwrap_or_default(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("refund_maxx"),
        "{}",
        text(&output.stderr)
    );

    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"not wasm at all").unwrap_or_else(|e| panic!("{e}"));
    let output = arbiter(&[
        "decide",
        claim.to_str().unwrap_or_default(),
        "--module",
        garbage.to_str().unwrap_or_default(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("not WebAssembly"),
        "{}",
        text(&output.stderr)
    );

    let output = arbiter(&["decide", "/nonexistent/claim.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("/nonexistent/claim.json"));
}
