//! Builds the guest policies in `policies/` from source, encodes them as components, and
//! writes `OUT_DIR/artifacts.rs`: one constant per guest, which `src/lib.rs` includes.
//!
//! The guests are found, not listed: every member of the `policies/` workspace whose lib
//! is a `cdylib`. `src/plan.rs` names each one's constant after its folder and picks its
//! target from its `[package.metadata.arbiter]`, so a new fixture is one new folder.
//! Guests built for `wasm32-unknown-unknown` import nothing, no WASI at all: their core
//! module is wrapped into a component with `wit-component`. Fixtures that must import
//! WASI (files, sockets, stdout) opt into `wasm32-wasip2`, whose linker emits a component
//! already, copied as it is. Guests asking the SDK for the same features share one
//! `cargo build`: cargo unifies the features of packages built together, and a module
//! given both of the SDK's worlds would link both component types.
//! A toolchain without the Wasm targets gets them from `rustup`, or the build stops with
//! the command to run.

#[path = "src/plan.rs"]
mod plan;

use std::collections::BTreeSet;
use std::env;
use std::error::Error;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, TargetKind};
use plan::{ADD_TARGETS_COMMAND, Guest, Target};

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

fn main() {
    if let Err(error) = run() {
        // Cargo shows a `cargo::error` line as the build's error, and fails the build.
        // A guest's compiler output follows on stderr, which cargo shows only when the
        // script itself fails.
        let message = error.to_string();
        let mut lines = message.lines();
        let first = lines.next().unwrap_or("building the guests failed");
        println!("cargo::error={first}");
        let details: Vec<&str> = lines.collect();
        if !details.is_empty() {
            eprintln!("{}", details.join("\n"));
            std::process::exit(1);
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .and_then(Path::parent)
        .ok_or("host/artifacts must sit two levels below the repository root")?
        .to_path_buf();
    let policies = root.join("policies");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let target_dir = guest_target_dir(&root, &out_dir);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));

    // A new folder under `examples/` or `fixtures/` is a new guest: watch both whole.
    for watched in ["examples", "fixtures", "Cargo.toml", "Cargo.lock"] {
        println!(
            "cargo::rerun-if-changed={}",
            policies.join(watched).display()
        );
    }
    println!("cargo::rerun-if-changed={}", root.join("wit").display());

    let metadata = workspace_metadata(&cargo, &policies)?;
    for package in metadata.workspace_packages() {
        if let Some(folder) = package.manifest_path.parent() {
            println!("cargo::rerun-if-changed={folder}");
        }
    }
    let guests = discover(&metadata)?;

    let needed: BTreeSet<Target> = guests.iter().map(|guest| guest.target).collect();
    ensure_targets(&policies, &needed.into_iter().collect::<Vec<_>>())?;

    let mut built = Vec::with_capacity(guests.len());
    for (target, members) in plan::build_groups(&guests) {
        build_guests(&cargo, &policies, &target_dir, target, &members)?;
        for guest in members {
            let output = target_dir
                .join(target.triple())
                .join("release")
                .join(format!("{}.wasm", guest.stem));
            let destination = out_dir.join(format!("{}.component.wasm", guest.stem));
            match target {
                Target::UnknownUnknown => encode_component(&output, &destination)?,
                Target::Wasip2 => copy(&output, &destination)?,
            }
            built.push((guest.clone(), destination));
        }
    }
    built.sort_by(|(a, _), (b, _)| a.folder.cmp(&b.folder));
    let code = plan::render(&built)?;
    let generated = out_dir.join("artifacts.rs");
    std::fs::write(&generated, code)
        .map_err(|error| format!("writing {}: {error}", generated.display()))?;
    Ok(())
}

/// `cargo metadata` of the `policies/` workspace, its members only.
fn workspace_metadata(cargo: &OsString, policies: &Path) -> Result<Metadata, Box<dyn Error>> {
    let mut command = MetadataCommand::new();
    command
        .cargo_path(cargo)
        .manifest_path(policies.join("Cargo.toml"))
        .no_deps();
    for variable in OUTER_BUILD_VARIABLES {
        command.env_remove(*variable);
    }
    Ok(command
        .exec()
        .map_err(|error| format!("reading the policies/ workspace: {error}"))?)
}

