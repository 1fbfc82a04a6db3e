//! Builds the guest policies in `policies/` from source and encodes them as components.
//!
//! Each package is built on its own (`cargo build -p`) for `wasm32-unknown-unknown`, so
//! that only its own world's component type is linked in, then wrapped into a component
//! with `wit-component`. Components built this way import nothing: no WASI at all.
//! A few test fixtures must import WASI (files, sockets, stdout) to test how the host
//! treats that: they are built for `wasm32-wasip2`, whose linker emits a component
//! already, and are copied as they are.
//! The paths of the results reach the crate as `ARBITER_COMPONENT_*` variables.

use std::env;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (cargo package, file stem of its core module, variable naming its component)
const GUESTS: &[(&str, &str, &str)] = &[
    (
        "arbiter-standard",
        "arbiter_standard",
        "ARBITER_COMPONENT_STANDARD",
    ),
    ("arbiter-fraud", "arbiter_fraud", "ARBITER_COMPONENT_FRAUD"),
    (
        "arbiter-bench-core",
        "arbiter_bench_core",
        "ARBITER_COMPONENT_BENCH_CORE",
    ),
    (
        "arbiter-example-florist",
        "arbiter_example_florist",
        "ARBITER_COMPONENT_FLORIST",
    ),
    (
        "arbiter-fixture-spin-forever",
        "arbiter_fixture_spin_forever",
        "ARBITER_COMPONENT_SPIN_FOREVER",
    ),
    (
        "arbiter-fixture-hostile",
        "arbiter_fixture_hostile",
        "ARBITER_COMPONENT_HOSTILE",
    ),
    (
        "arbiter-fixture-describe-fails",
        "arbiter_fixture_describe_fails",
        "ARBITER_COMPONENT_DESCRIBE_FAILS",
    ),
    (
        "arbiter-fixture-imports-unknown",
        "arbiter_fixture_imports_unknown",
        "ARBITER_COMPONENT_IMPORTS_UNKNOWN",
    ),
];

/// Like [`GUESTS`], built for [`WASIP2_TARGET`]: fixtures that import WASI on purpose.
const WASIP2_GUESTS: &[(&str, &str, &str)] = &[
    (
        "arbiter-fixture-imports-filesystem",
        "arbiter_fixture_imports_filesystem",
        "ARBITER_COMPONENT_IMPORTS_FILESYSTEM",
    ),
    (
        "arbiter-fixture-imports-sockets",
        "arbiter_fixture_imports_sockets",
        "ARBITER_COMPONENT_IMPORTS_SOCKETS",
    ),
    (
        "arbiter-fixture-chatty",
        "arbiter_fixture_chatty",
        "ARBITER_COMPONENT_CHATTY",
    ),
];

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The target whose linker (`wasm-component-ld`) emits components that import WASI.
const WASIP2_TARGET: &str = "wasm32-wasip2";

/// Variables of the outer build that must not leak into the guest build: flags meant
/// for the host target, the host's target dir, and clippy's or a coverage wrapper.
const OUTER_BUILD_VARIABLES: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_LLVM_COV",
    "CARGO_LLVM_COV_TARGET_DIR",
    "LLVM_PROFILE_FILE",
];

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .and_then(Path::parent)
        .ok_or("host/artifacts must sit two levels below the repository root")?
        .to_path_buf();
    let policies = root.join("policies");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let target_dir = guest_target_dir(&root, &out_dir);

    for watched in [
        "contract-rules",
        "sdk",
        "standard",
        "fraud",
        "bench-core",
        "examples",
        "fixtures",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            policies.join(watched).display()
        );
    }
    println!("cargo:rerun-if-changed={}", root.join("wit").display());

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for (package, stem, variable) in GUESTS {
        let core = build_guest(&cargo, &policies, &target_dir, WASM_TARGET, package, stem)?;
        let module =
            std::fs::read(&core).map_err(|error| format!("reading {}: {error}", core.display()))?;
        let component = wit_component::ComponentEncoder::default()
            .module(&module)?
            .validate(true)
            .encode()?;
        let destination = out_dir.join(format!("{stem}.component.wasm"));
        std::fs::write(&destination, component)?;
        println!("cargo:rustc-env={variable}={}", destination.display());
    }
    for (package, stem, variable) in WASIP2_GUESTS {
        let component = build_guest(&cargo, &policies, &target_dir, WASIP2_TARGET, package, stem)?;
        let destination = out_dir.join(format!("{stem}.component.wasm"));
        std::fs::copy(&component, &destination).map_err(|error| {
            format!(
                "copying {} to {}: {error}",
                component.display(),
                destination.display()
            )
        })?;
        println!("cargo:rustc-env={variable}={}", destination.display());
    }
    Ok(())
}

/// Builds `package` of the `policies` workspace for `target` in release, and returns
/// the path of the Wasm file the build left (`<stem>.wasm`).
fn build_guest(
    cargo: &str,
    policies: &Path,
    target_dir: &Path,
    target: &str,
    package: &str,
    stem: &str,
) -> Result<PathBuf, Box<dyn Error>> {
    let mut command = Command::new(cargo);
    command
        .current_dir(policies)
        .args(["build", "--release", "--locked", "--target", target])
        .args(["--package", package])
        .arg("--target-dir")
        .arg(target_dir);
    for variable in OUTER_BUILD_VARIABLES {
        command.env_remove(variable);
    }
    let output = command.output()?;
    if !output.status.success() {
        return Err(format!(
            "building the guest `{package}` for {target} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(target_dir
        .join(target)
        .join("release")
        .join(format!("{stem}.wasm")))
}

/// A target dir for the guests beside the host's, kept between builds so that a change
/// rebuilds only what changed. `OUT_DIR` is `<target>/<profile>/build/<crate>/out`.
fn guest_target_dir(root: &Path, out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(4)
        .map_or_else(|| root.join("target"), Path::to_path_buf)
        .join("wasm-policies")
}
