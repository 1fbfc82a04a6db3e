//! Runs the guest policies' own unit tests natively (`cargo test` in `policies/`, its own
//! workspace), so the root `cargo test` is the one command that runs every test.

use std::path::PathBuf;
use std::process::Command;

/// Variables of this build that must not leak into the nested one.
const OUTER_BUILD_VARIABLES: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
];

#[test]
fn the_policies_own_unit_tests_pass() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(root.join("policies"))
        .args(["test", "--workspace", "--locked"])
        .arg("--target-dir")
        .arg(root.join("target").join("wasm-policies"));
    for variable in OUTER_BUILD_VARIABLES {
        command.env_remove(variable);
    }
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("running cargo test in policies/: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo test in policies/ failed:\n{stdout}\n{stderr}"
    );
    let passed: usize = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("test result: ok. "))
        .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
        .sum();
    println!("policies/: {passed} unit tests passed");
    assert!(passed > 200, "too few policy tests ran: {passed}\n{stdout}");
}
