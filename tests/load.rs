//! Load through one `region_client::Client`, against the region API fake behind its ingress.
//!
//! - Many concurrent calls on the API path, each for its own principal and trace, over HTTP/2
//!   and HTTP/1.1: no call may fail, connections stay bounded, and every call arrives with its
//!   own principal and trace.
//! - The production mix: calls across 60 principals, half on the API path (a quarter of those
//!   impersonating) and half on the controller path (PS512), while the client certificate
//!   rotates three times and the server drops every connection once: no call may fail, none
//!   arrives with another's principal, impersonation or trace, and every signed principal
//!   verifies against the certificate presented on the connection it came over.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use k8s_openapi::{api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use opentelemetry::{
    Context,
    context::FutureExt as _,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};
use region_client::{
    Client, HttpClientOptions, HttpConfig, Principal, RequestContext,
    identity_client::principal::{self, Caller, jws},
    region_openapi::uuid::Uuid,
};
use region_client_testing::{Ca, KeyKind, Leaf, kube::KubeApi, region::RegionApi};
use tokio::sync::watch;

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

/// The call a request belongs to, from the trace ID of its `traceparent`.
fn call_of(request: &region_client_testing::RecordedRequest) -> usize {
    let traceparent = request.header("traceparent").expect("every call is traced");
    let trace_id = traceparent.split('-').nth(1).expect("a W3C traceparent");
    let n = u128::from_str_radix(trace_id, 16).expect("hex trace ID");
    usize::try_from(n - 1).expect("a call number")
}

