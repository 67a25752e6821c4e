//! `cargo xtask fuzz --seconds N`: runs every fuzz target in `fuzz/` (cargo-fuzz, libFuzzer)
//! for N seconds each, prints a summary (runs, speed, corpus, result) and fails when any
//! target found a crash, a panic, a timeout or a leak.
//!
//! Needs the nightly toolchain and cargo-fuzz (`rustup toolchain install nightly`,
//! `cargo install cargo-fuzz`); their absence is reported before anything is built. Each
//! target fuzzes with two corpora: a working one under `fuzz/target/fuzz-corpus/<target>`
//! (kept between runs, not committed) where libFuzzer writes what it finds, and the committed
//! seeds in `fuzz/corpus/<target>`, which are only read. Crashing inputs land in
//! `fuzz/artifacts/<target>/`; each target's whole output in `fuzz/target/fuzz-logs/`.

use std::{
    fmt::Write as _,
    fs,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::codegen::workspace_root;

/// The per-input time limit passed to libFuzzer: an input slower than this is a finding.
const INPUT_TIMEOUT_SECONDS: u64 = 30;

/// Runs the targets (all, or those named in `only`) for `seconds` each.
pub fn run(seconds: u64, only: &[String]) -> Result<()> {
    if seconds == 0 {
        bail!("--seconds must be at least 1");
    }
    let root = workspace_root();
    let fuzz_dir = root.join("fuzz");
    check_toolchain(&fuzz_dir)?;
    let targets = select(list_targets(&fuzz_dir)?, only)?;

    // One build for all targets, so that each target's time is spent fuzzing.
    eprintln!("building {} fuzz targets (nightly, ASan)...", targets.len());
    let status = nightly_cargo()
        .args(["fuzz", "build", "--fuzz-dir"])
        .arg(&fuzz_dir)
        .status()
        .context("running `cargo +nightly fuzz build`")?;
    if !status.success() {
        bail!("`cargo +nightly fuzz build` failed ({status})");
    }

    let logs = fuzz_dir.join("target/fuzz-logs");
    fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let mut results = Vec::new();
    for target in &targets {
        eprintln!("fuzzing {target} for {seconds} s...");
        let result = run_target(&fuzz_dir, &logs, target, seconds)?;
        eprintln!("  {}", result.outcome);
        results.push(result);
    }
    print!("{}", summary(&results));
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.outcome.is_ok())
        .map(|r| r.target.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "fuzzing found problems in: {} (inputs in fuzz/artifacts/, logs in {})",
            failed.join(", "),
            logs.display()
        );
    }
    Ok(())
}

/// `cargo +nightly`, through the rustup proxy on `PATH` (`$CARGO` is the stable toolchain's
/// own binary, which does not understand `+nightly`).
fn nightly_cargo() -> Command {
    let mut command = Command::new("cargo");
    command.arg("+nightly");
    // The toolchain the outer `cargo xtask` ran with must not leak into the nested one.
    command.env_remove("RUSTUP_TOOLCHAIN");
    command
}

/// Fails with what to install when the nightly toolchain or cargo-fuzz is missing.
fn check_toolchain(fuzz_dir: &Path) -> Result<()> {
    if !fuzz_dir.join("Cargo.toml").is_file() {
        bail!("no fuzz crate at {}", fuzz_dir.display());
    }
    let nightly = nightly_cargo().arg("--version").output();
    match nightly {
        Ok(output) if output.status.success() => {}
        Ok(output) => bail!(
            "the nightly toolchain is not available (`cargo +nightly --version`: {}); \
             install it with `rustup toolchain install nightly`",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
        ),
        Err(error) => bail!(
            "cannot run `cargo +nightly` ({error}); fuzzing needs rustup and the nightly \
             toolchain (`rustup toolchain install nightly`)"
        ),
    }
    let fuzz = nightly_cargo().args(["fuzz", "--version"]).output();
    match fuzz {
        Ok(output) if output.status.success() => Ok(()),
        _ => bail!("cargo-fuzz is not installed; install it with `cargo install cargo-fuzz`"),
    }
}

/// The targets `cargo fuzz list` reports.
fn list_targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let output = nightly_cargo()
        .args(["fuzz", "list", "--fuzz-dir"])
        .arg(fuzz_dir)
        .output()
        .context("running `cargo +nightly fuzz list`")?;
    if !output.status.success() {
        bail!(
            "`cargo +nightly fuzz list` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let targets: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if targets.is_empty() {
        bail!(
            "`cargo fuzz list` found no targets in {}",
            fuzz_dir.display()
        );
    }
    Ok(targets)
}

