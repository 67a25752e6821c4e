//! `region_client` against the region API fake behind the platform's ingress, with Secrets from
//! the Kubernetes API fake: both client paths are accepted by the platform's middleware, and
//! References behave on the wire as the platform's Go helper.

use opentelemetry::{
    Context,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};
use region_client::{
    Client, Principal, References, RequestContext, ResourceReference,
    identity_client::principal::{Caller, jws},
    region_openapi::uuid::Uuid,
};
use region_client_testing::{
    Platform,
    harness::{ORGANIZATION_ID as ORG, PROJECT_ID as PROJECT},
};

const NETWORK: &str = "c0a80101-0000-4000-8000-00000000000a";

/// The platform, with the network, for the service "compute" (an RSA client certificate: the
/// controller path signs with it).
async fn setup() -> Platform {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let platform = Platform::builder().service("compute").start().await;
    platform.region().add_network(NETWORK, ORG, PROJECT);
    platform
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

/// A resource created by alice, as the controller reconciles it.
fn cluster(s: &Platform) -> k8s_openapi::api::core::v1::ConfigMap {
    s.resource("cluster-a")
}

#[tokio::test]
async fn ready_builds_the_transport_at_start_up_or_names_the_bad_secret() {
    let s = setup().await;
    s.client().ready().await.unwrap();
    let missing = Client::new(
        s.kube_client(),
        s.region_options().with_ca_secret("unikorn", "no-such-ca"),
        s.client_options(),
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
    let api = s.client().api_client(&ctx).await.unwrap();
    let regions = api.list_regions(ORG).await.unwrap();
    assert_eq!(regions.status(), 200);

    let seen = s.region().calls().pop().unwrap();
    assert_eq!(seen.status, Some(200));
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
    let api = s.client().controller_client(&cluster(&s)).await.unwrap();
    assert_eq!(api.list_regions(ORG).await.unwrap().status(), 200);
    let seen = s.region().calls().pop().unwrap();
    assert_eq!(seen.authenticated.unwrap().principal, Some(alice()));
    jws::verify(
        seen.request.header("x-principal").unwrap(),
        &s.client_certificate().cert_der,
    )
    .unwrap();
}

#[tokio::test]
async fn the_plain_client_adds_nothing_so_the_platform_wants_a_principal() {
    let s = setup().await;
    let api = s.client().plain_client().await.unwrap();
    assert_eq!(api.list_regions(ORG).await.unwrap().status(), 400);
    let seen = s.region().calls().pop().unwrap();
    for header in ["x-principal", "traceparent", "authorization"] {
        assert!(seen.request.headers.get(header).is_none(), "{header}");
    }
}

async fn references(s: &Platform) -> References {
    References::new(s.client().controller_client(&cluster(s)).await.unwrap())
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
    assert_eq!(s.region().references(NETWORK), [reference.as_str()]);
    for _ in 0..2 {
        references
            .remove_network_reference(NETWORK, &reference)
            .await
            .unwrap();
    }
    assert!(s.region().references(NETWORK).is_empty());

    let seen = s.region().calls();
    assert_eq!(
        seen.iter().map(|s| s.status).collect::<Vec<_>>(),
        [Some(201), Some(201), Some(204), Some(204)]
    );
    for request in s.region().server().requests() {
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
    let reference = ResourceReference::for_resource(&cluster(&s)).unwrap();
    let error = references
        .add_network_reference("net-1", &reference)
        .await
        .unwrap_err();
    assert!(
        matches!(error, region_client::ReferencesError::InvalidNetworkId { ref network_id, .. } if network_id == "net-1"),
        "{error:?}"
    );
    assert!(s.region().server().requests().is_empty());

    references
        .add_network_reference_for(
            "urn:uuid:C0A80101-0000-4000-8000-00000000000A",
            &cluster(&s),
        )
        .await
        .unwrap();
    assert_eq!(s.region().references(NETWORK), [reference.as_str()]);
    assert!(
        s.region().server().requests()[0]
            .uri
            .path()
            .contains(NETWORK)
    );

    // As the generated client's types hold it: a Uuid, taken as it is.
    let network = region_client::region_openapi::types::NetworkId(NETWORK.parse().unwrap());
    references
        .remove_network_reference(*network, &reference)
        .await
        .unwrap();
    assert!(s.region().references(NETWORK).is_empty());
    assert!(
        s.region().server().requests()[1]
            .uri
            .path()
            .contains(NETWORK)
    );
}

#[tokio::test]
async fn ids_are_taken_as_uuids_or_text_in_principals_too() {
    let s = setup().await;
    let (organization, project): (Uuid, Uuid) = (ORG, PROJECT);
    let principal = Principal::new(organization, project, "alice@example.com");
    assert_eq!(principal, alice());
    let api = s
        .client()
        .api_client(&RequestContext::new().with_principal(principal.clone()))
        .await
        .unwrap();
    // From the principal to the generated client's argument, and back.
    api.list_regions(principal.organization_uuid().unwrap())
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let seen = s.region().calls().pop().unwrap();
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
    let reference = ResourceReference::for_resource(&cluster(&s)).unwrap();
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

    s.region().mark_deleting(NETWORK);
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

    s.region().forbid("alice@example.com");
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
    s.region().mark_deleting(NETWORK);
    let reference = ResourceReference::for_resource(&cluster(&s)).unwrap();
    // No principal at all: the platform answers 400 "principal propagation failure".
    let anonymous = References::new(s.client().plain_client().await.unwrap());
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
    let error = s.client().api_client(&ctx).await.unwrap_err();
    assert!(
        matches!(
            error,
            region_client::Error::Principal(
                region_client::identity_client::PrincipalError::ImpersonationWithoutActor
            )
        ),
        "{error:?}"
    );
    assert_eq!(s.region().calls().len(), 1);

    // The handler's own answer is recognised.
    let error = references(&s)
        .await
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap_err();
    assert!(error.is_being_deleted(), "{error}");
}
