//! The operator's `region` command, as a library: [`run`] is the whole command, so tests and
//! other programs drive it without a process.
//!
//! The command takes the flags and environment variables a service of the platform takes
//! (`--region-host`, `--region-ca-secret-namespace`, `--region-ca-secret-name`,
//! `--client-certificate-namespace`, `--client-certificate-name`,
//! `--client-certificate-reload-interval`; read by `core-client`'s own clap glue), and the
//! Kubernetes configuration the way kube infers it (`--kubeconfig`, `--context`, else
//! `$KUBECONFIG`, `~/.kube/config` or the pod's service account). So an operator runs it with
//! a service's own settings, in its pod or locally:
//!
//! - `region doctor [--organization-id UUID] [--warn-days N] [--max-clock-skew D]`: checks the
//!   service's trust setup end to end, one line per check (✓, ! warning, × failure, -
//!   skipped), the cause and the fix under each failure, then a summary; exit status 1 when a
//!   check fails;
//! - `region regions list --organization-id UUID`, `region networks get NETWORK_ID`,
//!   `region references add|remove NETWORK_ID REFERENCE`: the region API by hand, on the API
//!   path (`--organization-id`, `--project-id`, `--actor`, `--impersonate`) or the controller
//!   path (`--as-controller`, the principal read from a resource in `--namespace`); on failure
//!   the platform's error body and trace ID.
//!
//! Every command prints text by default, and `--output json` or `--output yaml` for automation.
//!
//! ```no_run
//! # async fn demo() {
//! let mut out = Vec::new();
//! let mut err = Vec::new();
//! let status = region_cli::run(
//!     ["region", "doctor", "--region-host", "https://region.example.com", "--output", "json"],
//!     &mut out,
//!     &mut err,
//! )
//! .await;
//! # let _ = status;
//! # }
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cli;
mod commands;
mod doctor;
mod kubeconfig;
mod render;
mod resource;

use std::{ffi::OsString, io::Write, process::ExitCode};

/// Runs the `region` command with `args` (the program name first, as `std::env::args_os`
/// gives them): results on `out`; errors, and the help asked for with a usage error, on `err`.
///
/// Exit status: 0 on success; 1 when a `doctor` check failed or a command failed (with
/// `--output json|yaml`, a failure is a document `{"error": {...}}` on `out`); 2 for a usage
/// error. `--help` and `--version` print on `out` and succeed.
///
/// Must be awaited within a Tokio runtime (multi-threaded or not).
pub async fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let invocation = match cli::parse(args) {
        Ok(invocation) => invocation,
        Err(error) => {
            let informational = matches!(
                error.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            );
            // Nothing more can be said when the stream is gone.
            let _ = if informational {
                write!(out, "{}", error.render())
            } else {
                write!(err, "{}", error.render())
            };
            return if informational {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    // The platform's propagator, so that calls carry the trace context as a service's do.
    identity_client::install_trace_propagator();
    match &invocation.cli.command {
        cli::Command::Doctor(args) => doctor::run(&invocation, args, out).await,
        _ => commands::run(invocation, out, err).await,
    }
}
