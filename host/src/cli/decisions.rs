//! `arbiter decisions export`: the decision log of a running server written to a file
//! as NDJSON, page by page (`GET /v1/decisions`), with a progress line while it runs.
//! The file is written beside its final name and renamed at the end, so an interrupted
//! export never leaves a file that looks complete.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::remote::{Client, ServerArgs};

#[derive(Debug, Args)]
pub struct DecisionsArgs {
    #[command(subcommand)]
    command: DecisionsCommand,
}

#[derive(Debug, Subcommand)]
enum DecisionsCommand {
    /// Write recorded decisions (request, answer, history, module, settings version,
    /// latency, request id) to a file, one JSON object per line, oldest first.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Only this shop's decisions (a seller's token exports its own shop's only).
    #[arg(long, value_name = "SHOP")]
    shop: Option<String>,
    /// Decided at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Decided before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Decisions asked for per request.
    #[arg(long, default_value_t = 1_000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    page: u32,
    /// The file to write.
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
}

pub fn run(args: DecisionsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DecisionsCommand::Export(args) => export(&args),
    }
}

/// The query of the page after `cursor`.
fn page_path(args: &ExportArgs, cursor: Option<&str>) -> String {
    let mut query = vec![format!("limit={}", args.page)];
    let mut add = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            query.push(format!("{name}={}", super::remote::segment(value)));
        }
    };
    add("shop_id", args.shop.as_deref());
    add("from", args.from.as_deref());
    add("to", args.to.as_deref());
    add("cursor", cursor);
    format!("/v1/decisions?{}", query.join("&"))
}

fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server)?;
    let mut partial = args.out.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let progress = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} decisions, {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let written = write_pages(&client, args, &partial, &progress);
    progress.finish_and_clear();
    let (decisions, bytes) = match written {
        Ok(written) => written,
        Err(error) => {
            // Nothing half-written is left to be mistaken for an export.
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, &args.out)
        .with_context(|| format!("renaming {} to {}", partial.display(), args.out.display()))?;
    println!(
        "{decisions} decisions ({}) written to {}",
        indicatif::HumanBytes(bytes),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Every page into `partial`, synced; how many decisions and bytes.
fn write_pages(
    client: &Client,
    args: &ExportArgs,
    partial: &std::path::Path,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<(u64, u64)> {
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(partial)
            .with_context(|| format!("creating {}", partial.display()))?,
    );
    let (mut decisions, mut bytes, mut cursor) = (0u64, 0u64, None::<String>);
    loop {
        let page = client.get_lines(&page_path(args, cursor.as_deref()))?;
        file.write_all(page.text.as_bytes())
            .with_context(|| format!("writing {}", partial.display()))?;
        decisions += u64::try_from(page.text.lines().count()).unwrap_or(u64::MAX);
        bytes += u64::try_from(page.text.len()).unwrap_or(u64::MAX);
        progress.set_position(decisions);
        progress.set_message(indicatif::HumanBytes(bytes).to_string());
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    file.flush()
        .and_then(|()| file.get_ref().sync_all())
        .with_context(|| format!("writing {}", partial.display()))?;
    Ok((decisions, bytes))
}
