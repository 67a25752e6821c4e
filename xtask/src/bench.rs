//! `cargo xtask bench`: runs the workspace's criterion benchmarks in one go and prints, for
//! each pair measured side by side in that run, the ratio of the medians; then the comparison
//! of the trust stack with bare hyper and reqwest (`bench/src/main.rs`), in release mode.

use std::{path::Path, process::Command};

use anyhow::{Context, bail};

/// The benchmarks, as `(package, bench target)`.
const BENCHES: &[(&str, &str)] = &[
    ("unikorn-core-client", "transport"),
    ("unikorn-identity-client", "principal"),
];

/// Pairs compared: what the stack does, against what it avoids, as criterion ids under
/// `target/criterion` (`group/function[/parameter]`).
const PAIRS: &[(&str, &str, &str)] = &[
    (
        "client cache hit vs reading Secrets + building TLS",
        "client/cache_hit",
        "client/build_from_secrets",
    ),
    (
        "pooled request vs request with a new TLS 1.3 connection",
        "request/pooled",
        "request/new_connection",
    ),
    (
        "pooled request: client span off vs on (tracing-opentelemetry)",
        "telemetry/spans_off",
        "telemetry/spans_on",
    ),
    (
        "controller X-Principal: cached vs signed per request (RSA-2048)",
        "x-principal/controller/cached",
        "x-principal/controller/sign-rsa2048",
    ),
    (
        "receiver: base64url JSON vs PS512 JWS (RSA-2048)",
        "x-principal/extract/json",
        "x-principal/extract/jws-rsa2048",
    ),
];

/// Which part of the benchmarks to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// The criterion micro-benchmarks.
    Micro,
    /// The side-by-side comparison with bare hyper and reqwest.
    Compare,
}

/// Runs the benchmarks (`quick` shortens them) and prints the ratios; `compare` is passed to
/// the comparison.
pub fn run(quick: bool, only: Option<Only>, compare: &[String]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    if only != Some(Only::Compare) {
        micro(&cargo, quick)?;
    }
    if only != Some(Only::Micro) {
        let mut command = Command::new(&cargo);
        command.args(["run", "--release", "-p", "bench", "--bin", "compare", "--"]);
        if quick {
            command.arg("--quick");
        }
        command.args(compare);
        let status = command.status().context("running the comparison")?;
        if !status.success() {
            bail!("the comparison failed ({status})");
        }
    }
    Ok(())
}

/// The criterion benchmarks and the ratios of their pairs.
fn micro(cargo: &str, quick: bool) -> anyhow::Result<()> {
    for (package, bench) in BENCHES {
        let mut command = Command::new(cargo);
        command.args(["bench", "-p", package, "--bench", bench, "--", "--noplot"]);
        if quick {
            command.args(["--warm-up-time", "1", "--measurement-time", "3"]);
        }
        let status = command
            .status()
            .with_context(|| format!("running the {package} {bench} benchmark"))?;
        if !status.success() {
            bail!("the {package} {bench} benchmark failed ({status})");
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let root = target.join("criterion");
    println!(
        "\n{:<58} {:>12} {:>12} {:>9}",
        "comparison (medians)", "fast", "slow", "ratio"
    );
    for (label, fast, slow) in PAIRS {
        let fast_ns = median_ns(&root, fast)?;
        let slow_ns = median_ns(&root, slow)?;
        println!(
            "{label:<58} {:>12} {:>12} {:>8.0}x",
            human(fast_ns),
            human(slow_ns),
            slow_ns / fast_ns
        );
    }
    Ok(())
}

/// The median estimate, in nanoseconds, criterion recorded for `id` in its last run.
fn median_ns(root: &Path, id: &str) -> anyhow::Result<f64> {
    let path = root.join(id).join("new/estimates.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let estimates: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    estimates["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("{} has no median", path.display()))
}

fn human(ns: f64) -> String {
    match ns {
        ns if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}
