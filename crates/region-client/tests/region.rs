//! `region_client` against the region API fake behind the platform's ingress, with Secrets from
//! the Kubernetes API fake: both client paths are accepted by the platform's middleware, and
//! References behave on the wire as the platform's Go helper.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use opentelemetry::{
    Context,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};
use region_client::{
    Client, HttpClientOptions, Principal, References, RequestContext, ResourceReference,
    identity_client::principal::{Caller, jws},
    region_openapi::uuid::Uuid,
};
use test_support::{Ca, KeyEncoding, kube::KubeApi, region::RegionApi};

const NS: &str = "unikorn";
const ORG: &str = "9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c";
const PROJECT: &str = "77b0d4aa-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
/// `ORG` as the generated client takes it.
fn org_id() -> region_client::region_openapi::uuid::Uuid {
    ORG.parse().unwrap()
}

const NETWORK: &str = "c0a80101-0000-4000-8000-00000000000a";

struct Setup {
    kube: KubeApi,
    region: RegionApi,
    client: Client,
    certificate: test_support::Leaf,
}

async fn setup() -> Setup {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let kube = KubeApi::start().await;
    let platform = Ca::new("platform-ca");
    let clients = Ca::new("clients-ca");
    // RSA: the controller path signs with it.
    let me = clients.client_cert_rsa("compute", 0);
    kube.put_tls_secret(NS, "region-ca", &platform.cert_pem, None);
    kube.put_tls_secret(
        NS,
        "compute-client",
        &me.chain_pem(),
        Some(&me.key_pem_as(KeyEncoding::Pkcs1)),
    );
    let region = RegionApi::start(&platform.server_cert(&["127.0.0.1"]), &clients).await;
    region.add_network(NETWORK, ORG, PROJECT);
    let options = region_client::options()
        .with_host(region.url())
        .with_ca_secret(NS, "region-ca");
    let client = Client::new(
        kube.client(),
        options,
        HttpClientOptions::new().with_certificate(NS, "compute-client"),
    );
    Setup {
        kube,
        region,
        client,
        certificate: me,
    }
}