/// Every member of the workspace whose lib is a `cdylib`, planned.
fn discover(metadata: &Metadata) -> Result<Vec<Guest>, Box<dyn Error>> {
    let mut guests = Vec::new();
    for package in metadata.workspace_packages() {
        let Some(lib) = package
            .targets
            .iter()
            .find(|target| target.kind.contains(&TargetKind::CDyLib))
        else {
            continue;
        };
        let folder = package
            .manifest_path
            .parent()
            .and_then(|folder| folder.strip_prefix(&metadata.workspace_root).ok())
            .map(|folder| {
                folder
                    .components()
                    .map(|part| part.as_str())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .ok_or_else(|| format!("`{}` lies outside policies/", package.name))?;
        let features = plan::feature_key(
            package
                .dependencies
                .iter()
                .filter(|dependency| {
                    dependency.path.is_some() && dependency.kind == DependencyKind::Normal
                })
                .map(|dependency| {
                    (
                        dependency.name.as_str(),
                        dependency.uses_default_features,
                        dependency.features.iter().map(String::as_str).collect(),
                    )
                }),
        );
        guests.push(plan::plan_guest(
            &package.name,
            &lib.name,
            &folder,
            package.description.as_deref(),
            &package.metadata,
            features,
        )?);
    }
    Ok(guests)
}

/// Makes sure the toolchain has `needed`: adds what it lacks with `rustup` (for the
/// toolchain `rust-toolchain.toml` picks), or fails naming the command to run.
fn ensure_targets(policies: &Path, needed: &[Target]) -> Result<(), Box<dyn Error>> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let output = Command::new(&rustc)
        .current_dir(policies)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|error| format!("running `{} --print sysroot`: {error}", rustc.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`{} --print sysroot` failed: {}",
            rustc.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    let sysroot = PathBuf::from(String::from_utf8(output.stdout)?.trim());
    let missing = plan::missing_targets(&sysroot, needed);
    if missing.is_empty() {
        return Ok(());
    }
    let triples: Vec<&str> = missing.iter().map(|target| target.triple()).collect();
    let absent = triples.join(" or ");
    println!(
        "cargo::warning=the Rust toolchain has no {absent}: running `rustup target add {}`",
        triples.join(" ")
    );
    let added = Command::new("rustup")
        .current_dir(policies)
        .args(["target", "add"])
        .args(&triples)
        .output();
    // Another build may have added them meanwhile: look again before giving up.
    if plan::missing_targets(&sysroot, needed).is_empty() {
        return Ok(());
    }
    let why = match added {
        Err(error) => format!("rustup could not be run ({error})"),
        Ok(output) if !output.status.success() => format!(
            "`rustup target add` failed ({})",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .rfind(|line| !line.trim().is_empty())
                .unwrap_or("no message")
                .trim()
        ),
        Ok(_) => "`rustup target add` put it in another toolchain".to_owned(),
    };
    Err(format!(
        "the Rust toolchain at {} has no {absent}, and {why}: run `{ADD_TARGETS_COMMAND}`",
        sysroot.display(),
    )
    .into())
}

/// Builds `guests` of the `policies` workspace for `target` in release, in one `cargo
/// build`; each leaves `<stem>.wasm` in `<target_dir>/<target>/release`.
/// Not `--locked`: a new guest folder adds itself to `policies/Cargo.lock` here, and
/// `.ci/run` lints `policies/` with `--locked` before anything runs this script, so a
/// lock left uncommitted fails CI there.
fn build_guests(
    cargo: &OsString,
    policies: &Path,
    target_dir: &Path,
    target: Target,
    guests: &[&Guest],
) -> Result<(), Box<dyn Error>> {
    let mut command = Command::new(cargo);
    command
        .current_dir(policies)
        .args(["build", "--release", "--target", target.triple()])
        .arg("--target-dir")
        .arg(target_dir);
    for guest in guests {
        command.args(["--package", &guest.package]);
    }
    strip_outer_build(&mut command);
    let output = command.output()?;
    if !output.status.success() {
        let packages: Vec<&str> = guests.iter().map(|guest| guest.package.as_str()).collect();
        return Err(format!(
            "building the guests {} for {} failed; cargo says:\n{}",
            packages.join(", "),
            target.triple(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// Wraps the core module at `module` into a component at `destination`.
fn encode_component(module: &Path, destination: &Path) -> Result<(), Box<dyn Error>> {
    let bytes =
        std::fs::read(module).map_err(|error| format!("reading {}: {error}", module.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)?
        .validate(true)
        .encode()
        .map_err(|error| format!("encoding {} as a component: {error:#}", module.display()))?;
    std::fs::write(destination, component)
        .map_err(|error| format!("writing {}: {error}", destination.display()))?;
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<(), Box<dyn Error>> {
    std::fs::copy(from, to)
        .map_err(|error| format!("copying {} to {}: {error}", from.display(), to.display()))?;
    Ok(())
}

fn strip_outer_build(command: &mut Command) {
    for variable in OUTER_BUILD_VARIABLES {
        command.env_remove(variable);
    }
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