async fn load(calls: usize, http1: bool) {
    region_client::install_trace_propagator();
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
        assert_eq!(
            call_of(&call.request),
            n,
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

/// How many principals the production mix spreads its calls over.
const PRINCIPALS: usize = 60;

/// The client certificate rotates this many times during the run: the client starts with the
/// RSA key of slot 0 and moves to slots 1, 2 and 3.
const ROTATIONS: usize = 3;

/// How long the driver waits for the traffic to reach one of its points before giving up
/// (a bound for a broken run, never reached by a passing one).
const STALL: Duration = Duration::from_secs(120);

/// The path a call of the production mix takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// `api_client`: `GET /api/v1/organizations/{organizationID}/regions` for the principal's
    /// organization, impersonating the principal or not.
    Api { impersonate: bool },
    /// `controller_client` for a resource labelled with the principal:
    /// `GET /api/v2/networks/{networkID}` for the principal's network, the principal signed.
    Controller,
}

/// Call `n` of the production mix: even calls on the API path, odd ones on the controller
/// path; principal `(n / 2) % 60`, so each principal is called on both paths; a quarter of the
/// API calls impersonate, the impersonating principals changing from one block of 60 calls to
/// the next.
fn plan(n: usize) -> (usize, Path) {
    let i = n / 2;
    let principal = i % PRINCIPALS;
    let path = if n.is_multiple_of(2) {
        Path::Api {
            impersonate: i % 4 == (i / PRINCIPALS) % 4,
        }
    } else {
        Path::Controller
    };
    (principal, path)
}

fn organization(p: usize) -> Uuid {
    Uuid::from_u128(0x9a3f1c2e_5b7d_4e0a_8c6f_000000000000 + p as u128)
}

fn project(p: usize) -> Uuid {
    Uuid::from_u128(0x77b0d4aa_1c2d_4e5f_8a9b_000000000000 + p as u128)
}

fn network(p: usize) -> Uuid {
    Uuid::from_u128(0xc0a80101_0000_4000_8000_000000000000 + p as u128)
}

fn expected_principal(p: usize) -> Principal {
    Principal::new(organization(p), project(p), format!("user-{p}"))
}

/// The resource a controller reconciles for principal `p`, labelled as the platform's API
/// labels what it creates.
fn resource(p: usize) -> ConfigMap {
    let map = |entries: [(&str, String); 2]| {
        Some(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    };
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(format!("cluster-{p}")),
            namespace: Some(format!("project-{p}")),
            labels: map([
                (principal::ORGANIZATION_LABEL, organization(p).to_string()),
                (principal::PROJECT_LABEL, project(p).to_string()),
            ]),
            annotations: Some(
                [(
                    principal::CREATOR_ANNOTATION.to_owned(),
                    format!("user-{p}"),
                )]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        ..ConfigMap::default()
    }
}

/// One call of the production mix, once `phase` has been released: builds its client (the
/// API path's from a context, the controller path's from the resource, under the call's
/// trace) and makes the call. Returns how many times the request was sent.
async fn production_call(
    client: Client,
    n: usize,
    phase: usize,
    mut release: watch::Receiver<usize>,
) -> anyhow::Result<u32> {
    release.wait_for(|released| *released >= phase).await?;
    let (p, path) = plan(n);
    let (otel, _) = trace(n);
    let attempts = match path {
        Path::Api { impersonate } => {
            let mut ctx = RequestContext::new()
                .with_principal(expected_principal(p))
                .with_otel_context(otel);
            if impersonate {
                ctx = ctx.impersonating();
            }
            let api = client.api_client(&ctx).await?;
            let answer = api.list_regions(organization(p)).await?;
            let attempts = answer.attempts();
            let regions = answer.into_result()?;
            anyhow::ensure!(regions.len() == 1, "call {n}: {regions:?}");
            attempts
        }
        Path::Controller => {
            // A controller's calls continue its reconcile span's trace: the current context.
            async {
                let api = client.controller_client(&resource(p)).await?;
                let answer = api.get_network_v2(network(p)).await?;
                let attempts = answer.attempts();
                let got = answer.into_result()?;
                anyhow::ensure!(
                    got.metadata.id == network(p).to_string(),
                    "call {n}: {got:?}"
                );
                Ok(attempts)
            }
            .with_context(otel)
            .await?
        }
    };
    Ok(attempts)
}

/// The production mix over one `Client`: `calls` calls, all spawned at once, released in four
/// phases of equal size. The client certificate rotates just before each phase after the
/// first is released, soon after the previous phase got its first answers, so that calls
/// signed with one certificate are still in flight when the next is picked up. The server
/// hangs on more than half of the first phase's requests (signed before all three rotations)
/// and, once the last phase is under way, drops every connection, cutting those and whatever
/// else is in flight. The driver waits on the fake's count of answers, never on time.
async fn production_mix(calls: usize, http1: bool) {
    region_client::install_trace_propagator();
    let platform = Ca::new("platform-ca");
    let clients = Ca::new("clients-ca");
    let certificates: Vec<Leaf> = (0..=ROTATIONS)
        .map(|slot| clients.client_cert_rsa("compute", slot))
        .collect();
    let kube = KubeApi::start().await;
    kube.put_tls_secret(NS, "region-ca", &platform.cert_pem, None);
    let store = |leaf: &Leaf| {
        kube.put_tls_secret(
            NS,
            "compute-client",
            &leaf.chain_pem(),
            Some(&leaf.key_pem()),
        );
    };
    store(&certificates[0]);
    let server_certificate = platform.server_cert(&["127.0.0.1"]);
    let region = if http1 {
        RegionApi::start_http1(&server_certificate, &clients).await
    } else {
        RegionApi::start(&server_certificate, &clients).await
    };
    for p in 0..PRINCIPALS {
        let (network, organization, project) = (network(p), organization(p), project(p));
        region.add_network(network, organization, project);
    }
    let client = Client::new(
        kube.client(),
        region_client::options()
            .with_host(region.url())
            .with_ca_secret(NS, "region-ca")
            // The requests the server hangs on wait for the drop, however slow a loaded
            // machine makes the run up to it.
            .with_config(HttpConfig::default().with_request_timeout(STALL)),
        HttpClientOptions::new().with_certificate(NS, "compute-client"),
    );
    client.ready().await.unwrap();
    let http = client.plain_client().await.unwrap().http_client().clone();

    let phases = ROTATIONS + 1;
    let phase_size = calls / phases;
    let (release, released) = watch::channel(0);
    let mut attempts = BTreeMap::new();
    // Call 0 goes alone, as the first request to a host does anyway: the client learns the
    // server's protocol from it.
    let first = production_call(client.clone(), 0, 0, released.clone()).await;
    attempts.insert(0, first.unwrap());
    // The server hangs on the next requests to arrive until it drops its connections: more
    // than half a phase, so that controller calls (half of each phase) are among them.
    let hung = phase_size / 2 + 1;
    region.server().hang_next(hung);
    let tasks: Vec<_> = (1..calls)
        .map(|n| {
            let call = production_call(client.clone(), n, n / phase_size, released.clone());
            (n, tokio::spawn(call))
        })
        .collect();

    // The driver: each step when the fake has answered this many requests more.
    let reach = |count: usize| {
        let region = &region;
        async move {
            tokio::time::timeout(STALL, region.wait_for_calls(count))
                .await
                .unwrap_or_else(|_| panic!("the fake answered fewer than {count} requests"));
        }
    };
    // How many requests the fake had answered when each certificate was picked up.
    let mut rotated_at = vec![0];
    let mut released_at = 1;
    for (phase, certificate) in certificates.iter().enumerate().skip(1) {
        // Soon after the last phase released got its first answers: most of its calls are
        // still to be signed, sent or answered when the client picks up the next certificate.
        reach(released_at + phase_size / 8).await;
        store(certificate);
        assert!(http.reload().await.unwrap(), "rotation {phase} picked up");
        rotated_at.push(region.calls().len());
        release.send_replace(phase);
        released_at = region.calls().len();
    }
    // The server drops every connection once: the calls it hung on since the first phase
    // (signed before the three rotations) and whatever else is in flight are cut, and sent
    // again.
    reach(released_at + phase_size / 8).await;
    region.server().close_connections();
    let dropped_at = region.calls().len();

    let mut failures = Vec::new();
    for (n, task) in tasks {
        match task.await.unwrap() {
            Ok(sent) => {
                attempts.insert(n, sent);
            }
            Err(error) => failures.push(format!("call {n}: {error:#}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {calls} failed: {failures:#?}",
        failures.len()
    );

    // Every request the fake saw belongs to one call, and carries that call's principal,
    // impersonation flag and trace; a signed principal verifies against the certificate
    // presented on the connection it came over.
    let mut arrivals = vec![0u32; calls];
    let mut by_certificate = vec![0usize; certificates.len()];
    // Requests that arrived presenting a certificate the client had already rotated out.
    let mut after_rotation = 0;
    // Of those, controller requests signed with the first certificate that arrived after the
    // third rotation.
    let mut signed_before_three_rotations = 0;
    let seen = region.calls();
    for (index, request) in seen.iter().enumerate() {
        let n = call_of(&request.request);
        assert!(n < calls, "a request of no call: {:?}", request.request);
        arrivals[n] += 1;
        let (p, path) = plan(n);
        assert_eq!(request.status, Some(200), "call {n}: {request:?}");
        let authenticated = request.authenticated.as_ref().expect("authenticated");
        assert!(
            matches!(&authenticated.caller, Caller::System { common_name } if common_name == "compute"),
            "call {n}: {:?}",
            authenticated.caller
        );
        assert_eq!(
            authenticated.principal.as_ref(),
            Some(&expected_principal(p)),
            "call {n} arrived with another principal"
        );
        let presented = request.request.peer_certificates.first().expect("mTLS");
        let slot = certificates
            .iter()
            .position(|c| c.cert_der == *presented)
            .expect("one of the client's certificates");
        by_certificate[slot] += 1;
        if rotated_at.get(slot + 1).is_some_and(|&at| index >= at) {
            after_rotation += 1;
        }
        let x_principal = request.request.header("x-principal").expect("X-Principal");
        match path {
            Path::Api { impersonate } => {
                let regions = format!("/api/v1/organizations/{}/regions", organization(p));
                assert_eq!(request.path, regions, "call {n}");
                assert_eq!(authenticated.impersonate, impersonate, "call {n}");
                let header = request.request.header("x-impersonate");
                assert_eq!(header, impersonate.then_some("true"), "call {n}");
                assert_eq!(
                    principal::decode(x_principal).unwrap(),
                    expected_principal(p)
                );
            }
            Path::Controller => {
                let network = format!("/api/v2/networks/{}", network(p));
                assert_eq!(request.path, network, "call {n}");
                assert!(!authenticated.impersonate, "call {n}");
                assert_eq!(request.request.header("x-impersonate"), None, "call {n}");
                // Checked here as well as by the fake: against the certificate presented on
                // the connection the request came over.
                let signed = jws::verify(x_principal, presented)
                    .unwrap_or_else(|e| panic!("call {n}: {e} (certificate {slot})"));
                assert_eq!(signed, expected_principal(p), "call {n}");
                if slot == 0 && index >= rotated_at[ROTATIONS] {
                    signed_before_three_rotations += 1;
                }
            }
        }
    }
    // Each call arrived once, or, when the dropped connections cut its request and it was sent
    // again, no more often than the client says it sent it.
    let mut resent = 0;
    for (n, &arrived) in arrivals.iter().enumerate() {
        let sent = attempts[&n];
        assert!(arrived >= 1, "call {n} never arrived");
        assert!(
            arrived <= sent,
            "call {n} arrived {arrived} times, sent {sent} times"
        );
        resent += sent - 1;
    }
    // The requests the server hung on were all cut and sent again; among them controller
    // calls signed before the three rotations, which went out presenting the certificate that
    // signed them.
    assert_eq!(region.server().unanswered(), hung);
    assert!(resent as usize >= hung, "{resent} resent, {hung} cut");
    assert!(signed_before_three_rotations > 0);
    // Every certificate was presented, and the mix is the one planned.
    assert!(
        by_certificate.iter().all(|&requests| requests > 0),
        "requests per certificate: {by_certificate:?}"
    );
    let count = |wanted: Path| (0..calls).filter(|&n| plan(n).1 == wanted).count();
    let (controller, impersonating) = (
        count(Path::Controller),
        count(Path::Api { impersonate: true }),
    );
    assert_eq!(controller, calls / 2);
    assert_eq!(impersonating, (calls - controller) / 4);
    let principals: BTreeSet<_> = (0..calls).map(|n| plan(n).0).collect();
    assert_eq!(principals.len(), PRINCIPALS);

    eprintln!(
        "{calls} calls over {}: {} API ({impersonating} impersonating), {controller} \
         controller, {PRINCIPALS} principals; rotations after {:?} answers, connections dropped \
         after {dropped_at} with {hung} requests hung: 0 failed, {resent} resent, {} requests \
         arrived, per certificate {by_certificate:?}, {after_rotation} presenting a certificate \
         already rotated out ({signed_before_three_rotations} signed before all three \
         rotations), {} connections",
        if http1 { "HTTP/1.1" } else { "HTTP/2" },
        calls - controller,
        &rotated_at[1..],
        seen.len(),
        region.server().handshakes(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_production_mix_over_http2_with_rotations_and_a_dropped_connection() {
    production_mix(1200, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_production_mix_over_http1_with_rotations_and_a_dropped_connection() {
    production_mix(300, true).await;
}
