//! Load through one `region_client::Client`: many concurrent calls, each for its own principal
//! and trace, over HTTP/2 and HTTP/1.1, against the region API fake behind its ingress. No call
//! may fail, connections stay bounded, and every call arrives with its own principal and trace.

use std::collections::BTreeMap;

use opentelemetry::{
    Context,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};
use region_client::{
    Client, HttpClientOptions, Principal, RequestContext, identity_client::principal::Caller,
    region_openapi::uuid::Uuid,
};
use region_client_testing::{Ca, KeyKind, kube::KubeApi, region::RegionApi};

const NS: &str = "unikorn";
const ORG: &str = "9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c";
const PROJECT: &str = "77b0d4aa-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

/// The trace of call `n`: trace ID `n + 1`, so that each call's is its own.
fn trace(n: usize) -> (Context, TraceId) {
    let trace_id = TraceId::from_bytes(((n as u128) + 1).to_be_bytes());
    let span = SpanContext::new(
        trace_id,
        SpanId::from_bytes(((n as u64) + 1).to_be_bytes()),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    (Context::new().with_remote_span_context(span), trace_id)
}

async fn load(calls: usize, http1: bool) {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let platform = Ca::new("platform-ca");
    let clients = Ca::new("clients-ca");
    let me = clients.client_cert("compute", KeyKind::EcdsaP256);
    let kube = KubeApi::start().await;
    kube.put_tls_secret(NS, "region-ca", &platform.cert_pem, None);
    kube.put_tls_secret(NS, "compute-client", &me.chain_pem(), Some(&me.key_pem()));
    let certificate = platform.server_cert(&["127.0.0.1"]);
    let region = if http1 {
        RegionApi::start_http1(&certificate, &clients).await
    } else {
        RegionApi::start(&certificate, &clients).await
    };
    let client = Client::new(
        kube.client(),
        region_client::options()
            .with_host(region.url())
            .with_ca_secret(NS, "region-ca"),
        HttpClientOptions::new().with_certificate(NS, "compute-client"),
    );
    let organization: Uuid = ORG.parse().unwrap();

    let tasks: Vec<_> = (0..calls)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                let (otel, _) = trace(n);
                let ctx = RequestContext::new()
                    .with_principal(Principal::new(ORG, PROJECT, format!("user-{n}")))
                    .with_otel_context(otel);
                let api = client.api_client(&ctx).await?;
                let regions = api.list_regions(organization).await?.into_result()?;
                anyhow::ensure!(regions.len() == 1, "call {n}: {regions:?}");
                Ok(())
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(error) = task.await.unwrap() {
            failures.push(format!("{error:#}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );

    // Every call arrived once, with its own principal and its own trace.
    let seen = region.calls();
    assert_eq!(seen.len(), calls);
    let mut actors = BTreeMap::new();
    for call in seen {
        let authenticated = call.authenticated.expect("accepted by the platform");
        assert!(matches!(authenticated.caller, Caller::System { .. }));
        let actor = authenticated.principal.unwrap().actor;
        let n: usize = actor.trim_start_matches("user-").parse().unwrap();
        let traceparent = call.request.header("traceparent").unwrap().to_owned();
        assert_eq!(
            traceparent.split('-').nth(1),
            Some(trace(n).1.to_string().as_str()),
            "{actor} arrived with another call's trace"
        );
        assert!(actors.insert(n, ()).is_none(), "{actor} arrived twice");
    }
    assert_eq!(actors.len(), calls);

    // Connections stay bounded: HTTP/2 multiplexes, HTTP/1.1 opens at most one per call in
    // flight.
    let handshakes = region.server().handshakes();
    if http1 {
        assert!(handshakes <= calls, "{handshakes} connections");
    } else {
        assert!(
            handshakes <= 4,
            "{handshakes} connections for {calls} calls"
        );
    }
    eprintln!(
        "{calls} concurrent calls over {}: 0 failed, {handshakes} connection(s)",
        if http1 { "HTTP/1.1" } else { "HTTP/2" }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_over_http2() {
    load(1000, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_calls_over_http1() {
    load(200, true).await;
}
