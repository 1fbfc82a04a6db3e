//! The command line: argument parsing and one module per command.

mod backtest;
mod cache;
mod decide;
mod decisions;
mod limits;
mod module;
mod policy;
mod remote;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Arbiter decides marketplace claims with sandboxed WebAssembly policies.
#[derive(Debug, Parser)]
#[command(name = "arbiter", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide one claim locally: the fraud screen, then the policy, then the envelope.
    Decide(decide::DecideArgs),
    /// Serve the v1 HTTP API: decisions, settings, explanations.
    Serve(serve::ServeArgs),
    /// Upload policy components to a running server (`--server`, `--token`).
    Module(module::ModuleArgs),
    /// Set, show, roll back and promote a shop's policy on a running server.
    Policy(policy::PolicyArgs),
    /// Try a module or settings on a shop's recorded claims on a running server, and
    /// print what would have changed.
    Backtest(backtest::BacktestArgs),
    /// Export a running server's decision log (NDJSON) to a file.
    Decisions(decisions::DecisionsArgs),
}

/// Runs the command the arguments name.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Decide(args) => decide::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Module(args) => module::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Backtest(args) => backtest::run(args),
        Command::Decisions(args) => decisions::run(args),
    }
}