fn alice() -> Principal {
    Principal::new(ORG, PROJECT, "alice@example.com")
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

fn cluster() -> ConfigMap {
    let map = |entries: &[(&str, &str)]| -> Option<BTreeMap<String, String>> {
        Some(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    };
    let mut cluster = ConfigMap::default();
    cluster.metadata.name = Some("cluster-a".into());
    cluster.metadata.namespace = Some("org-1-proj-1".into());
    cluster.metadata.labels = map(&[
        ("unikorn-cloud.org/organization", ORG),
        ("unikorn-cloud.org/project", PROJECT),
    ]);
    cluster.metadata.annotations = map(&[("unikorn-cloud.org/creator", "alice@example.com")]);
    cluster
}

#[tokio::test]
async fn ready_builds_the_transport_at_start_up_or_names_the_bad_secret() {
    let s = setup().await;
    s.client.ready().await.unwrap();
    let missing = Client::new(
        s.kube.client(),
        region_client::options()
            .with_host(s.region.url())
            .with_ca_secret(NS, "no-such-ca"),
        HttpClientOptions::new().with_certificate(NS, "compute-client"),
    );
    let error = missing.ready().await.unwrap_err();
    assert!(
        matches!(
            &error,
            region_client::Error::HttpClient { service, .. } if service == "region"
        ),
        "{error:?}"
    );
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert_eq!(source, "secret unikorn/no-such-ca not found");
}

#[tokio::test]
async fn the_api_path_is_accepted_by_the_platform() {
    let s = setup().await;
    let (otel, trace_id) = trace_context();
    let ctx = RequestContext::new()
        .with_principal(alice())
        .with_otel_context(otel);
    let api = s.client.api_client(&ctx).await.unwrap();
    let regions = api.list_regions(org_id()).await.unwrap();
    assert_eq!(regions.status(), 200);

    let seen = s.region.seen().pop().unwrap();
    assert_eq!(seen.status, 200);
    let authenticated = seen.authenticated.unwrap();
    assert!(
        matches!(&authenticated.caller, Caller::System { common_name } if common_name == "compute")
    );
    assert_eq!(authenticated.principal, Some(alice()));
    assert!(
        seen.request
            .header("traceparent")
            .unwrap()
            .contains(&trace_id.to_string())
    );
    assert!(seen.request.header("authorization").is_none());
}

#[tokio::test]
async fn the_controller_path_is_signed_and_accepted_by_the_platform() {
    let s = setup().await;
    let api = s.client.controller_client(&cluster()).await.unwrap();
    assert_eq!(api.list_regions(org_id()).await.unwrap().status(), 200);
    let seen = s.region.seen().pop().unwrap();
    assert_eq!(seen.authenticated.unwrap().principal, Some(alice()));
    jws::verify(
        seen.request.header("x-principal").unwrap(),
        &s.certificate.cert_der,
    )
    .unwrap();
}

#[tokio::test]
async fn the_plain_client_adds_nothing_so_the_platform_wants_a_principal() {
    let s = setup().await;
    let api = s.client.plain_client().await.unwrap();
    assert_eq!(api.list_regions(org_id()).await.unwrap().status(), 400);
    let seen = s.region.seen().pop().unwrap();
    for header in ["x-principal", "traceparent", "authorization"] {
        assert!(seen.request.headers.get(header).is_none(), "{header}");
    }
}

async fn references(s: &Setup) -> References {
    References::new(s.client.controller_client(&cluster()).await.unwrap())
}

#[tokio::test]
async fn references_are_idempotent_and_escaped_twice_on_the_wire() {
    let s = setup().await;
    let references = references(&s).await;
    let reference: ResourceReference = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc"
        .parse()
        .unwrap();
    for _ in 0..2 {
        references
            .add_network_reference(NETWORK, &reference)
            .await
            .unwrap();
    }
    assert_eq!(s.region.references(NETWORK), [reference.as_str()]);
    for _ in 0..2 {
        references
            .remove_network_reference(NETWORK, &reference)
            .await
            .unwrap();
    }
    assert!(s.region.references(NETWORK).is_empty());

    let seen = s.region.seen();
    assert_eq!(
        seen.iter().map(|s| s.status).collect::<Vec<_>>(),
        [201, 201, 204, 204]
    );
    for request in s.region.server().requests() {
        assert!(
            request.uri.path().ends_with(
                "/api/v2/networks/c0a80101-0000-4000-8000-00000000000a/references/kubernetesclusters.kubernetes.unikorn-cloud.org%252Fabc"
            ),
            "{}",
            request.uri
        );
        assert!(request.body.is_empty());
    }
}

#[tokio::test]
async fn network_ids_are_parsed_before_sending_and_sent_canonical() {
    let s = setup().await;
    let references = references(&s).await;
    let reference = ResourceReference::for_resource(&cluster()).unwrap();
    let error = references
        .add_network_reference("net-1", &reference)
        .await
        .unwrap_err();
    assert!(
        matches!(error, region_client::ReferencesError::InvalidNetworkId { ref network_id, .. } if network_id == "net-1"),
        "{error:?}"
    );
    assert!(s.region.server().requests().is_empty());

    references
        .add_network_reference_for("urn:uuid:C0A80101-0000-4000-8000-00000000000A", &cluster())
        .await
        .unwrap();
    assert_eq!(s.region.references(NETWORK), [reference.as_str()]);
    assert!(s.region.server().requests()[0].uri.path().contains(NETWORK));

    // As the generated client's types hold it: a Uuid, taken as it is.
    let network = region_client::region_openapi::types::NetworkId(NETWORK.parse().unwrap());
    references
        .remove_network_reference(*network, &reference)
        .await
        .unwrap();
    assert!(s.region.references(NETWORK).is_empty());
    assert!(s.region.server().requests()[1].uri.path().contains(NETWORK));
}

#[tokio::test]
async fn ids_are_taken_as_uuids_or_text_in_principals_too() {
    let s = setup().await;
    let (organization, project) = (org_id(), PROJECT.parse::<Uuid>().unwrap());
    let principal = Principal::new(organization, project, "alice@example.com");
    assert_eq!(principal, alice());
    let api = s
        .client
        .api_client(&RequestContext::new().with_principal(principal.clone()))
        .await
        .unwrap();
    // From the principal to the generated client's argument, and back.
    api.list_regions(principal.organization_uuid().unwrap())
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let seen = s.region.seen().pop().unwrap();
    assert_eq!(seen.authenticated.unwrap().principal, Some(alice()));
    let error = Principal::new("org-1", "", "alice")
        .organization_uuid()
        .unwrap_err();
    assert_eq!(error.value, "org-1");
}

#[tokio::test]
async fn failures_are_typed_with_the_platforms_error_body() {
    let s = setup().await;
    let references = references(&s).await;
    let reference = ResourceReference::for_resource(&cluster()).unwrap();
    let unknown = "c0a80101-0000-4000-8000-0000000000ff";
    for error in [
        references
            .add_network_reference(unknown, &reference)
            .await
            .unwrap_err(),
        references
            .remove_network_reference(unknown, &reference)
            .await
            .unwrap_err(),
    ] {
        assert!(error.is_not_found(), "{error:?}");
        assert_eq!(
            error.error_body().unwrap().error_description,
            "resource not found"
        );
    }

    s.region.mark_deleting(NETWORK);
    let error = references
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap_err();
    assert!(error.is_being_deleted(), "{error:?}");
    let body = error.error_body().unwrap();
    assert_eq!(
        body.error_description,
        "unable to add reference, resource is being deleted"
    );
    assert_eq!(body.trace_id.as_deref().map(str::len), Some(32));
    // Removing still works on a network being deleted.
    references
        .remove_network_reference(NETWORK, &reference)
        .await
        .unwrap();

    s.region.forbid("alice@example.com");
    let error = references
        .remove_network_reference(NETWORK, &reference)
        .await
        .unwrap_err();
    assert!(
        error.is_forbidden() && !error.is_being_deleted(),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_principal_is_not_taken_for_a_network_being_deleted() {
    let s = setup().await;
    s.region.mark_deleting(NETWORK);
    let reference = ResourceReference::for_resource(&cluster()).unwrap();
    // No principal at all: the platform answers 400 "principal propagation failure".
    let anonymous = References::new(s.client.plain_client().await.unwrap());
    let error = anonymous
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::BAD_REQUEST));
    assert_eq!(
        error.error_body().unwrap().error_description,
        "principal propagation failure for authentication"
    );
    assert!(!error.is_being_deleted(), "{error}");
    assert!(!error.may_have_been_applied(), "{error}");

    // Impersonating a principal without an actor never gets that far: refused before sending.
    let ctx = RequestContext::new()
        .with_principal(Principal::new(ORG, PROJECT, ""))
        .impersonating();
    let error = s.client.api_client(&ctx).await.unwrap_err();
    assert!(
        matches!(
            error,
            region_client::Error::Principal(
                region_client::identity_client::PrincipalError::ImpersonationWithoutActor
            )
        ),
        "{error:?}"
    );
    assert_eq!(s.region.seen().len(), 1);

    // The handler's own answer is recognised.
    let error = references(&s)
        .await
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap_err();
    assert!(error.is_being_deleted(), "{error}");
}
