//! `arbiter module`: `build` turns a seller's project into a component (see
//! [`arbiter::toolchain`]); `push` uploads one to a running server, which checks,
//! compiles and stores it under its digest; `keygen` and `sign` are the seller's side of
//! signed modules (see [`arbiter::signing`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use arbiter::engine::{Engine, ModuleDigest};
use arbiter::signing::{self, SIGNATURE_HEADER};
use arbiter::toolchain::{self, Language};
use serde_json::Value;
use ureq::http::Method;

use super::cache::CacheArgs;
use super::limits::LimitsArgs;
use super::remote::{Client, ServerArgs};

#[derive(Debug, clap::Args)]
pub struct ModuleArgs {
    #[command(subcommand)]
    command: ModuleCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ModuleCommand {
    /// Build a policy project (Rust, JavaScript or Python, as `arbiter policy new`
    /// writes one) into a component, check that a server would take it, and print its
    /// path and digest.
    Build(BuildArgs),
    /// Upload a policy component; prints its digest.
    ///
    /// `POST /v1/modules`: the server checks and compiles it and stores it by digest.
    /// The same bytes are the same module: a second push says it is known.
    Push(PushArgs),
    /// Make an ed25519 key pair for signing modules: `PREFIX.key` (private, PKCS#8
    /// PEM, readable by its owner only) and `PREFIX.pub` (for the operator's
    /// `serve --trusted-key`).
    Keygen(KeygenArgs),
    /// Print the signature of a component's digest by a key, as the server takes it in
    /// the `Arbiter-Signature` header.
    Sign(SignArgs),
}

#[derive(Debug, clap::Args)]
struct PushArgs {
    /// The policy component (a `compensation-policy` or `fraud-screen` world).
    file: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
    /// Sign the upload with this private key (PKCS#8 PEM), for a server that takes
    /// signed modules only.
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// Print the server's JSON answer, nothing else.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// The project's directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Its language [default: from its files: Cargo.toml, package.json or a .py].
    #[arg(long, value_enum)]
    lang: Option<Language>,
    /// Where the component goes [default: DIR/target/NAME.wasm].
    #[arg(long, short, value_name = "FILE.wasm")]
    out: Option<PathBuf>,
    #[command(flatten)]
    cache: CacheArgs,
    #[command(flatten)]
    limits: LimitsArgs,
}

#[derive(Debug, clap::Args)]
struct KeygenArgs {
    /// Where the keys go: `PREFIX.key` and `PREFIX.pub`.
    prefix: PathBuf,
}

#[derive(Debug, clap::Args)]
struct SignArgs {
    /// The policy component.
    file: PathBuf,
    /// The private key (PKCS#8 PEM, from `arbiter module keygen` or `openssl genpkey
    /// -algorithm ed25519`).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
}

pub fn run(args: ModuleArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ModuleCommand::Build(args) => build(&args),
        ModuleCommand::Push(args) => push(args),
        ModuleCommand::Keygen(args) => keygen(&args),
        ModuleCommand::Sign(args) => sign(&args),
    }
}

fn build(args: &BuildArgs) -> anyhow::Result<ExitCode> {
    let language = match args.lang {
        Some(language) => language,
        None => Language::detect(&args.dir)?,
    };
    eprintln!("building {} ({language:?})", args.dir.display());
    let built = toolchain::build(&args.dir, language, args.out.as_deref())?;
    println!("{}", built.path.display());
    println!("{}", ModuleDigest::of(&built.bytes));

    // What a server would say: the same limits, the same checks (imports, world,
    // metadata), compiled once into the cache `decide` reads.
    args.limits.check_module_size(built.bytes.len())?;
    let engine = Engine::new(args.limits.limits())?;
    let cache = args.cache.open(&engine);
    let module = super::decide::compensation(&engine, cache.as_ref(), &built.bytes)
        .context("a server would refuse it")?;
    let metadata = module.metadata();
    eprintln!(
        "ok: {} {}, rules {}, {} bytes",
        metadata.name,
        metadata.version,
        metadata.rules.join(", "),
        built.bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn read_module(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

/// The `Arbiter-Signature` of `bytes` by the key in `key`.
fn signature(bytes: &[u8], key: &Path) -> anyhow::Result<String> {
    let key = signing::load_signing_key(key)?;
    Ok(signing::sign(&key, &ModuleDigest::of(bytes)))
}

fn keygen(args: &KeygenArgs) -> anyhow::Result<ExitCode> {
    let (private, public) = signing::generate()?;
    let with = |extension: &str| {
        let mut path = args.prefix.clone().into_os_string();
        path.push(extension);
        PathBuf::from(path)
    };
    let (private_path, public_path) = (with(".key"), with(".pub"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&private_path)
        .and_then(|mut file| file.write_all(private.as_bytes()))
        .with_context(|| format!("writing {} (it must not exist yet)", private_path.display()))?;
    std::fs::write(&public_path, public)
        .with_context(|| format!("writing {}", public_path.display()))?;
    println!(
        "private key  {} (keep it to yourself)",
        private_path.display()
    );
    println!(
        "public key   {} (for the operator: serve --trusted-key)",
        public_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn sign(args: &SignArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_module(&args.file)?;
    println!("{}", ModuleDigest::of(&bytes));
    println!("{}", signature(&bytes, &args.key)?);
    Ok(ExitCode::SUCCESS)
}

fn push(args: PushArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_module(&args.file)?;
    let signed = args
        .key
        .as_deref()
        .map(|key| signature(&bytes, key))
        .transpose()?;
    let headers: Vec<(&str, &str)> = signed
        .as_deref()
        .map(|signature| (SIGNATURE_HEADER, signature))
        .into_iter()
        .collect();
    let reply =
        Client::new(&args.server)?.send_bytes(Method::POST, "/v1/modules", bytes, &headers)?;
    if args.json {
        println!("{}", reply.body);
        return Ok(ExitCode::SUCCESS);
    }
    let module = &reply.body;
    let text = |key: &str| module[key].as_str().unwrap_or("?").to_owned();
    if reply.status == 201 {
        println!("{}  new", text("digest"));
    } else {
        println!(
            "{}  known: uploaded by {} at {}",
            text("digest"),
            text("uploaded_by"),
            text("uploaded_at")
        );
    }
    println!("  name     {} {}", text("name"), text("version"));
    println!("  world    {}", text("world"));
    if let Some(size) = module["size"].as_u64() {
        println!("  size     {size} bytes");
    }
    if let Some(rules) = module["metadata"]["rules"].as_array() {
        let rules: Vec<&str> = rules.iter().filter_map(Value::as_str).collect();
        if !rules.is_empty() {
            println!("  rules    {}", rules.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
