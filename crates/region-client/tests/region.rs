//! `region_client` against the mTLS region API fake, with Secrets from the Kubernetes API fake:
//! both client paths carry all four headers, and References behave as the region API says.

use std::{collections::BTreeMap, sync::Arc};

use k8s_openapi::api::core::v1::ConfigMap;
use opentelemetry::{
    Context,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};
use region_client::{
    AccessToken, AccessTokenSource, Client, HttpClientOptions, Principal, References,
    ReferencesError, RequestContext, ResourceReference, StaticTokenSource,
    identity_client::principal::verify,
};
use test_support::{Ca, KeyKind, kube::KubeApi, region::RegionApi};

const NS: &str = "unikorn";
const NETWORK: &str = "net-1";

struct Setup {
    _kube: KubeApi,
    region: RegionApi,
    client: Client,
    token: Arc<dyn AccessTokenSource>,
}

async fn setup() -> Setup {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let kube = KubeApi::start().await;
    let platform = Ca::new("platform-ca");
    let clients = Ca::new("clients-ca");
    let me = clients.client_cert("compute", KeyKind::EcdsaP256);
    kube.put_tls_secret(NS, "region-ca", &platform.cert_pem, None);
    kube.put_tls_secret(NS, "compute-client", &me.chain_pem(), Some(&me.key_pem()));
    let region = RegionApi::start(&platform.server_cert(&["127.0.0.1"]), &clients).await;
    region.add_network(NETWORK);
    let options = region_client::options()
        .with_host(region.url())
        .with_ca_secret(NS, "region-ca");
    let client = Client::new(
        kube.client(),
        options,
        HttpClientOptions::new().with_certificate(NS, "compute-client"),
    );
    Setup {
        _kube: kube,
        region,
        client,
        token: Arc::new(StaticTokenSource::new(AccessToken::new("service-token"))),
    }
}

