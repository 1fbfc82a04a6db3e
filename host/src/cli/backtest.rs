//! `arbiter backtest SHOP`: starts a backtest on a running server (`POST
//! /v1/shops/{shop}/backtests`), shows its progress while it runs, then prints what would
//! have changed: outcomes and money before and after, and the first changed decisions
//! with both reasons. A `.wasm` file given as the module is uploaded first.
//!
//! With `--ledger DIR|URL` it runs here instead, without a server, on a copy of a
//! ledger: a data dir (its `arbiter.db`) or a PostgreSQL URL. It writes into that
//! ledger (the schema brought up to date, the backtest, an uploaded module), so point
//! it at a copy, never at a live server's store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Map, Value, json};
use ureq::http::Method;

use super::remote::{Client, ServerArgs, segment};

#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// The shop whose recorded decisions are decided again.
    shop: String,
    /// The candidate module: a digest (`sha256:...`), or a `.wasm` file to upload first.
    /// Without it, each decision's recorded module.
    #[arg(long, value_name = "DIGEST|FILE.wasm")]
    module: Option<String>,
    /// The candidate settings, a JSON file. Without it, each decision's recorded settings.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Decisions recorded at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Decisions recorded before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// How many changed decisions to print.
    #[arg(long, default_value_t = 5)]
    changes: usize,
    #[command(flatten)]
    server: ServerArgs,
    /// Run here on a copy of a ledger (a data dir, or a PostgreSQL URL) instead of
    /// asking a server.
    #[arg(long, value_name = "DIR|URL")]
    ledger: Option<String>,
    /// Print the server's JSON answer (the report), nothing else.
    #[arg(long)]
    json: bool,
}

/// How often the server is asked how far the backtest got.
const POLL: Duration = Duration::from_millis(200);

