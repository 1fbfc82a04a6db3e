//! Builds the guest policies in `policies/` from source and encodes them as components.
//!
//! Each package is built on its own (`cargo build -p`) for `wasm32-unknown-unknown`, so
//! that only its own world's component type is linked in, then wrapped into a component
//! with `wit-component`. Components built this way import nothing: no WASI at all.
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
];

const WASM_TARGET: &str = "wasm32-unknown-unknown";

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
        "sdk",
        "standard",
        "fraud",
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
        let mut command = Command::new(&cargo);
        command
            .current_dir(&policies)
            .args(["build", "--release", "--locked", "--target", WASM_TARGET])
            .args(["--package", package])
            .arg("--target-dir")
            .arg(&target_dir);
        for variable in OUTER_BUILD_VARIABLES {
            command.env_remove(variable);
        }
        let output = command.output()?;
        if !output.status.success() {
            return Err(format!(
                "building the guest `{package}` failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }

        let core = target_dir
            .join(WASM_TARGET)
            .join("release")
            .join(format!("{stem}.wasm"));
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
    Ok(())
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
