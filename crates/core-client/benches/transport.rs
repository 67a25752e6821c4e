//! What the caching and pooling of core-client save, measured side by side in one run.
//!
//! ```sh
//! cargo bench -p unikorn-core-client --bench transport
//! ```
//!
//! - `client/cache_hit` vs `client/build_from_secrets`: asking a `ClientCache` again for the
//!   same options vs reading both Secrets from the (local) Kubernetes API and building the TLS
//!   configuration and connector.
//! - `request/pooled` vs `request/new_connection`: a GET over a pooled mTLS connection vs one
//!   that pays a full TLS 1.3 handshake (a fresh client per request).
//! - `telemetry/spans_on` vs `telemetry/spans_off`: a pooled GET with its client span recorded
//!   by a `tracing-opentelemetry` subscriber (OpenTelemetry SDK, spans built and ended, not
//!   exported) vs the same with spans off in `TelemetryConfig`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use core_client::{
    ClientCache, HttpClient, HttpClientOptions, HttpConfig, HttpOptions, TelemetryConfig,
};
use criterion::{Criterion, criterion_group, criterion_main};
use region_client_testing::{Ca, KeyKind, TestServer, kube::KubeApi, server::client_tls_config};
use tracing_subscriber::layer::SubscriberExt;

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let platform = Ca::new("platform");
    let clients = Ca::new("clients");
    let me = clients.client_cert("bench", KeyKind::EcdsaP256);
    let (kube, server) = runtime.block_on(async {
        let kube = KubeApi::start().await;
        kube.put_tls_secret("ns", "ca", &platform.cert_pem, None);
        kube.put_tls_secret("ns", "me", &me.chain_pem(), Some(&me.key_pem()));
        let server = TestServer::builder(&platform.server_cert(&["127.0.0.1"]))
            .require_client_cert(&clients)
            .start()
            .await;
        (kube, server)
    });
    let options = HttpOptions::new("bench")
        .with_host(server.url())
        .with_ca_secret("ns", "ca");
    let client_options = HttpClientOptions::new().with_certificate("ns", "me");
    let cache = ClientCache::new(runtime.block_on(async { kube.client() }));
    let url = format!("{}/bench", server.url());
    let request = || http::Request::get(&url).body(Bytes::new()).unwrap();

    let mut group = c.benchmark_group("client");
    group.bench_function("cache_hit", |b| {
        b.to_async(&runtime).iter(|| async {
            black_box(cache.http_client(&options, &client_options).await.unwrap())
        })
    });
    group.bench_function("build_from_secrets", |b| {
        b.to_async(&runtime).iter(|| async {
            black_box(
                HttpClient::new(cache.kube_client().clone(), &options, &client_options)
                    .await
                    .unwrap(),
            )
        })
    });
    group.finish();

    let pooled = runtime
        .block_on(cache.http_client(&options, &client_options))
        .unwrap();
    let mut group = c.benchmark_group("request");
    group.bench_function("pooled", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(pooled.send(request()).await.unwrap()) })
    });
    group.bench_function("new_connection", |b| {
        b.to_async(&runtime).iter(|| async {
            let fresh = HttpClient::from_tls_config(
                client_tls_config(&platform, Some(&me)),
                None,
                HttpConfig::default(),
            );
            black_box(fresh.send(request()).await.unwrap())
        })
    });
    group.finish();

    // From here on a subscriber records spans into the OpenTelemetry SDK, as in a service
    // (which keeps the HTTP libraries' own trace-level spans out with a level filter).
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(
            opentelemetry::trace::TracerProvider::tracer(&provider, "bench"),
        ))
        .with(tracing_subscriber::filter::LevelFilter::INFO);
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let client = |telemetry| {
        let options = options
            .clone()
            .with_config(HttpConfig::default().with_telemetry(telemetry));
        runtime
            .block_on(cache.http_client(&options, &client_options))
            .unwrap()
    };
    let spans_on = client(TelemetryConfig::default());
    let spans_off = client(TelemetryConfig {
        spans: false,
        ..TelemetryConfig::default()
    });
    let mut group = c.benchmark_group("telemetry");
    group.bench_function("spans_on", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(spans_on.send(request()).await.unwrap()) })
    });
    group.bench_function("spans_off", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(spans_off.send(request()).await.unwrap()) })
    });
    group.finish();
    drop(server);
}

criterion_group!(transport, benches);
criterion_main!(transport);