/// `all`, or only the targets named in `only` (each of which must exist).
fn select(all: Vec<String>, only: &[String]) -> Result<Vec<String>> {
    if only.is_empty() {
        return Ok(all);
    }
    for name in only {
        if !all.contains(name) {
            bail!(
                "no fuzz target {name:?}; the targets are: {}",
                all.join(", ")
            );
        }
    }
    Ok(all.into_iter().filter(|t| only.contains(t)).collect())
}

/// What one target's run gave.
#[derive(Debug, Clone, PartialEq)]
struct TargetResult {
    target: String,
    seconds: f64,
    stats: Stats,
    outcome: Outcome,
}

/// The numbers libFuzzer reports.
#[derive(Debug, Clone, Default, PartialEq)]
struct Stats {
    /// Inputs executed (`stat::number_of_executed_units`, else the last status line's `#N`).
    runs: Option<u64>,
    /// `stat::average_exec_per_sec`.
    execs_per_sec: Option<u64>,
    /// Corpus entries and size at the end (`corp: N/SIZE` of the last status line).
    corpus: Option<(u64, String)>,
    /// `stat::new_units_added`.
    new_units: Option<u64>,
    /// `stat::peak_rss_mb`.
    peak_rss_mb: Option<u64>,
    /// Where libFuzzer wrote a failing input (`Test unit written to ...`).
    artifact: Option<String>,
}

/// How a target's run ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Ran for the whole time without a finding.
    Ok,
    /// A finding: its kind (`crash`, `timeout`, `out of memory`, `leak`) and the input.
    Finding {
        kind: &'static str,
        artifact: Option<String>,
    },
    /// libFuzzer or cargo-fuzz failed without a finding (e.g. the build broke).
    Failed(String),
}

