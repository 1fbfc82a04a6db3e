//! `arbiter module push`: uploads a policy component to a running server, which checks,
//! compiles and stores it under its digest.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;
use ureq::http::Method;

use super::remote::{Client, ServerArgs};

#[derive(Debug, clap::Args)]
pub struct ModuleArgs {
    #[command(subcommand)]
    command: ModuleCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ModuleCommand {
    /// Upload a policy component; prints its digest.
    ///
    /// `POST /v1/modules`: the server checks and compiles it and stores it by digest.
    /// The same bytes are the same module: a second push says it is known.
    Push(PushArgs),
}

#[derive(Debug, clap::Args)]
struct PushArgs {
    /// The policy component (a `compensation-policy` or `fraud-screen` world).
    file: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
    /// Print the server's JSON answer, nothing else.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ModuleArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ModuleCommand::Push(args) => push(args),
    }
}

fn push(args: PushArgs) -> anyhow::Result<ExitCode> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let reply = Client::new(&args.server)?.send_bytes(Method::POST, "/v1/modules", bytes)?;
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
