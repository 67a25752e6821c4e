//! `compare`: the trust stack against a bare hyper client and reqwest, side by side in one
//! process, on one local mTLS server (`cargo xtask bench` runs it after the criterion
//! benchmarks).
//!
//! Every client makes the same call, `GET /api/v1/organizations/{id}/regions`, reads the whole
//! body and decodes it into the generated `types::Regions`, against a TLS 1.3 server on
//! 127.0.0.1 that requires a client certificate and offers HTTP/1.1 only, or HTTP/2. For each
//! protocol and number of concurrent callers, each client runs `--rounds` rounds of
//! `--requests` calls, the clients taking turns within a round so that a noisy moment of the
//! machine hits them alike; the report gives requests per second (min/median/max over rounds),
//! p50/p99 latency, and each client's median throughput relative to the bare client A.
//!
//! ```sh
//! cargo run --release -p bench --bin compare -- --quick
//! cargo run --release -p bench --bin compare -- --variants A,B --protocols http2 --callers 64 --no-telemetry
//! ```

mod clients;
mod load;
mod report;
mod server;

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use bytes::Bytes;
use clap::Parser;

use crate::{
    clients::{Ablation, Caller, Fixture, Variant},
    report::{Cell, Summary},
    server::{Protocol, Server},
};

/// The trust stack against bare hyper and reqwest, side by side.
#[derive(Debug, Parser)]
struct Args {
    /// Fewer calls and rounds (under a minute in all).
    #[arg(long)]
    quick: bool,
    /// Calls per round (default 20,000; 4,000 with --quick).
    #[arg(long)]
    requests: Option<usize>,
    /// Rounds per client and setting (default 3).
    #[arg(long)]
    rounds: Option<usize>,
    /// The clients to run (A, A2, B, B', C, D; default all).
    #[arg(long, value_enum, value_delimiter = ',')]
    variants: Vec<Variant>,
    /// The protocols (http1, http2; default both).
    #[arg(long, value_enum, value_delimiter = ',')]
    protocols: Vec<Protocol>,
    /// Concurrent callers (default 1 and 64).
    #[arg(long, value_delimiter = ',')]
    callers: Vec<usize>,
    /// Ablation: retries off (`RetryConfig::disabled()`) for B, B' and C.
    #[arg(long)]
    no_retries: bool,
    /// Ablation: client spans and metrics off (`TelemetryConfig::disabled()`) for B, B' and C.
    #[arg(long)]
    no_telemetry: bool,
    /// Ablation: B without the trace-context editor.
    #[arg(long)]
    no_trace_editor: bool,
    /// Ablation: B without the principal editor.
    #[arg(long)]
    no_principal_editor: bool,
    /// Ablation: B, B' and C with the HTTP version fixed to the server's
    /// (`HttpVersion::Http1`/`Http2`) instead of learned per host.
    #[arg(long)]
    no_discovery: bool,
    /// Install a tracing-opentelemetry subscriber (SDK tracer, always sampled, not exported)
    /// at INFO, as a service exporting traces has.
    #[arg(long)]
    otel: bool,
    /// Where summary.json and summary.svg go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let _provider = args.otel.then(install_otel_subscriber).transpose()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let requests = args
        .requests
        .unwrap_or(if args.quick { 4_000 } else { 20_000 });
    let rounds = args.rounds.unwrap_or(3);
    let variants = or_all(args.variants, &Variant::ALL);
    let protocols = or_all(args.protocols, &[Protocol::Http1, Protocol::Http2]);
    let callers = or_all(args.callers, &[1, 64]);
    let ablation = Ablation {
        no_retries: args.no_retries,
        no_telemetry: args.no_telemetry,
        no_trace_editor: args.no_trace_editor,
        no_principal_editor: args.no_principal_editor,
        no_discovery: args.no_discovery,
    };

    let fixture = Fixture::new().await;
    let body = list_regions_body();
    let mut cells = Vec::new();
    for &protocol in &protocols {
        let server = Server::start(
            &fixture.platform.server_cert(&["127.0.0.1"]),
            &fixture.clients,
            protocol,
            body.clone(),
        )
        .await?;
        for &concurrency in &callers {
            // Each client set up and warmed once per setting, then measured in turns.
            let mut set = Vec::new();
            for &variant in &variants {
                let caller = Arc::new(
                    Caller::new(variant, &fixture, &server.url(), protocol, ablation)
                        .await
                        .with_context(|| format!("setting up {}", variant.name()))?,
                );
                load::warm_up(&caller, concurrency)
                    .await
                    .with_context(|| format!("warming up {}", variant.name()))?;
                set.push((variant, caller, Vec::new()));
            }
            for round in 0..rounds {
                for (variant, caller, results) in &mut set {
                    let measured = load::round(caller, concurrency, requests)
                        .await
                        .with_context(|| format!("{} round {round}", variant.name()))?;
                    eprintln!(
                        "{protocol} {concurrency:>3} callers {:<3} round {}: {:>9.0} req/s",
                        variant.name(),
                        round + 1,
                        measured.requests_per_second
                    );
                    results.push(measured);
                }
            }
            cells.extend(set.into_iter().map(|(variant, _, rounds)| Cell {
                protocol,
                callers: concurrency,
                variant,
                rounds,
            }));
        }
    }
    let summary = Summary::new(&cells, requests, rounds, args.otel, ablation);
    print!("{}", summary.table());
    summary.write(&args.out)
}

fn or_all<T: Clone>(chosen: Vec<T>, all: &[T]) -> Vec<T> {
    if chosen.is_empty() {
        all.to_vec()
    } else {
        chosen
    }
}

/// The region API's answer to list-regions: three regions as v1.19.0 describes them.
fn list_regions_body() -> Bytes {
    let regions: Vec<serde_json::Value> = [
        "c7568e2d-f9ab-453d-9a3a-51375f78426b",
        "0f9a3c2e-1d2b-4c3d-8e4f-5a6b7c8d9e0f",
        "6e5d4c3b-2a19-4807-b6a5-948372615041",
    ]
    .iter()
    .map(|id| region_client_testing::region::region(id, "openstack"))
    .collect();
    Bytes::from(serde_json::Value::Array(regions).to_string())
}

/// A tracing subscriber exporting through tracing-opentelemetry to an SDK tracer provider that
/// samples every span and exports none, at INFO (the client spans' level).
fn install_otel_subscriber() -> anyhow::Result<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOn)
        .build();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")))
            .with(tracing_subscriber::filter::LevelFilter::INFO),
    )?;
    Ok(provider)
}
