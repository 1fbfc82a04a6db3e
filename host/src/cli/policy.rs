//! `arbiter policy`: a shop's policy versions on a running server: set a module and its
//! settings, show, list, roll back, promote a shadow or canary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};
use ureq::http::Method;

use super::remote::{Client, ServerArgs, segment};

#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PolicyCommand {
    /// Make a module and its settings the shop's next policy version.
    ///
    /// `PUT /v1/shops/{shop}/policy`: the module's `validate-settings` checks the
    /// settings first; settings it refuses make no version.
    Set(SetArgs),
    /// The shop's active version and its shadow or canary candidate, if any.
    Show(ShopArgs),
    /// Every version the shop has had, with who set it and when.
    Versions(ShopArgs),
    /// Make an earlier version active again (`--to 0`: the platform's default policy).
    Rollback(RollbackArgs),
    /// Make the shop's shadow or canary candidate its active version.
    Promote(ShopArgs),
}

/// How a new version is rolled out.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Mode {
    /// Serves every decision from now on.
    Active,
    /// Runs beside the active version on every decision; recorded, never answered.
    Shadow,
    /// Serves `--canary-percent` of the claims (a stable hash of the claim id).
    Canary,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Shadow => "shadow",
            Self::Canary => "canary",
        }
    }
}

#[derive(Debug, clap::Args)]
struct SetArgs {
    /// The shop.
    shop: String,
    /// The module's digest, as `arbiter module push` printed it (`sha256:...`).
    #[arg(long, value_name = "DIGEST")]
    module: String,
    /// The settings, a JSON object; `{}` (the module's defaults) when absent.
    #[arg(long, value_name = "FILE.json")]
    settings: Option<PathBuf>,
    /// How the version is rolled out; `canary` when only `--canary-percent` is given,
    /// else `active`.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// The share of claims a canary serves, 0 to 100.
    #[arg(long, value_name = "P")]
    canary_percent: Option<f64>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct RollbackArgs {
    /// The shop.
    shop: String,
    /// The version to make active again (`arbiter policy versions` lists them).
    #[arg(long, value_name = "N")]
    to: u64,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct ShopArgs {
    /// The shop.
    shop: String,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct Common {
    #[command(flatten)]
    server: ServerArgs,
    /// Print the server's JSON answer, nothing else.
    #[arg(long)]
    json: bool,
}

pub fn run(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PolicyCommand::Set(args) => set(args),
        PolicyCommand::Show(args) => {
            let path = format!("/v1/shops/{}/policy", segment(&args.shop));
            let reply = Client::new(&args.common.server)?.get(&path)?;
            print(&args.common, &reply.body, rollout_text)
        }
        PolicyCommand::Versions(args) => {
            let path = format!("/v1/shops/{}/policy/versions", segment(&args.shop));
            let reply = Client::new(&args.common.server)?.get(&path)?;
            print(&args.common, &reply.body, versions_text)
        }
        PolicyCommand::Rollback(args) => {
            let path = format!("/v1/shops/{}/policy/rollback", segment(&args.shop));
            let reply = Client::new(&args.common.server)?.send_json(
                Method::POST,
                &path,
                &json!({"to": args.to}),
            )?;
            print(&args.common, &reply.body, |body| {
                format!("rolled back to version {}\n{}", args.to, rollout_text(body))
            })
        }
        PolicyCommand::Promote(args) => {
            let path = format!("/v1/shops/{}/policy/promote", segment(&args.shop));
            let reply =
                Client::new(&args.common.server)?.send_json(Method::POST, &path, &json!({}))?;
            print(&args.common, &reply.body, |body| {
                format!("promoted\n{}", rollout_text(body))
            })
        }
    }
}

fn set(args: SetArgs) -> anyhow::Result<ExitCode> {
    let settings = match &args.settings {
        Some(path) => read_settings(path)?,
        None => Value::Object(Map::new()),
    };
    let mode = match (args.mode, args.canary_percent) {
        (Some(mode), _) => mode,
        (None, Some(_)) => Mode::Canary,
        (None, None) => Mode::Active,
    };
    let mut body = json!({"module": args.module, "settings": settings, "mode": mode.name()});
    if let Some(percent) = args.canary_percent {
        body["canary_percent"] = json!(percent);
    }
    let path = format!("/v1/shops/{}/policy", segment(&args.shop));
    let reply = Client::new(&args.common.server)?.send_json(Method::PUT, &path, &body)?;
    print(&args.common, &reply.body, |version| {
        let mut text = format!(
            "shop {}: version {} ({}",
            args.shop,
            version["version"],
            str_of(&version["mode"])
        );
        if let Some(percent) = args.canary_percent.filter(|_| matches!(mode, Mode::Canary)) {
            let _ = write!(text, " {percent}%");
        }
        let _ = write!(
            text,
            ")\n  module    {}\n  settings  {}",
            str_of(&version["module"]),
            version["settings"]
        );
        text
    })
}

/// The settings file: a JSON object, or an error that names the file.
fn read_settings(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the settings {}", path.display()))?;
    let settings: Value = serde_json::from_str(&text)
        .with_context(|| format!("the settings {} are not JSON", path.display()))?;
    if !settings.is_object() {
        bail!(
            "the settings {} must be a JSON object ({{\"key\": value, ...}})",
            path.display()
        );
    }
    Ok(settings)
}

/// Prints the server's JSON with `--json`, else `text` of it.
fn print(
    common: &Common,
    body: &Value,
    text: impl FnOnce(&Value) -> String,
) -> anyhow::Result<ExitCode> {
    if common.json {
        println!("{body}");
    } else {
        println!("{}", text(body));
    }
    Ok(ExitCode::SUCCESS)
}

fn str_of(value: &Value) -> &str {
    value.as_str().unwrap_or("?")
}

/// One version on a line: its number, module (or the platform's default) and settings.
fn version_line(version: &Value) -> String {
    let module = version["module"]
        .as_str()
        .unwrap_or("the platform's default policy");
    format!(
        "version {}  {module}  settings {}",
        version["version"], version["settings"]
    )
}

fn rollout_text(body: &Value) -> String {
    let mut text = format!(
        "shop {}\n  active     {}",
        str_of(&body["shop_id"]),
        version_line(&body["active"])
    );
    let candidate = &body["candidate"];
    if candidate.is_object() {
        let mode = match candidate["canary_percent"].as_f64() {
            Some(percent) => format!("{} {percent}%", str_of(&candidate["mode"])),
            None => str_of(&candidate["mode"]).to_owned(),
        };
        let _ = write!(text, "\n  candidate  {} ({mode})", version_line(candidate));
    }
    text
}

fn versions_text(body: &Value) -> String {
    let mut text = format!("shop {}", str_of(&body["shop_id"]));
    match body["versions"].as_array() {
        Some(versions) if !versions.is_empty() => {
            for version in versions {
                let _ = write!(
                    text,
                    "\n  {}  by {} at {}",
                    version_line(version),
                    str_of(&version["created_by"]),
                    str_of(&version["created_at"])
                );
            }
        }
        _ => text.push_str("\n  no versions: the platform's default policy (version 0)"),
    }
    text
}
