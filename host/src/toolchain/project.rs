//! A policy project's files: which language it is in, its name and WIT, the templates
//! `arbiter policy new` writes, and each language's build.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{BuildError, WIT_FILES, WORLD, find_tool, run, stub_imports};

/// The languages a project can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// Rust, with the Arbiter SDK (`arbiter-sdk`).
    Rust,
    /// JavaScript, built with componentize-js (SpiderMonkey).
    Js,
    /// Python, built with componentize-py (CPython).
    Python,
}

/// Why a project could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{0} already exists and is not empty; choose a new directory")]
    NotEmpty(PathBuf),
    #[error("{0} is not a policy project: it has no Cargo.toml, package.json or .py file")]
    Unknown(PathBuf),
    #[error("{dir} holds {found}; say which one is the policy ({hint})")]
    Ambiguous {
        dir: PathBuf,
        found: String,
        hint: &'static str,
    },
    #[error("{0} has no usable name (a directory name of letters, digits, `-` or `_`)")]
    Unnamed(PathBuf),
    #[error("the Arbiter SDK was not found at {0}; pass --sdk with the path of `policies/sdk`")]
    SdkMissing(PathBuf),
    #[error("{what}: {cause}")]
    Io { what: String, cause: std::io::Error },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ProjectError {
    let what = what.into();
    move |cause| ProjectError::Io { what, cause }
}

impl Language {
    /// The language of the project in `dir`, from its files.
    pub fn detect(dir: &Path) -> Result<Self, ProjectError> {
        if dir.join("Cargo.toml").is_file() {
            Ok(Self::Rust)
        } else if dir.join("package.json").is_file() {
            Ok(Self::Js)
        } else if !sources(dir, "py")?.is_empty() {
            Ok(Self::Python)
        } else {
            Err(ProjectError::Unknown(dir.to_path_buf()))
        }
    }
}

/// The project's name: its directory's name.
pub(super) fn name_of(dir: &Path) -> Result<String, ProjectError> {
    let canonical = dir
        .canonicalize()
        .map_err(io(format!("reading {}", dir.display())))?;
    canonical
        .file_name()
        .and_then(|name| name.to_str())
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .ok_or_else(|| ProjectError::Unnamed(dir.to_path_buf()))
}

/// The project's WIT folder, or the contract's own written to a temporary one.
pub(super) enum WitDir {
    Project(PathBuf),
    Bundled(tempfile::TempDir),
}

impl WitDir {
    pub(super) fn path(&self) -> &Path {
        match self {
            Self::Project(path) => path,
            Self::Bundled(dir) => dir.path(),
        }
    }
}

pub(super) fn wit_dir(dir: &Path) -> Result<WitDir, ProjectError> {
    let own = dir.join("wit");
    if own.join("worlds.wit").is_file() {
        return Ok(WitDir::Project(own));
    }
    let bundled = tempfile::tempdir().map_err(io("making a folder for the WIT"))?;
    write_wit(bundled.path())?;
    Ok(WitDir::Bundled(bundled))
}

fn write_wit(dir: &Path) -> Result<(), ProjectError> {
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    for (name, text) in WIT_FILES {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io(format!("writing {}", path.display())))?;
    }
    Ok(())
}

/// The files directly in `dir` ending `.EXTENSION`, sorted, tests left out.
fn sources(dir: &Path, extension: &str) -> Result<Vec<String>, ProjectError> {
    let entries = std::fs::read_dir(dir).map_err(io(format!("reading {}", dir.display())))?;
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| {
            name.ends_with(&format!(".{extension}"))
                && !name.starts_with("test_")
                && !name.contains(".test.")
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The one source file of a JS or Python project (`main` of package.json for JS).
fn entry_point(dir: &Path, extension: &str, hint: &'static str) -> Result<String, ProjectError> {
    if extension == "js" {
        let manifest = std::fs::read_to_string(dir.join("package.json")).unwrap_or_default();
        let main = serde_json::from_str::<serde_json::Value>(&manifest)
            .ok()
            .and_then(|package| package["main"].as_str().map(str::to_owned));
        if let Some(main) = main {
            return Ok(main);
        }
    }
    let mut found = sources(dir, extension)?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(ProjectError::Unknown(dir.to_path_buf())),
        _ => Err(ProjectError::Ambiguous {
            dir: dir.to_path_buf(),
            found: found.join(", "),
            hint,
        }),
    }
}

/// Rust: `cargo build` for `wasm32-unknown-unknown`, then the core module encoded as a
/// component with `wit-component` (the SDK embeds the component type).
pub(super) fn build_rust(dir: &Path) -> Result<Vec<u8>, BuildError> {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .current_dir(dir)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .args(["--message-format", "json-render-diagnostics", "--quiet"]);
    let shown = "cargo build --release --target wasm32-unknown-unknown".to_owned();
    let output = cargo.output().map_err(|cause| BuildError::Io {
        what: format!("running {shown}"),
        cause,
    })?;
    if !output.status.success() {
        return Err(BuildError::ToolFailed {
            command: shown,
            status: output.status.to_string(),
            output: format!(":\n{}", String::from_utf8_lossy(&output.stderr).trim_end()),
        });
    }
    let core = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|file| file.as_str().map(PathBuf::from))
        .rfind(|file| {
            file.extension()
                .is_some_and(|extension| extension == "wasm")
        })
        .ok_or_else(|| BuildError::ToolFailed {
            command: shown,
            status: "no .wasm".into(),
            output: ": the crate built no Wasm library; its [lib] needs crate-type = [\"cdylib\"]"
                .into(),
        })?;
    let module = std::fs::read(&core).map_err(|cause| BuildError::Io {
        what: format!("reading {}", core.display()),
        cause,
    })?;
    wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(BuildError::Encode)
}

