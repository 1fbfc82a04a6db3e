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

/// The binary, its compiled cache in a folder of the tests' own (never the user's; the
/// cache is safe to share between runs, which then skip compiling).
fn arbiter(args: &[&str]) -> Output {
    arbiter_with_cache(args, &std::env::temp_dir().join("arbiter-cli-tests-cache"))
}

fn arbiter_with_cache(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(args)
        .env("ARBITER_CACHE_DIR", cache)
        .output()
        .unwrap_or_else(|e| panic!("running arbiter: {e}"))
}

/// The files of the compiled cache under `cache`, by name.
fn cached_files(cache: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for engine in std::fs::read_dir(cache.join("compiled"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if engine.path().is_dir() {
            files.extend(
                std::fs::read_dir(engine.path())
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|entry| entry.path()),
            );
        }
    }
    files.sort();
    files
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
fn a_module_is_compiled_once_and_then_read_from_the_compiled_cache() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache = dir.path().join("cache");
    let claim = write(dir.path(), "claim.json", &scenario_request("p02"));
    let args = [
        "decide",
        claim.to_str().unwrap_or_default(),
        "--module",
        arbiter_artifacts::FLORIST_EXAMPLE_PATH,
        "--json",
    ];
    let first = arbiter_with_cache(&args, &cache);
    assert!(first.status.success(), "{}", text(&first.stderr));

    // The florist and the fraud screen: an artifact and its MAC each.
    let florist =
        std::fs::read(arbiter_artifacts::FLORIST_EXAMPLE_PATH).unwrap_or_else(|e| panic!("{e}"));
    let digest = arbiter::digest::sha256_hex(&florist);
    let files = cached_files(&cache);
    let named = |suffix: &str| {
        files
            .iter()
            .filter(|file| file.to_string_lossy().ends_with(suffix))
            .count()
    };
    assert_eq!((named(".cwasm"), named(".mac")), (2, 2), "{files:?}");
    let artifact = files
        .iter()
        .find(|file| file.to_string_lossy().ends_with(&format!("{digest}.cwasm")))
        .unwrap_or_else(|| panic!("no artifact for the florist in {files:?}"));
    let written = std::fs::metadata(artifact)
        .and_then(|meta| meta.modified())
        .unwrap_or_else(|e| panic!("{e}"));

    // The second run reads the artifacts (none is written again) and decides the same.
    let second = arbiter_with_cache(&args, &cache);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(second.stdout, first.stdout);
    let reread = std::fs::metadata(artifact)
        .and_then(|meta| meta.modified())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reread, written, "the cached artifact was compiled again");

    // An artifact that is not the one this cache wrote is never loaded: it is compiled
    // afresh (and the decision is the same).
    std::fs::write(artifact, b"planted native code").unwrap_or_else(|e| panic!("{e}"));
    let third = arbiter_with_cache(&args, &cache);
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert_eq!(third.stdout, first.stdout);
    assert_ne!(
        std::fs::read(artifact).unwrap_or_default(),
        b"planted native code".to_vec()
    );

    // --no-cache compiles and keeps nothing; the limits are serve's flags.
    let elsewhere = dir.path().join("unused");
    let mut uncached = args.to_vec();
    uncached.extend(["--no-cache", "--deadline-ms", "50", "--memory-mib", "32"]);
    let fourth = arbiter_with_cache(&uncached, &elsewhere);
    assert!(fourth.status.success(), "{}", text(&fourth.stderr));
    assert_eq!(fourth.stdout, first.stdout);
    assert!(!elsewhere.exists());

    // A module over the upload cap is refused the way a server would refuse it.
    let mut capped = args.to_vec();
    capped.extend(["--max-module-mib", "1"]);
    let big = dir.path().join("big.wasm");
    std::fs::write(&big, vec![0_u8; 2 << 20]).unwrap_or_else(|e| panic!("{e}"));
    capped[3] = big.to_str().unwrap_or_default();
    let refused = arbiter_with_cache(&capped, &cache);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--max-module-mib"),
        "{}",
        text(&refused.stderr)
    );
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
