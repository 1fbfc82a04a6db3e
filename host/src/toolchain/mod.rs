//! A seller's policy project, outside this repository: `arbiter policy new` writes one
//! (the WIT, a policy that compiles, its tests, a short README) and `arbiter module
//! build` turns one into a component with its language's own toolchain: cargo and
//! `wit-component` for Rust, componentize-js for JavaScript, componentize-py for Python.

mod project;
mod stub;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use project::{Language, ProjectError, write_project};
pub use stub::{StubError, stub_imports};

/// The contract's WIT, as `arbiter policy new` writes it into a project.
pub const WIT_FILES: &[(&str, &str)] = &[
    (
        "types.wit",
        include_str!("../../../wit/policy@0.1.0/types.wit"),
    ),
    (
        "worlds.wit",
        include_str!("../../../wit/policy@0.1.0/worlds.wit"),
    ),
];

/// The world a seller's policy implements.
pub const WORLD: &str = "compensation-policy";

/// Why a project did not build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Project(#[from] ProjectError),
    #[error("`{tool}` was not found; {install} (or put `{tool}` on PATH)")]
    ToolMissing { tool: &'static str, install: String },
    #[error("`{command}` failed ({status}){output}")]
    ToolFailed {
        command: String,
        status: String,
        output: String,
    },
    #[error("{0}")]
    Stub(#[from] StubError),
    #[error("encoding the Wasm module as a component: {0:#}")]
    Encode(anyhow::Error),
    #[error("{what}: {cause}")]
    Io { what: String, cause: std::io::Error },
}

/// What a build produced.
#[derive(Debug)]
pub struct Built {
    /// Where the component was written.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Builds the project in `dir` into a component at `out` (by default
/// `DIR/target/NAME.wasm`, NAME the project's directory name). A toolchain writes into a
/// staging folder; `out` is written once, with the finished component (never, say, a
/// Python build whose imports were not yet stubbed).
pub fn build(dir: &Path, language: Language, out: Option<&Path>) -> Result<Built, BuildError> {
    let name = project::name_of(dir)?;
    let out = match out {
        Some(out) => out.to_path_buf(),
        None => dir.join("target").join(format!("{name}.wasm")),
    };
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|cause| BuildError::Io {
            what: format!("creating {}", parent.display()),
            cause,
        })?;
    }
    let wit = project::wit_dir(dir)?;
    let staging = tempfile::tempdir().map_err(|cause| BuildError::Io {
        what: "making a staging folder".into(),
        cause,
    })?;
    let staged = staging.path().join(format!("{name}.wasm"));
    let bytes = match language {
        Language::Rust => project::build_rust(dir)?,
        Language::Js => project::build_js(dir, wit.path(), &staged)?,
        Language::Python => project::build_python(dir, wit.path(), &staged)?,
    };
    std::fs::write(&out, &bytes).map_err(|cause| BuildError::Io {
        what: format!("writing {}", out.display()),
        cause,
    })?;
    Ok(Built { path: out, bytes })
}

/// Runs `command`; its output is shown only when it fails.
fn run(mut command: Command) -> Result<(), BuildError> {
    let shown = format!("{command:?}").replace('"', "");
    let output = command.output().map_err(|cause| BuildError::Io {
        what: format!("running {shown}"),
        cause,
    })?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    let tail: Vec<&str> = text.lines().rev().take(30).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(BuildError::ToolFailed {
        command: shown,
        status: output.status.to_string(),
        output: if tail.is_empty() {
            String::new()
        } else {
            format!(":\n{}", tail.join("\n"))
        },
    })
}

/// `tool` in the project's own toolchain folder (`node_modules/.bin`, `.venv/bin`),
/// else on PATH.
fn find_tool(
    dir: &Path,
    local: &[&str],
    tool: &'static str,
    install: &str,
) -> Result<PathBuf, BuildError> {
    let own = local.iter().map(|folder| dir.join(folder).join(tool));
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|path| path.join(tool))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    own.chain(on_path)
        .find(|path| path.is_file())
        .map(|path| std::path::absolute(&path).unwrap_or(path))
        .ok_or_else(|| BuildError::ToolMissing {
            tool,
            install: install.to_owned(),
        })
}
