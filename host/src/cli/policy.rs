//! `arbiter policy`: `new` writes a seller's policy project on this machine; the rest
//! work on a shop's policy versions on a running server: set a module and its settings
//! (active, shadow, canary or progressive), show (with a rollout's figures), list, roll
//! back, promote.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use arbiter::toolchain::{self, Language};
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
    /// Write a new policy project in DIR: the WIT, a policy that builds (the florist's
    /// rules, to start from), its tests and a README. `arbiter module build DIR` then
    /// makes the component.
    New(NewArgs),
    /// Make a module and its settings the shop's next policy version.
    ///
    /// `PUT /v1/shops/{shop}/policy`: the module's `validate-settings` checks the
    /// settings first; settings it refuses make no version.
    Set(SetArgs),
    /// The shop's active version, its candidate with the rollout's live figures, and
    /// how the last rollout ended.
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
    /// Serves `--steps` of the claims in turn, judged by `--guard`s after each step;
    /// promoted after the last, rolled back when a guard breaks.
    Progressive,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Shadow => "shadow",
            Self::Canary => "canary",
            Self::Progressive => "progressive",
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
    /// A progressive rollout's steps, percent of claims, increasing (default
    /// 5,25,50,100).
    #[arg(long, value_name = "P,P,...", value_delimiter = ',')]
    steps: Option<Vec<f64>>,
    /// Candidate decisions each step needs before it is judged (default 100).
    #[arg(long, value_name = "N")]
    step_min_decisions: Option<u64>,
    /// A guard of a progressive rollout, e.g. `max_escalation_rate_increase=0.05`
    /// (also max_money_per_claim_increase, max_failure_rate, max_override_rate);
    /// repeat for several.
    #[arg(long, value_name = "NAME=VALUE")]
    guard: Vec<String>,
    #[command(flatten)]
    common: Common,
}

impl SetArgs {
    /// Whether any of the progressive rollout's options was given.
    fn plans_steps(&self) -> bool {
        self.steps.is_some() || self.step_min_decisions.is_some() || !self.guard.is_empty()
    }

    /// The `--guard NAME=VALUE`s as the API's `guards` object.
    fn guards(&self) -> anyhow::Result<Option<Value>> {
        if self.guard.is_empty() {
            return Ok(None);
        }
        let mut guards = Map::new();
        for guard in &self.guard {
            let Some((name, value)) = guard.split_once('=') else {
                bail!("--guard {guard}: write it NAME=VALUE, e.g. max_failure_rate=0.01");
            };
            let value: f64 = value
                .trim()
                .parse()
                .with_context(|| format!("--guard {guard}: `{value}` is not a number"))?;
            guards.insert(name.trim().to_owned(), json!(value));
        }
        Ok(Some(Value::Object(guards)))
    }
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

#[derive(Debug, clap::Args)]
struct NewArgs {
    /// The project's directory (new or empty); its name names the policy.
    dir: PathBuf,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Language,
    /// For Rust: the Arbiter SDK the project depends on (`policies/sdk` of Arbiter's
    /// sources) [default: the one this binary was built from].
    #[arg(long, value_name = "DIR")]
    sdk: Option<PathBuf>,
}

fn new_project(args: &NewArgs) -> anyhow::Result<ExitCode> {
    let sdk = args
        .sdk
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/sdk"));
    let written = toolchain::write_project(&args.dir, args.lang, &sdk)?;
    for path in written {
        println!("{}", path.display());
    }
    eprintln!(
        "next: read {}, then `arbiter module build {}`",
        args.dir.join("README.md").display(),
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PolicyCommand::New(args) => new_project(&args),
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
        (None, None) if args.plans_steps() => Mode::Progressive,
        (None, None) => Mode::Active,
    };
    let mut body = json!({"module": args.module, "settings": settings, "mode": mode.name()});
    if let Some(percent) = args.canary_percent {
        body["canary_percent"] = json!(percent);
    }
    if let Some(steps) = &args.steps {
        body["steps"] = json!(steps);
    }
    if let Some(decisions) = args.step_min_decisions {
        body["step_min_decisions"] = json!(decisions);
    }
    if let Some(guards) = args.guards()? {
        body["guards"] = guards;
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
        if let Some(steps) = version["steps"].as_array() {
            let steps: Vec<String> = steps.iter().map(Value::to_string).collect();
            let _ = write!(
                text,
                ", steps {}% of {} decisions each, guards {}",
                steps.join("% -> "),
                version["step_min_decisions"],
                version["guards"]
            );
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
        let rollout = &candidate["rollout"];
        if rollout.is_object() {
            rollout_figures_text(&mut text, rollout);
        }
    }
    let last = &body["last_rollout"];
    if last.is_object() {
        let _ = write!(
            text,
            "\n  last rollout  {} of version {}: {}",
            str_of(&last["mode"]),
            last["candidate_version"],
            str_of(&last["status"]).replace('_', " ")
        );
        let ending = &last["ending"];
        if let Some(guard) = ending["guard"].as_str() {
            let _ = write!(
                text,
                " at step {} ({}% of claims) by {guard}",
                ending["step"].as_u64().unwrap_or(0) + 1,
                ending["percent"]
            );
            for breach in ending["breaches"].as_array().into_iter().flatten() {
                let _ = write!(text, "\n    {}", str_of(&breach["explanation"]));
            }
        } else if let Some(by) = ending["by"].as_str() {
            let _ = write!(text, " by {by}");
        }
    }
    text
}

/// A running rollout's step and both sides' figures, as a table.
fn rollout_figures_text(text: &mut String, rollout: &Value) {
    if let Some(steps) = rollout["steps"].as_array() {
        let _ = write!(
            text,
            "\n  step {} of {} ({}% of claims), judged after {} candidate decisions",
            rollout["step"].as_u64().unwrap_or(0) + 1,
            steps.len(),
            rollout["percent"],
            rollout["step_min_decisions"]
        );
    }
    let rate = |value: &Value| match value.as_f64() {
        Some(rate) => format!("{:.1}%", rate * 100.0),
        None => "-".to_owned(),
    };
    let figures = &rollout["figures"];
    let _ = write!(
        text,
        "\n  {:<28}{:>12}{:>12}{:>14}{:>14}",
        "", "decisions", "escalated", "module failed", "overridden"
    );
    for (label, side) in [
        ("candidate, this step", &figures["step"]["candidate"]),
        ("active, this step", &figures["step"]["active"]),
        ("candidate, whole rollout", &figures["total"]["candidate"]),
        ("active, whole rollout", &figures["total"]["active"]),
    ] {
        let _ = write!(
            text,
            "\n  {label:<28}{:>12}{:>12}{:>14}{:>14}",
            side["decisions"].to_string(),
            rate(&side["escalation_rate"]),
            rate(&side["failure_rate"]),
            rate(&side["override_rate"])
        );
    }
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
