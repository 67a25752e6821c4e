//! Workspace automation, run as `cargo xtask <command>`.
//!
//! - `cargo xtask codegen`: regenerate `crates/region-openapi/src/generated.rs` from
//!   `openapi/region.spec.yaml`;
//! - `cargo xtask codegen --check`: fail (naming the file) when the committed file is stale;
//! - `cargo xtask spec-diff <upstream region spec> <upstream common spec> [--identity <spec>]`:
//!   list every difference between `openapi/` and the platform's own spec files;
//! - `cargo xtask bench [--quick] [--only micro|compare] [-- <compare flags>]`: run the
//!   criterion benchmarks and the side-by-side comparison against bare hyper and reqwest,
//!   printing the ratios each measures;
//! - `cargo xtask fuzz [--seconds N] [--target T]...`: run every fuzz target in `fuzz/` for N
//!   seconds each (nightly and cargo-fuzz), print a summary, fail on any finding.

mod bench;
mod codegen;
mod fuzz;
mod spec_diff;

use std::{path::PathBuf, process::ExitCode};

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
    /// Compare openapi/region.spec.yaml and openapi/common.spec.yaml with the platform's own
    /// files, ignoring descriptions, summaries, examples, operationIds and `x-` keys; exit
    /// non-zero when anything else differs.
    SpecDiff {
        /// The platform's region spec (uni-region `pkg/openapi/server.spec.yaml` of the release).
        region: PathBuf,
        /// The core spec it references (uni-core `pkg/openapi/common.spec.yaml`, at the
        /// version the region spec's `$ref`s name).
        common: PathBuf,
        /// The identity spec the region spec borrows `organizationId` and `projectId` from
        /// (uni-identity `pkg/openapi/server.spec.yaml`); without it our copies are not checked.
        #[arg(long)]
        identity: Option<PathBuf>,
    },
    /// Run every benchmark and print the ratio of each pair measured side by side: the
    /// criterion micro-benchmarks, then the comparison of the trust stack with bare hyper and
    /// reqwest (`bench/`), which also writes target/bench/summary.{json,svg}.
    Bench {
        /// Shorter runs: 1 s warm-up and 3 s measurement per micro-benchmark; 4,000 calls a
        /// round in the comparison (under a minute).
        #[arg(long)]
        quick: bool,
        /// Run only the micro-benchmarks or only the comparison.
        #[arg(long, value_enum)]
        only: Option<bench::Only>,
        /// Flags for the comparison (see `cargo run -p bench --bin compare -- --help`):
        /// `--variants`, `--protocols`, `--callers`, `--rounds`, `--requests`, the ablations
        /// `--no-retries`, `--no-telemetry`, `--no-trace-editor`, `--no-principal-editor`,
        /// `--no-discovery`, and `--otel`.
        #[arg(last = true)]
        compare: Vec<String>,
    },
    /// Run every fuzz target in fuzz/ (cargo-fuzz, libFuzzer) for N seconds each, print runs,
    /// speed, corpus size and result per target, and fail if any target finds a crash.
    /// Needs the nightly toolchain and cargo-fuzz.
    Fuzz {
        /// How long to fuzz each target, in seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Fuzz only this target (repeatable); all targets by default.
        #[arg(long = "target", value_name = "TARGET")]
        targets: Vec<String>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Codegen { check } => codegen::run(check),
        Command::SpecDiff {
            region,
            common,
            identity,
        } => spec_diff::run(&region, &common, identity.as_deref()),
        Command::Bench {
            quick,
            only,
            compare,
        } => bench::run(quick, only, &compare),
        Command::Fuzz { seconds, targets } => fuzz::run(seconds, &targets),
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