pub fn run(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    let settings = match &args.settings {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let settings: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            Some(settings)
        }
        None => None,
    };
    let shown = match &args.ledger {
        Some(ledger) => local::run(&args, ledger, settings)?,
        None => remote(&args, settings)?,
    };
    if args.json {
        println!("{shown}");
    } else {
        print_report(&shown);
    }
    Ok(match shown["status"].as_str() {
        Some("done") => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

/// Starts the backtest on the server and waits for it; the server's last answer.
fn remote(args: &BacktestArgs, settings: Option<Value>) -> anyhow::Result<Value> {
    let client = Client::new(&args.server)?;
    let mut body = Map::new();
    if let Some(module) = &args.module {
        body.insert("module".into(), json!(candidate_module(&client, module)?));
    }
    if let Some(settings) = settings {
        body.insert("settings".into(), settings);
    }
    for (key, time) in [("from", &args.from), ("to", &args.to)] {
        if let Some(time) = time {
            body.insert(key.into(), json!(time));
        }
    }
    let path = format!("/v1/shops/{}/backtests", segment(&args.shop));
    let started = client.send_json(Method::POST, &path, &Value::Object(body))?;
    let id = started.body["backtest_id"]
        .as_str()
        .context("the server's answer names no backtest_id")?
        .to_owned();
    let bar = progress_bar(&id);
    let path = format!(
        "/v1/backtests/{}?changes_limit={}",
        segment(&id),
        args.changes
    );
    loop {
        let shown = client.get(&path)?.body;
        if !show_progress(&bar, &shown) {
            return Ok(shown);
        }
        std::thread::sleep(POLL);
    }
}

/// A progress bar on stderr for backtest `id` (hidden when stderr is no terminal).
fn progress_bar(id: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} decisions ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(id.to_owned());
    bar
}

/// Moves `bar` to `shown`'s progress; `false` (and the bar cleared) once it is over.
fn show_progress(bar: &indicatif::ProgressBar, shown: &Value) -> bool {
    bar.set_length(shown["progress"]["total"].as_u64().unwrap_or_default());
    bar.set_position(shown["progress"]["done"].as_u64().unwrap_or_default());
    let running = shown["status"] == json!("running");
    if !running {
        bar.finish_and_clear();
    }
    running
}

/// The digest to send: `module` itself, or that of the `.wasm` file it names, uploaded.
fn candidate_module(client: &Client, module: &str) -> anyhow::Result<String> {
    let path = Path::new(module);
    if module.starts_with("sha256:") || !path.exists() {
        return Ok(module.to_owned());
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {module}"))?;
    let reply = client.send_bytes(Method::POST, "/v1/modules", bytes, &[])?;
    let digest = reply.body["digest"]
        .as_str()
        .context("the server's answer to the upload names no digest")?;
    eprintln!("uploaded {module} as {digest}");
    Ok(digest.to_owned())
}

fn print_report(shown: &Value) {
    let id = shown["backtest_id"].as_str().unwrap_or("?");
    let shop = shown["shop_id"].as_str().unwrap_or("?");
    if shown["status"] != json!("done") {
        println!(
            "backtest {id} of {shop}: {}: {}",
            shown["status"].as_str().unwrap_or("?"),
            shown["error"].as_str().unwrap_or("no reason given")
        );
        return;
    }
    let report = &shown["report"];
    let count = |key: &str| report[key].as_u64().unwrap_or_default();
    println!(
        "backtest {id} of {shop}: {} decisions of {} claims, {} changed ({} in outcome or actions){}",
        count("decisions"),
        count("claims"),
        count("changed"),
        count("changed_actions"),
        match count("not_replayed") {
            0 => String::new(),
            n => format!(", {n} not replayed (their module had failed)"),
        }
    );
    println!();
    println!("{:<28} {:>10} {:>10}", "outcome", "before", "after");
    for outcome in keys(&report["outcomes"]) {
        let side = |side: &str| report["outcomes"][side][&outcome].as_u64().unwrap_or(0);
        println!("{outcome:<28} {:>10} {:>10}", side("before"), side("after"));
    }
    let rate = |side: &str| report["escalation_rate"][side].as_f64().unwrap_or_default() * 100.0;
    println!(
        "{:<28} {:>9.1}% {:>9.1}%",
        "escalation rate",
        rate("before"),
        rate("after")
    );
    println!();
    println!(
        "{:<28} {:>14} {:>14} {:>14}",
        "money (latest revisions)", "before", "after", "delta"
    );
    money_rows("all", &report["money"]);
    if let Some(by_action) = report["money"]["by_action"].as_object() {
        for (action, split) in by_action {
            money_rows(&format!("  {action}"), split);
        }
    }
    let changes = report["changes"].as_array().cloned().unwrap_or_default();
    if !changes.is_empty() {
        println!();
        println!(
            "first {} of {} changed decisions:",
            changes.len(),
            count("changed")
        );
        for change in &changes {
            println!(
                "- claim {} rev {} ({})",
                change["claim_id"].as_str().unwrap_or("?"),
                change["revision"],
                change["decision_id"].as_str().unwrap_or("?")
            );
            for side in ["before", "after"] {
                let reasons: Vec<String> = change[side]["reasons"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|reason| {
                        format!(
                            "{}: {}",
                            reason["rule"].as_str().unwrap_or("?"),
                            reason["text"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                println!(
                    "    {side:<6} {}: {}",
                    change[side]["outcome"].as_str().unwrap_or("?"),
                    reasons.join("; ")
                );
            }
        }
    }
}

/// The keys of both sides of a before/after object, once each, sorted.
fn keys(both: &Value) -> Vec<String> {
    let mut keys: Vec<String> = ["before", "after"]
        .iter()
        .filter_map(|side| both[side].as_object())
        .flat_map(|side| side.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// One row per currency of a money split (`before`, `after`, `delta`), in major units.
fn money_rows(label: &str, split: &Value) {
    for currency in keys(split) {
        let amount = |side: &str| split[side][&currency].as_i64().unwrap_or(0);
        println!(
            "{:<28} {:>14} {:>14} {:>14}",
            format!("{label} {currency}"),
            major(amount("before")),
            major(amount("after")),
            major(amount("delta"))
        );
    }
}

/// Minor units as `1234.56`.
fn major(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    format!("{sign}{}.{:02}", minor / 100, minor % 100)
}

/// `--ledger`: the backtest run in this process on a copy of a ledger.
mod local {
    use std::path::Path;

    use anyhow::Context;
    use serde_json::Value;

    use super::{BacktestArgs, POLL, progress_bar, show_progress};
    use arbiter::contract::Timestamp;
    use arbiter::engine::Limits;
    use arbiter::ledger::{BacktestStatus, Storage};
    use arbiter::registry::UploadLimits;
    use arbiter::service::{BacktestSpec, Service};

    pub(super) fn run(
        args: &BacktestArgs,
        ledger: &str,
        settings: Option<Value>,
    ) -> anyhow::Result<Value> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        runtime.block_on(backtest(args, ledger, settings))
    }

    async fn backtest(
        args: &BacktestArgs,
        ledger: &str,
        settings: Option<Value>,
    ) -> anyhow::Result<Value> {
        // A data dir holds its compiled modules too; beside a PostgreSQL ledger they go
        // to a scratch dir.
        let scratch = tempfile_dir()?;
        let (storage, data_dir) = if ledger.contains("://") {
            (Storage::choose(Some(ledger), &scratch)?, scratch.clone())
        } else {
            let dir = Path::new(ledger).to_path_buf();
            let storage = Storage::in_data_dir(&dir);
            if let Storage::Sqlite(file) = &storage {
                anyhow::ensure!(file.is_file(), "no ledger at {}", file.display());
            }
            (storage, dir)
        };
        let service = Service::open_on(
            &storage,
            &data_dir,
            Limits::default(),
            UploadLimits::default(),
        )
        .await
        .with_context(|| format!("opening the ledger at {storage}"))?;
        let module = match &args.module {
            Some(module) if !module.starts_with("sha256:") && Path::new(module).exists() => {
                let bytes = std::fs::read(module).with_context(|| format!("reading {module}"))?;
                let (record, _) = service
                    .upload_module(bytes, None, &args.shop, "cli")
                    .await?;
                Some(record.digest.to_string())
            }
            other => other.clone(),
        };
        let time = |text: &Option<String>, name: &str| -> anyhow::Result<Option<i64>> {
            text.as_deref()
                .map(|text| {
                    Timestamp::parse(text)
                        .map(Timestamp::unix_millis)
                        .map_err(|error| anyhow::anyhow!("--{name}: {error}"))
                })
                .transpose()
        };
        let spec = BacktestSpec {
            module,
            settings,
            from_ms: time(&args.from, "from")?,
            to_ms: time(&args.to, "to")?,
        };
        let record = service.start_backtest(&args.shop, spec, "cli").await?;
        let bar = progress_bar(&record.backtest_id);
        let shown = loop {
            let record = service.backtest(&record.backtest_id, None).await?;
            let shown = arbiter::api::backtest_body(&record, 0, args.changes)?;
            if record.status != BacktestStatus::Running {
                show_progress(&bar, &shown);
                break shown;
            }
            show_progress(&bar, &shown);
            tokio::time::sleep(POLL).await;
        };
        service.close().await;
        let _ = std::fs::remove_dir_all(&scratch);
        Ok(shown)
    }

    /// A fresh directory under the system's temporary one.
    fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
        let dir = std::env::temp_dir().join(format!("arbiter-backtest-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }
}