fn trace_context() -> (Context, TraceId) {
    let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let span = SpanContext::new(
        trace_id,
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    (Context::new().with_remote_span_context(span), trace_id)
}

#[tokio::test]
async fn api_path_carries_all_four_headers_and_a_verifiable_principal() {
    let s = setup().await;
    let principal = Principal::new("org-1", "proj-1", "alice@example.com");
    let (otel, trace_id) = trace_context();
    let ctx = RequestContext::new()
        .with_principal(principal.clone())
        .with_client_certificate("inbound-client-certificate")
        .with_otel_context(otel);
    let api = s.client.api_client(&ctx, s.token.clone()).await.unwrap();
    let regions = api.list_regions("org-1").await.unwrap();
    assert_eq!(regions.status(), 200);

    let seen = s.region.requests().pop().unwrap();
    assert_eq!(seen.header("authorization"), Some("Bearer service-token"));
    let traceparent = seen.header("traceparent").unwrap();
    assert!(traceparent.contains(&trace_id.to_string()), "{traceparent}");
    assert_eq!(
        seen.header("unikorn-client-certificate"),
        Some("inbound-client-certificate")
    );
    let verified = verify(
        seen.header("x-principal").unwrap(),
        &seen.peer_certificates[0],
    )
    .unwrap();
    assert_eq!(verified.principal, principal);
}

fn cluster(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ConfigMap {
    let to_map = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>()
    };
    let mut object = ConfigMap::default();
    object.metadata.name = Some("cluster-a".into());
    object.metadata.labels = Some(to_map(labels));
    object.metadata.annotations = Some(to_map(annotations));
    object
}

#[tokio::test]
async fn controller_path_signs_the_principal_persisted_on_the_resource() {
    let s = setup().await;
    let resource = cluster(
        &[
            ("unikorn-cloud.org/organization", "org-2"),
            ("unikorn-cloud.org/project", "proj-2"),
        ],
        &[("unikorn-cloud.org/creator", "bob@example.com")],
    );
    let api = s
        .client
        .controller_client(s.token.clone(), &resource)
        .await
        .unwrap();
    api.list_regions("org-2").await.unwrap();

    let seen = s.region.requests().pop().unwrap();
    assert_eq!(seen.header("authorization"), Some("Bearer service-token"));
    assert_eq!(seen.header("unikorn-client-certificate"), None);
    let verified = verify(
        seen.header("x-principal").unwrap(),
        &seen.peer_certificates[0],
    )
    .unwrap();
    assert_eq!(
        verified.principal,
        Principal::new("org-2", "proj-2", "bob@example.com")
    );
}

#[tokio::test]
async fn http_client_adds_no_headers() {
    let s = setup().await;
    let api = s.client.http_client().await.unwrap();
    let answer = api.list_regions("org-1").await.unwrap();
    // The region API wants a token: the plain client reaches it over mTLS but is refused.
    assert_eq!(answer.status(), 401);
    let seen = s.region.requests().pop().unwrap();
    for header in [
        "authorization",
        "x-principal",
        "traceparent",
        "unikorn-client-certificate",
    ] {
        assert_eq!(seen.header(header), None, "{header}");
    }
    assert!(!seen.peer_certificates.is_empty(), "mTLS still applies");
}

async fn references(s: &Setup) -> References {
    let ctx = RequestContext::new().with_principal(Principal::new("org-1", "proj-1", "svc"));
    References::new(s.client.api_client(&ctx, s.token.clone()).await.unwrap())
}

#[tokio::test]
async fn references_add_and_remove_are_idempotent_and_listed() {
    let s = setup().await;
    let references = references(&s).await;
    let reference: ResourceReference = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc"
        .parse()
        .unwrap();

    references
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap();
    references
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap();
    assert_eq!(
        references.network_references(NETWORK).await.unwrap(),
        vec![reference.clone()]
    );
    assert_eq!(s.region.references(NETWORK), vec![reference.to_string()]);

    // The reference travelled as one percent-encoded path segment.
    let put = s
        .region
        .requests()
        .into_iter()
        .find(|r| r.method == http::Method::PUT)
        .unwrap();
    assert!(
        put.uri
            .path()
            .ends_with("/references/kubernetesclusters.kubernetes.unikorn-cloud.org%2Fabc"),
        "{}",
        put.uri
    );

    references
        .remove_network_reference(NETWORK, &reference)
        .await
        .unwrap();
    references
        .remove_network_reference(NETWORK, &reference)
        .await
        .unwrap();
    assert!(
        references
            .network_references(NETWORK)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn references_for_a_resource_use_the_reference_model() {
    let s = setup().await;
    let references = references(&s).await;
    let resource = cluster(&[], &[]);
    references
        .add_network_reference_for(NETWORK, &resource)
        .await
        .unwrap();
    assert_eq!(s.region.references(NETWORK), vec!["configmaps/cluster-a"]);
    references
        .remove_network_reference_for(NETWORK, &resource)
        .await
        .unwrap();
    assert!(s.region.references(NETWORK).is_empty());
}

#[tokio::test]
async fn unknown_network_and_deleting_network_are_typed_errors() {
    let s = setup().await;
    let references = references(&s).await;
    let reference = ResourceReference::new("servers", "compute.unikorn-cloud.org", "s1").unwrap();

    let error = references
        .add_network_reference("no-such-network", &reference)
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    match &error {
        ReferencesError::Status {
            status,
            body: Some(body),
            network_id,
            ..
        } => {
            assert_eq!(*status, 404);
            assert_eq!(network_id, "no-such-network");
            assert_eq!(body.error_description, "network no-such-network not found");
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("404"), "{error}");

    let error = references
        .network_references("no-such-network")
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");

    s.region.mark_deleting(NETWORK);
    let error = references
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap_err();
    assert!(error.is_conflict(), "{error:?}");
    assert!(
        error.to_string().contains("network is being deleted"),
        "{error}"
    );
    assert!(s.region.references(NETWORK).is_empty());
}