impl Outcome {
    fn is_ok(&self) -> bool {
        matches!(self, Self::Ok)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ok => f.write_str("ok"),
            Self::Finding {
                kind,
                artifact: Some(artifact),
            } => write!(f, "{kind}: {artifact}"),
            Self::Finding {
                kind,
                artifact: None,
            } => write!(f, "{kind}"),
            Self::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

fn run_target(fuzz_dir: &Path, logs: &Path, target: &str, seconds: u64) -> Result<TargetResult> {
    let work: PathBuf = fuzz_dir.join("target/fuzz-corpus").join(target);
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let seeds = fuzz_dir.join("corpus").join(target);
    let log_path = logs.join(format!("{target}.log"));

    let mut command = nightly_cargo();
    command
        .args(["fuzz", "run", "--fuzz-dir"])
        .arg(fuzz_dir)
        .arg(target)
        .arg(&work);
    if seeds.is_dir() {
        command.arg(&seeds);
    }
    command
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECONDS}"))
        .arg("-print_final_stats=1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("running `cargo +nightly fuzz run {target}`"))?;
    // libFuzzer reports on stderr; cargo-fuzz prints the failing input's `Debug` on stdout.
    let stdout = child.stdout.take();
    let out_thread = std::thread::spawn(move || {
        stdout
            .map(|s| {
                BufReader::new(s)
                    .lines()
                    .map_while(Result::ok)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let mut lines = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        lines.extend(BufReader::new(stderr).lines().map_while(Result::ok));
    }
    let status = child.wait().context("waiting for `cargo fuzz run`")?;
    let elapsed = started.elapsed();
    lines.extend(out_thread.join().unwrap_or_default());
    let text = lines.join("\n");
    fs::write(&log_path, &text).with_context(|| format!("writing {}", log_path.display()))?;

    let stats = parse_stats(&text);
    let outcome = outcome(status.success(), &text, &stats);
    if !outcome.is_ok() {
        // The crash report: the end of the log.
        let tail: Vec<&str> = lines.iter().rev().take(60).map(String::as_str).collect();
        for line in tail.iter().rev() {
            eprintln!("    {line}");
        }
    }
    Ok(TargetResult {
        target: target.to_owned(),
        seconds: round(elapsed),
        stats,
        outcome,
    })
}

fn round(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 10.0).round() / 10.0
}

/// The numbers in libFuzzer's output.
fn parse_stats(output: &str) -> Stats {
    let mut stats = Stats::default();
    let mut last_status_runs = None;
    for line in output.lines() {
        let line = line.trim();
        let stat = |name: &str| {
            line.strip_prefix(name)
                .and_then(|rest| rest.trim().parse::<u64>().ok())
        };
        if let Some(n) = stat("stat::number_of_executed_units:") {
            stats.runs = Some(n);
        } else if let Some(n) = stat("stat::average_exec_per_sec:") {
            stats.execs_per_sec = Some(n);
        } else if let Some(n) = stat("stat::new_units_added:") {
            stats.new_units = Some(n);
        } else if let Some(n) = stat("stat::peak_rss_mb:") {
            stats.peak_rss_mb = Some(n);
        } else if let Some(at) = line.find("Test unit written to ") {
            stats.artifact = Some(line[at + "Test unit written to ".len()..].trim().to_owned());
        } else if let Some(rest) = line.strip_prefix('#') {
            // `#123456	pulse  cov: 1234 ft: 5678 corp: 321/45Kb lim: 4096 exec/s: 987 ...`
            let mut fields = rest.split_whitespace();
            if let Some(runs) = fields.next().and_then(|n| n.parse::<u64>().ok()) {
                last_status_runs = Some(runs);
            }
            let words: Vec<&str> = rest.split_whitespace().collect();
            if let Some(i) = words.iter().position(|w| *w == "corp:")
                && let Some((entries, size)) = words.get(i + 1).and_then(|c| c.split_once('/'))
                && let Ok(entries) = entries.parse::<u64>()
            {
                stats.corpus = Some((entries, size.to_owned()));
            }
        }
    }
    if stats.runs.is_none() {
        stats.runs = last_status_runs;
    }
    stats
}

/// How the run ended, from cargo-fuzz's exit status and libFuzzer's output.
fn outcome(success: bool, output: &str, stats: &Stats) -> Outcome {
    let kind = if output.contains("ERROR: libFuzzer: timeout") {
        Some("timeout")
    } else if output.contains("ERROR: libFuzzer: out-of-memory")
        || output.contains("ERROR: libFuzzer: malloc limit")
    {
        Some("out of memory")
    } else if output.contains("ERROR: LeakSanitizer") {
        Some("leak")
    } else if output.contains("ERROR: libFuzzer: deadly signal")
        || output.contains("ERROR: AddressSanitizer")
        || output.contains("ERROR: libFuzzer: fuzz target exited")
        || stats.artifact.is_some()
    {
        Some("crash")
    } else {
        None
    };
    match (kind, success) {
        (Some(kind), _) => Outcome::Finding {
            kind,
            artifact: stats.artifact.clone(),
        },
        (None, true) => Outcome::Ok,
        (None, false) => Outcome::Failed(
            output
                .lines()
                .rev()
                .find(|l| l.contains("error"))
                .unwrap_or("cargo fuzz run exited with an error")
                .trim()
                .to_owned(),
        ),
    }
}

/// The table printed at the end.
fn summary(results: &[TargetResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<16} {:>7} {:>12} {:>9} {:>16} {:>9}  result",
        "target", "seconds", "runs", "exec/s", "corpus", "new units"
    );
    let show = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    for r in results {
        let corpus = r
            .stats
            .corpus
            .as_ref()
            .map_or_else(|| "?".to_owned(), |(n, size)| format!("{n} ({size})"));
        let _ = writeln!(
            out,
            "{:<16} {:>7.1} {:>12} {:>9} {:>16} {:>9}  {}",
            r.target,
            r.seconds,
            show(r.stats.runs),
            show(r.stats.execs_per_sec),
            corpus,
            show(r.stats.new_units),
            r.outcome
        );
    }
    let total: f64 = results.iter().map(|r| r.seconds).sum();
    let runs: u64 = results.iter().filter_map(|r| r.stats.runs).sum();
    let _ = writeln!(out, "total: {total:.1} s, {runs} runs");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end of a real libFuzzer run (cargo-fuzz 0.13, libFuzzer of LLVM 20).
    const CLEAN_RUN: &str = "\
INFO: Running with entropic power schedule (0xFF, 100).
INFO: Seed: 2254370437
INFO:        7 files found in fuzz/corpus/extract
#8	INITED cov: 2113 ft: 2376 corp: 7/10Kb exec/s: 0 rss: 61Mb
#4096	pulse  cov: 2300 ft: 3000 corp: 80/20Kb lim: 4096 exec/s: 2048 rss: 80Mb
#262144	pulse  cov: 2433 ft: 4501 corp: 312/96Kb lim: 4096 exec/s: 2912 rss: 310Mb
#263921	DONE   cov: 2433 ft: 4502 corp: 313/97Kb lim: 4096 exec/s: 2899 rss: 311Mb
Done 263921 runs in 91 second(s)
stat::number_of_executed_units: 263921
stat::average_exec_per_sec:     2899
stat::new_units_added:          2210
stat::slowest_unit_time_sec:    0
stat::peak_rss_mb:              311";

    const CRASH: &str = "\
#1024	pulse  cov: 800 ft: 900 corp: 40/2Kb lim: 4096 exec/s: 512 rss: 50Mb

thread '<unnamed>' panicked at fuzz_targets/reference.rs:20:5:
assertion `left == right` failed
==12345== ERROR: libFuzzer: deadly signal
MS: 2 ChangeBit-CopyPart-; base unit: 0123
artifact_prefix='/w/fuzz/artifacts/reference/'; Test unit written to /w/fuzz/artifacts/reference/crash-abc123
stat::number_of_executed_units: 1100
stat::average_exec_per_sec:     550";

    #[test]
    fn stats_come_from_the_final_stats_and_the_last_status_line() {
        let stats = parse_stats(CLEAN_RUN);
        assert_eq!(
            stats,
            Stats {
                runs: Some(263_921),
                execs_per_sec: Some(2899),
                corpus: Some((313, "97Kb".into())),
                new_units: Some(2210),
                peak_rss_mb: Some(311),
                artifact: None,
            }
        );
        assert_eq!(outcome(true, CLEAN_RUN, &stats), Outcome::Ok);
    }

    #[test]
    fn runs_fall_back_to_the_last_status_line() {
        let stats = parse_stats(
            "#8\tINITED cov: 1 ft: 1 corp: 1/1b exec/s: 0 rss: 30Mb\n#99\tDONE cov: 1 ft: 1 corp: 2/3b",
        );
        assert_eq!(stats.runs, Some(99));
        assert_eq!(stats.corpus, Some((2, "3b".into())));
        assert_eq!(stats.execs_per_sec, None);
    }

    #[test]
    fn a_panic_is_a_crash_with_its_input() {
        let stats = parse_stats(CRASH);
        assert_eq!(
            stats.artifact.as_deref(),
            Some("/w/fuzz/artifacts/reference/crash-abc123")
        );
        let outcome = outcome(false, CRASH, &stats);
        assert_eq!(
            outcome,
            Outcome::Finding {
                kind: "crash",
                artifact: Some("/w/fuzz/artifacts/reference/crash-abc123".into())
            }
        );
        assert_eq!(
            outcome.to_string(),
            "crash: /w/fuzz/artifacts/reference/crash-abc123"
        );
    }

    #[test]
    fn timeouts_leaks_and_build_failures_are_told_apart() {
        let timeout =
            "==1== ERROR: libFuzzer: timeout after 31 seconds\nTest unit written to a/timeout-1";
        assert!(matches!(
            outcome(false, timeout, &parse_stats(timeout)),
            Outcome::Finding { kind: "timeout", artifact: Some(a) } if a == "a/timeout-1"
        ));
        let leak = "==1==ERROR: LeakSanitizer: detected memory leaks";
        assert!(matches!(
            outcome(false, leak, &parse_stats(leak)),
            Outcome::Finding { kind: "leak", .. }
        ));
        let build = "error[E0425]: cannot find value `x`\nerror: could not compile `fuzz`";
        assert_eq!(
            outcome(false, build, &parse_stats(build)),
            Outcome::Failed("error: could not compile `fuzz`".into())
        );
    }

    #[test]
    fn the_summary_has_a_row_per_target_and_the_totals() {
        let stats = parse_stats(CLEAN_RUN);
        let results = vec![
            TargetResult {
                target: "extract".into(),
                seconds: 91.0,
                stats: stats.clone(),
                outcome: Outcome::Ok,
            },
            TargetResult {
                target: "reference".into(),
                seconds: 2.5,
                stats: parse_stats(CRASH),
                outcome: outcome(false, CRASH, &parse_stats(CRASH)),
            },
        ];
        let table = summary(&results);
        let rows: Vec<&str> = table.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(rows.len(), 4, "{table}");
        assert!(rows[1].starts_with("extract"), "{table}");
        assert!(rows[1].contains("263921") && rows[1].contains("313 (97Kb)"));
        assert!(rows[1].ends_with("ok"), "{table}");
        assert!(rows[2].contains("crash: /w/fuzz/artifacts/reference/crash-abc123"));
        assert_eq!(rows[3], "total: 93.5 s, 265021 runs");
    }

    #[test]
    fn only_known_targets_can_be_selected() {
        let all = vec!["extract".to_owned(), "reference".to_owned()];
        assert_eq!(select(all.clone(), &[]).unwrap(), all);
        assert_eq!(
            select(all.clone(), &["reference".to_owned()]).unwrap(),
            ["reference"]
        );
        let error = select(all, &["nope".to_owned()]).unwrap_err().to_string();
        assert!(error.contains("extract, reference"), "{error}");
    }
}