/// JavaScript: componentize-js without the HTTP features (which would import
/// `wasi:http`, refused by the host); stdout, clocks and random stay. `staged` is an
/// absolute path for the tool to write to.
pub(super) fn build_js(dir: &Path, wit: &Path, staged: &Path) -> Result<Vec<u8>, BuildError> {
    let entry = entry_point(dir, "js", "set `main` in package.json")?;
    let tool = find_tool(
        dir,
        &["node_modules/.bin"],
        "componentize-js",
        "run `npm install` in the project (its package.json names @bytecodealliance/componentize-js)",
    )?;
    let mut command = Command::new(tool);
    command
        .current_dir(dir)
        .arg(entry)
        .arg("--wit")
        .arg(wit)
        .args([
            "--world-name",
            WORLD,
            "--disable",
            "http",
            "fetch-event",
            "--out",
        ])
        .arg(staged);
    run(command)?;
    read(staged)
}

/// Python: componentize-py, then CPython's `wasi:sockets` imports replaced by stubs
/// that trap (see `stub.rs`); stdout, clocks and random stay. `staged` is an absolute
/// path for the tool to write to.
pub(super) fn build_python(dir: &Path, wit: &Path, staged: &Path) -> Result<Vec<u8>, BuildError> {
    let file = entry_point(dir, "py", "keep one module beside the tests")?;
    let module = file.trim_end_matches(".py").to_owned();
    let tool = find_tool(
        dir,
        &[".venv/bin"],
        "componentize-py",
        "run `pip install -r requirements.txt` (componentize-py) in a virtualenv at .venv",
    )?;
    let mut command = Command::new(tool);
    command
        .current_dir(dir)
        .arg("-d")
        .arg(wit)
        .args(["-w", WORLD, "componentize", "-p", ".", &module, "-o"])
        .arg(staged);
    run(command)?;
    let built = read(staged)?;
    Ok(stub_imports(&built, |name| {
        name.starts_with("wasi:sockets/")
    })?)
}

fn read(path: &Path) -> Result<Vec<u8>, BuildError> {
    std::fs::read(path).map_err(|cause| BuildError::Io {
        what: format!("reading {}", path.display()),
        cause,
    })
}

/// The templates: the florist examples of this repository, renamed.
mod template {
    pub const RUST_LIB: &str = include_str!("../../../policies/examples/florist/src/lib.rs");
    pub const JS_POLICY: &str = include_str!("../../../policies/examples/florist-js/florist.js");
    pub const JS_TEST: &str = include_str!("../../../policies/examples/florist-js/florist.test.js");
    pub const PY_POLICY: &str = include_str!("../../../policies/examples/florist-py/florist.py");
    pub const PY_TEST: &str = include_str!("../../../policies/examples/florist-py/test_florist.py");
    pub const PY_REQUIREMENTS: &str =
        include_str!("../../../policies/examples/florist-py/requirements.txt");
    pub const COMPONENTIZE_JS: &str = "0.23.0";
    /// componentize-js imports it without depending on it: only a hoisted copy from
    /// another package made it work, so a project names it itself.
    pub const PREVIEW2_SHIM: &str = "0.25.0";
}

