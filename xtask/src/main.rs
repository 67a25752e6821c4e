//! Workspace automation, run as `cargo xtask <command>`.
//!
//! - `cargo xtask codegen`: regenerate `crates/region-openapi/src/generated.rs` from
//!   `openapi/region.spec.yaml`;
//! - `cargo xtask codegen --check`: fail (naming the file) when the committed file is stale;
//! - `cargo xtask bench [--quick]`: run the benchmarks and print the ratios they measure.

mod bench;
mod codegen;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Workspace automation.
#[derive(Debug, Parser)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate the region-openapi crate's source from openapi/region.spec.yaml.
    Codegen {
        /// Only check that the committed output is up to date; exit non-zero if it is not.
        #[arg(long)]
        check: bool,
    },
    /// Run every benchmark and print the ratio of each pair measured side by side.
    Bench {
        /// Shorter warm-up and measurement (1 s and 3 s per benchmark).
        #[arg(long)]
        quick: bool,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Codegen { check } => codegen::run(check),
        Command::Bench { quick } => bench::run(quick),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole cause chain on one line, without a backtrace.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
