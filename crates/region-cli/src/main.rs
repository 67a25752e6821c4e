//! `region`: the operator's command for the platform's region API. See the crate's README
//! section "Operators: `region doctor`" and `region --help`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // The libraries' warnings (a Secret that could not be re-read, ...) on the error stream;
    // `RUST_LOG` chooses more.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    region_cli::run(std::env::args_os(), &mut out, &mut err).await
}