/// Writes a ready project in `dir` (new or empty): the WIT, a policy (the florist's
/// rules, named after the directory), its tests and a README. For Rust, `sdk` is the
/// path of the Arbiter SDK the project depends on.
pub fn write_project(
    dir: &Path,
    language: Language,
    sdk: &Path,
) -> Result<Vec<PathBuf>, ProjectError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(io(format!("reading {}", dir.display())))?
            .next()
            .is_some()
    {
        return Err(ProjectError::NotEmpty(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let name = name_of(dir)?;
    let rename = |text: &str| text.replace("\"florist\"", &format!("\"{name}\""));
    let files: Vec<(String, String)> = match language {
        Language::Rust => {
            let sdk = sdk
                .canonicalize()
                .map_err(|_| ProjectError::SdkMissing(sdk.to_path_buf()))?;
            if !sdk.join("Cargo.toml").is_file() {
                return Err(ProjectError::SdkMissing(sdk));
            }
            vec![
                ("Cargo.toml".into(), rust_manifest(&name, &sdk)),
                ("src/lib.rs".into(), rename(template::RUST_LIB)),
                (".gitignore".into(), "/target\n".into()),
                ("README.md".into(), readme(&name, Language::Rust)),
            ]
        }
        Language::Js => vec![
            (format!("{name}.js"), rename(template::JS_POLICY)),
            (
                format!("{name}.test.js"),
                template::JS_TEST.replace("./florist.js", &format!("./{name}.js")),
            ),
            ("package.json".into(), js_manifest(&name)),
            (".gitignore".into(), "/node_modules\n/target\n".into()),
            ("README.md".into(), readme(&name, Language::Js)),
        ],
        Language::Python => {
            let module = name.replace('-', "_");
            vec![
                (format!("{module}.py"), rename(template::PY_POLICY)),
                (
                    format!("test_{module}.py"),
                    template::PY_TEST
                        .replace("import florist", &format!("import {module} as florist")),
                ),
                ("requirements.txt".into(), template::PY_REQUIREMENTS.into()),
                (
                    ".gitignore".into(),
                    "/.venv\n/target\n__pycache__/\n".into(),
                ),
                ("README.md".into(), readme(&name, Language::Python)),
            ]
        }
    };
    let mut written = Vec::new();
    for (file, text) in files {
        let path = dir.join(&file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(io(format!("creating {}", parent.display())))?;
        }
        std::fs::write(&path, text).map_err(io(format!("writing {}", path.display())))?;
        written.push(path);
    }
    write_wit(&dir.join("wit"))?;
    written.extend(WIT_FILES.iter().map(|(file, _)| dir.join("wit").join(file)));
    Ok(written)
}

fn rust_manifest(name: &str, sdk: &Path) -> String {
    let sdk = sdk.display().to_string().replace('\\', "/");
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
arbiter-sdk = {{ path = "{sdk}", default-features = false, features = ["compensation-policy"] }}
schemars = "1.2"
serde = {{ version = "1", features = ["derive"] }}

[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
strip = "debuginfo"

# A project of its own, whatever folder it sits in.
[workspace]
"#
    )
}

fn js_manifest(name: &str) -> String {
    let (version, shim) = (template::COMPONENTIZE_JS, template::PREVIEW2_SHIM);
    format!(
        r#"{{
  "name": "{name}",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "main": "{name}.js",
  "scripts": {{
    "test": "node --test"
  }},
  "devDependencies": {{
    "@bytecodealliance/componentize-js": "{version}",
    "@bytecodealliance/preview2-shim": "{shim}"
  }}
}}
"#
    )
}

fn readme(name: &str, language: Language) -> String {
    let (source, setup, test) = match language {
        Language::Rust => ("src/lib.rs", "", "cargo test"),
        Language::Js => (
            &*format!("{name}.js"),
            "npm install                 # componentize-js, once\n",
            "npm test",
        ),
        Language::Python => (
            &*format!("{}.py", name.replace('-', "_")),
            "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt   # once\n",
            ".venv/bin/python -m unittest",
        ),
    };
    format!(
        "# {name}\n\n\
         A shop's own Arbiter policy: the florist's rules to start from, in `{source}`.\n\
         `wit/` is the contract it implements (world `compensation-policy`): what a claim\n\
         holds, and what a decision may say. Print freely: what a policy writes is kept\n\
         with its decision and shown by explain.\n\n\
         ```sh\n\
         {setup}{test}                    # the rules' own tests, no Wasm\n\
         arbiter module build .      # the component, its path and digest\n\
         arbiter decide claim.json --module target/{name}.wasm\n\
         arbiter module push target/{name}.wasm --server URL --token TOKEN\n\
         ```\n"
    )
}
