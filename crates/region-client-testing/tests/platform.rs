//! The platform in a box as a service's tests use it: stubs with the generated types, what
//! the platform saw, expectations, refusals, faults, rotation and trust.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    time::{Duration, Instant, SystemTime},
};

use region_client::{
    RequestContext,
    core_client::{HttpError, RetryConfig},
    identity_client::principal::jws,
    region_openapi::{self, types},
};
use region_client_testing::{
    Answer, Fault, KeyKind, OperationId, Platform,
    harness::{ORGANIZATION_ID, PROJECT_ID},
    region::{AnsweredBy, Times},
    samples,
};
use serde_json::json;

const NETWORK: &str = "c0a80101-0000-4000-8000-00000000000a";

/// A network with ID [`NETWORK`], prefix `10.0.0.0/24`.
fn network_read() -> types::NetworkV2Read {
    let mut network = samples::network(ORGANIZATION_ID, PROJECT_ID);
    network.metadata.id = NETWORK.to_owned();
    network.status.prefix = "10.0.0.0/24".to_owned();
    network
}

fn network_create(name: &str) -> types::NetworkV2Create {
    serde_json::from_value(json!({
        "metadata": { "name": name },
        "spec": {
            "dnsNameservers": ["8.8.8.8"],
            "organizationId": "9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c",
            "projectId": "77b0d4aa-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            "regionId": "c7568e2d-f9ab-453d-9a3a-51375f78426b",
            "prefix": "10.0.0.0/24",
        },
    }))
    .unwrap()
}

async fn api(platform: &Platform) -> region_openapi::Client {
    let ctx = RequestContext::new().with_principal(platform.principal());
    platform.client().api_client(&ctx).await.unwrap()
}

/// A controller's client, for a resource alice created.
async fn controller(platform: &Platform) -> region_openapi::Client {
    let resource = platform.resource("cluster-a");
    platform
        .client()
        .controller_client(&resource)
        .await
        .unwrap()
}

/// `listRegions` on the API path, for the platform's principal.
async fn list_regions(
    platform: &Platform,
) -> region_openapi::ResponseValue<region_openapi::ListRegionsResponse> {
    api(platform)
        .await
        .list_regions(platform.organization_id())
        .await
        .unwrap()
}

/// A stub answering every `getNetworkV2` with the network, expected once.
fn network_expected_once(platform: &Platform) {
    platform
        .region()
        .on(OperationId::GetNetworkV2)
        .respond(200, &network_read())
        .expect(1);
}

#[tokio::test]
async fn starts_in_well_under_a_second_with_a_ready_client() {
    let started = Instant::now();
    let platform = Platform::start().await;
    let elapsed = started.elapsed();
    eprintln!("Platform::start() took {elapsed:?}");
    // Ready: the Secrets were read at start-up, once each.
    let ca = platform.ca_secret();
    let me = platform.client_secret();
    assert_eq!(platform.kube().get_count(&ca.namespace, &ca.name), 1);
    assert_eq!(platform.kube().get_count(&me.namespace, &me.name), 1);
    assert_eq!(me.name, "my-service-client");
    assert_eq!(platform.client_certificate().kind, KeyKind::Rsa);
}

#[tokio::test]
async fn stubs_answer_with_the_generated_types_on_both_paths() {
    let platform = Platform::start().await;
    let network = network_read();
    platform
        .region()
        .on(OperationId::GetNetworkV2)
        .respond(200, &network)
        .expect(2);

    let id = NETWORK.parse().unwrap();
    let read = api(&platform).await.get_network_v2(id).await.unwrap();
    assert_eq!(read.into_result().unwrap().status.prefix, "10.0.0.0/24");
    let controller = controller(&platform).await;
    controller
        .get_network_v2(id)
        .await
        .unwrap()
        .into_result()
        .unwrap();

    let calls = platform.region().calls();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.operation, Some(OperationId::GetNetworkV2));
        assert_eq!(call.uuid("networkID"), Some(id));
        assert_eq!(call.caller(), Some("my-service"));
        assert_eq!(call.principal(), Some(&platform.principal()));
        assert_eq!(call.status, Some(200));
        assert_eq!(call.answered_by, AnsweredBy::Stub(0));
    }
    // The API path sends the principal as base64url JSON, the controller path signs it.
    assert!(
        !calls[0]
            .request
            .header("x-principal")
            .unwrap()
            .contains('.')
    );
    assert_eq!(
        calls[1]
            .request
            .header("x-principal")
            .unwrap()
            .split('.')
            .count(),
        3
    );
}

#[tokio::test]
async fn a_closure_sees_the_decoded_call_and_the_body_is_checked_against_its_schema() {
    let platform = Platform::start().await;
    let stub = platform
        .region()
        .on(OperationId::CreateNetworkV2)
        .respond_with(|call| {
            let create: types::NetworkV2Create = call.body_as().unwrap();
            let mut network = network_read();
            network.metadata.name = create.metadata.name.clone();
            // Who asked, as the platform's middleware established it.
            assert_eq!(call.caller(), Some("my-service"));
            Answer::json(201, &network)
        })
        .expect(1);
    let created = api(&platform)
        .await
        .create_network_v2(&network_create("net-b"))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(created.metadata.name.as_str(), "net-b");
    assert_eq!(
        stub.calls()[0].body.as_ref().unwrap()["metadata"]["name"],
        "net-b"
    );

    // A body the platform's validator refuses never reaches the stub.
    let http = platform.client().base().http_client().await.unwrap();
    let mut request = http::Request::post(format!("{}/api/v2/networks", platform.region().url()))
        .header("content-type", "application/json")
        .header(
            "x-principal",
            region_client::identity_client::principal::encode(&platform.principal()),
        )
        .body(bytes::Bytes::from_static(br#"{"metadata":{"name":"x"}}"#))
        .unwrap();
    request.extensions_mut().insert(core_client_retry_safe());
    let answer = http.send(request).await.unwrap();
    assert_eq!(answer.status(), 400);
    let refused = platform.region().calls().pop().unwrap();
    assert!(refused.is_refused());
    let description = refused.error.unwrap().error_description;
    assert!(
        description.starts_with("request body has an error: doesn't match schema NetworkV2Create"),
        "{description}"
    );
    assert_eq!(stub.calls().len(), 1);
}

fn core_client_retry_safe() -> region_client::core_client::RetrySafe {
    region_client::core_client::RetrySafe
}

#[tokio::test]
async fn an_operation_not_stubbed_is_a_404_saying_how_to_stub_it() {
    let platform = Platform::start().await;
    let error = api(&platform)
        .await
        .list_load_balancers(None, None, None, None, None)
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    let description = error.error_body().unwrap().error_description.clone();
    assert_eq!(
        description,
        "no stub answers listLoadBalancers (GET /api/v2/loadbalancers) and the kit has no model \
         of it: stub it with platform.region().on(OperationId::ListLoadBalancers).respond(200, &body)"
    );
    let call = platform.region().calls().pop().unwrap();
    assert_eq!(call.answered_by, AnsweredBy::NotStubbed);
    assert_eq!(call.operation, Some(OperationId::ListLoadBalancers));
}

#[tokio::test]
async fn the_platform_refuses_before_any_stub_sees_the_call() {
    let platform = Platform::start().await;
    let stub = platform
        .region()
        .on(OperationId::ListRegions)
        .respond(200, &json!([]));
    // No principal: the platform's 400, whatever the stub says.
    let plain = platform.client().plain_client().await.unwrap();
    let answer = plain
        .list_regions(platform.organization_id())
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let call = platform.region().calls().pop().unwrap();
    assert!(call.is_refused());
    assert_eq!(call.operation, Some(OperationId::ListRegions));
    assert_eq!(
        call.error.unwrap().error_description,
        "principal propagation failure for authentication"
    );
    assert!(call.authenticated.is_none());
    assert!(stub.calls().is_empty());

    // A reference escaped once is an extra path segment: no operation, 404.
    let http = platform.client().base().http_client().await.unwrap();
    let once = format!(
        "{}/api/v2/networks/{NETWORK}/references/clusters.example.com%2Fa",
        platform.region().url()
    );
    let answer = http
        .send(http::Request::put(once).body(bytes::Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    let call = platform.region().calls().pop().unwrap();
    assert_eq!(call.operation, None);
    assert!(call.is_refused());

    // An ID that is not a UUID: 400 before authentication.
    let bad = format!("{}/api/v2/networks/net-1", platform.region().url());
    let answer = http
        .send(http::Request::get(bad).body(bytes::Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let call = platform.region().calls().pop().unwrap();
    assert_eq!(
        call.error.unwrap().error_description,
        "invalid path/query element"
    );
}

/// `getVersion` is authenticated but checks no permission (`x-no-authorization`), and every
/// answer carries the server's `Date`, off the true time when a test says so.
#[tokio::test]
async fn the_version_needs_no_permission_and_answers_carry_the_servers_clock() {
    let platform = Platform::start().await;
    platform.region().forbid(&platform.principal().actor);
    platform.region().set_clock_offset(-300);
    let api = api(&platform).await;
    let before = SystemTime::now();
    let answer = api.get_version().await.unwrap();
    let after = SystemTime::now();
    let date = answer.headers()[http::header::DATE].to_str().unwrap();
    let date = httpdate::parse_http_date(date).unwrap();
    // Five minutes behind, to the second the header counts in.
    let earliest = before - Duration::from_secs(301);
    let latest = after - Duration::from_secs(299);
    assert!(earliest <= date && date <= latest, "{date:?}");
    let version = answer.into_result().unwrap();
    assert_eq!(
        (version.name.as_str(), version.version.as_str()),
        ("region", region_client_testing::region::VERSION)
    );
    let call = platform.region().calls().pop().unwrap();
    assert_eq!(call.operation, Some(OperationId::GetVersion));
    assert_eq!(call.answered_by, AnsweredBy::Model);
    assert_eq!(call.caller(), Some("my-service"));

    // Every other operation still goes through RBAC; its refusal is dated too.
    let refused = list_regions(&platform).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().contains_key(http::header::DATE));
    // Without a client certificate the version is refused like any authenticated operation.
    let plain = platform.client().plain_client().await.unwrap();
    assert_eq!(plain.get_version().await.unwrap().status(), 400);
}

#[tokio::test]
async fn the_newest_stub_that_takes_a_call_answers_it() {
    let platform = Platform::start().await;
    let region = platform.region();
    let id: region_openapi::uuid::Uuid = NETWORK.parse().unwrap();
    let other = region_openapi::uuid::Uuid::from_u128(7);
    region
        .on(OperationId::GetNetworkV2)
        .respond(200, &network_read());
    region
        .on(OperationId::GetNetworkV2)
        .with_param("networkID", other)
        .respond_error(404, "no such network");
    let spy = region
        .on(OperationId::GetNetworkV2)
        .times(1)
        .respond_with(|_| Answer::fall_through());
    let api = api(&platform).await;
    assert_eq!(api.get_network_v2(id).await.unwrap().status(), 200);
    let missing = api
        .get_network_v2(other)
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(
        missing.error_body().unwrap().error_description,
        "no such network"
    );
    assert_eq!(api.get_network_v2(id).await.unwrap().status(), 200);

    let answered_by: Vec<_> = region.calls().iter().map(|c| c.answered_by).collect();
    assert_eq!(
        answered_by,
        [
            AnsweredBy::Stub(0),
            AnsweredBy::Stub(1),
            AnsweredBy::Stub(0)
        ]
    );
    // The spy took the first call only, and let it through.
    assert_eq!(spy.calls().len(), 1);
    assert_eq!(spy.calls()[0].uuid("networkID"), Some(id));
}

#[tokio::test]
async fn the_model_keeps_references_as_the_platform_does() {
    let platform = Platform::start().await;
    platform
        .region()
        .add_network(NETWORK, platform.organization_id(), platform.project_id());
    let controller = controller(&platform).await;
    let references = region_client::References::new(controller);
    let resource = platform.resource("cluster-a");
    references
        .add_network_reference_for(NETWORK, &resource)
        .await
        .unwrap();
    let reference = region_client::ResourceReference::for_resource(&resource).unwrap();
    assert_eq!(platform.region().references(NETWORK), [reference.as_str()]);
    let call = platform.region().calls().pop().unwrap();
    assert_eq!(call.answered_by, AnsweredBy::Model);
    assert_eq!(call.status, Some(201));
    // The handler's view: decoded twice, a `/` again.
    assert_eq!(call.param("reference"), Some(reference.as_str()));
    assert!(reference.as_str().contains('/'));
    // The network reads back from the model.
    let read = api(&platform)
        .await
        .get_network_v2(NETWORK.parse().unwrap())
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(read.metadata.id.to_string(), NETWORK);
}

#[tokio::test]
async fn unmet_expectations_fail_on_drop_with_a_readable_report() {
    let platform = Platform::start().await;
    network_expected_once(&platform);
    platform
        .region()
        .on(OperationId::ListRegions)
        .respond(200, &json!([]))
        .expect(1..);
    list_regions(&platform).await;

    let report = platform.region().check().unwrap_err().to_string();
    assert_eq!(
        report,
        format!(
            "the region API's stubs were not used as expected:\n  \
             - stub #0 on(getNetworkV2).respond(200, body): expected exactly 1 call, got 0\n\
             it received 1 call:\n  \
             0. listRegions GET /api/v1/organizations/{}/regions -> 200 by stub #1; \
             caller \"my-service\", principal \"{{\\\"organizationId\\\":\\\"{}\\\",\\\"projectId\\\":\\\"{}\\\",\\\"actor\\\":\\\"alice@example.com\\\"}}\"\n",
            platform.organization_id(),
            platform.organization_id(),
            platform.project_id(),
        )
    );
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(platform)));
    let message = dropped.unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("expected exactly 1 call, got 0"),
        "{message}"
    );
}

#[tokio::test]
async fn dropping_while_a_test_panics_does_not_panic_again() {
    let platform = Platform::start().await;
    network_expected_once(&platform);
    // The test's own failure unwinds through the drop: the report must not turn it into an
    // abort (a panic while panicking), and the first panic is the one that reaches the test.
    let outcome = catch_unwind(AssertUnwindSafe(move || {
        let _platform = platform;
        panic!("the test's own assertion");
    }));
    let message = outcome.unwrap_err();
    assert_eq!(
        message.downcast_ref::<&str>(),
        Some(&"the test's own assertion")
    );
}

#[tokio::test]
async fn a_stub_that_panics_or_answers_what_the_platform_cannot_is_a_500_and_reported() {
    let platform = Platform::start().await;
    platform
        .region()
        .on(OperationId::ListRegions)
        .respond_with(|_| panic!("the stub's own bug"));
    platform
        .region()
        .on(OperationId::GetNetworkV2)
        .respond_with(|_| Answer::json(201, &json!({})));
    let api = api(&platform).await;
    let answer = api.list_regions(platform.organization_id()).await.unwrap();
    assert_eq!(answer.status(), 500);
    let answer = api.get_network_v2(NETWORK.parse().unwrap()).await.unwrap();
    assert_eq!(answer.status(), 500);
    let report = platform.region().check().unwrap_err().to_string();
    assert!(
        report.contains("stub #0 on(listRegions).respond_with(..): panicked: the stub's own bug"),
        "{report}"
    );
    assert!(
        report.contains("getNetworkV2 answers 200 on success, not 201"),
        "{report}"
    );
    std::mem::forget(platform); // its drop would report the same, on purpose of this test
}

#[test]
#[should_panic(
    expected = "stub for createNetworkV2: createNetworkV2 answers 201 on success, not 200"
)]
fn a_success_status_the_operation_does_not_have_is_refused_where_the_stub_is_made() {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let platform = Platform::start().await;
        let _ = platform
            .region()
            .on(OperationId::CreateNetworkV2)
            .respond(200, &network_read());
    });
}

#[tokio::test]
async fn a_503_from_the_ingress_is_retried_after_its_retry_after() {
    let platform = Platform::start().await;
    platform
        .region()
        .on(OperationId::ListRegions)
        .times(1)
        .fail(Fault::status(503).with_retry_after(Duration::from_secs(1)))
        .expect(1);
    let started = Instant::now();
    let answer = list_regions(&platform).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.attempts(), 2);
    assert!(started.elapsed() >= Duration::from_millis(900));
    let calls = platform.region().calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].status, Some(503));
    assert_eq!(
        calls[0].fault,
        Some(Fault::status(503).with_retry_after(Duration::from_secs(1)))
    );
    assert!(
        calls[0].error.is_none(),
        "nginx's page, not the platform's error body"
    );
    assert_eq!(calls[1].answered_by, AnsweredBy::Model);
    // Both attempts carried the same principal.
    assert_eq!(calls[0].principal(), calls[1].principal());
}

#[tokio::test]
async fn a_dropped_connection_and_a_cut_answer_are_retried_for_a_get() {
    for fault in [Fault::Drop, Fault::CutBody] {
        let platform = Platform::start().await;
        let stub = platform
            .region()
            .on(OperationId::ListRegions)
            .times(2)
            .fail(fault.clone())
            .expect(2);
        let answer = list_regions(&platform).await;
        assert_eq!(answer.status(), 200, "{fault}");
        assert_eq!(answer.attempts(), 3, "{fault}");
        let calls = stub.calls();
        assert_eq!(calls[0].fault, Some(fault.clone()));
        match fault {
            Fault::Drop => assert_eq!(calls[0].status, None),
            _ => assert_eq!(calls[0].status, Some(200), "the head arrived"),
        }
    }
}

#[tokio::test]
async fn a_delay_runs_into_the_client_timeout() {
    let platform = Platform::start().await;
    platform
        .region()
        .on(OperationId::ListRegions)
        .fail(Fault::Delay(Duration::from_secs(30)));
    // The service's client, with a short request timeout and no retries.
    let impatient = region_client::Client::new(
        platform.kube_client(),
        platform.region_options().with_config(
            region_client::HttpConfig::default()
                .with_request_timeout(Duration::from_millis(300))
                .with_retry(RetryConfig::disabled()),
        ),
        platform.client_options(),
    );
    let ctx = RequestContext::new().with_principal(platform.principal());
    let error = impatient
        .api_client(&ctx)
        .await
        .unwrap()
        .list_regions(platform.organization_id())
        .await
        .unwrap_err();
    let region_openapi::Error::Http(error) = error else {
        panic!("not an HTTP error: {error:?}");
    };
    assert!(error.is_timeout(), "{error:?}");
}

#[tokio::test]
async fn a_rotated_certificate_is_presented_and_signs_from_then_on() {
    let platform = Platform::start().await;
    let controller = controller(&platform).await;
    controller
        .list_regions(platform.organization_id())
        .await
        .unwrap();
    let before = platform.client_certificate();
    let after = platform.rotate_client_certificate().await;
    assert_ne!(after.key_pem(), before.key_pem(), "a new key");
    controller
        .list_regions(platform.organization_id())
        .await
        .unwrap();

    // The same controller client, made before the rotation, presents the new certificate and
    // signs with its key; the platform verifies and accepts both calls.
    let calls = platform.region().calls();
    for (call, certificate) in calls.iter().zip([&before, &after]) {
        assert_eq!(call.request.peer_certificates[0], certificate.cert_der);
        let signed = call.request.header("x-principal").unwrap();
        jws::verify(signed, &certificate.cert_der).unwrap();
        assert_eq!(call.status, Some(200), "{call}");
    }
}

#[tokio::test]
async fn switching_to_an_ec_key_leaves_the_api_path_and_refuses_the_controller_path() {
    let platform = Platform::start().await;
    platform
        .rotate_client_certificate_to(KeyKind::EcdsaP256)
        .await;
    list_regions(&platform).await.into_result().unwrap();
    let error = platform
        .client()
        .controller_client(&platform.resource("cluster-a"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            region_client::Error::Signer {
                source:
                    region_client::identity_client::principal::SignerError::UnsupportedKeyType { .. },
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_ingress_refuses_a_revoked_certificate_and_an_unknown_ca() {
    let platform = Platform::start().await;
    let api = api(&platform).await;
    api.list_regions(platform.organization_id()).await.unwrap();
    platform.revoke_client_certificate();
    let error = api
        .list_regions(platform.organization_id())
        .await
        .unwrap_err();
    let region_openapi::Error::Http(refused) = &error else {
        panic!("not an HTTP error: {error:?}");
    };
    assert!(
        matches!(**refused, HttpError::CertificateRefused { .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("revoked"), "{refused}");

    // A new certificate is accepted again; then the ingress stops trusting its CA.
    platform.rotate_client_certificate().await;
    api.list_regions(platform.organization_id()).await.unwrap();
    platform.distrust_client_ca();
    let error = api
        .list_regions(platform.organization_id())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("certificate"), "{error}");
    assert_eq!(
        platform.region().calls().len(),
        2,
        "refused handshakes reach no handler"
    );
}

#[tokio::test]
async fn an_http1_only_ingress_and_another_service_on_it() {
    let platform = Platform::builder()
        .service("compute")
        .client_key(KeyKind::Ed25519)
        .http1_only()
        .start()
        .await;
    let kubernetes = region_client::Client::new(
        platform.kube_client(),
        platform.region_options(),
        platform.add_client_certificate("kubernetes-client", "kubernetes", KeyKind::Rsa),
    );
    let ctx = RequestContext::new().with_principal(platform.principal());
    for client in [platform.client(), kubernetes] {
        client
            .api_client(&ctx)
            .await
            .unwrap()
            .list_regions(platform.organization_id())
            .await
            .unwrap();
    }
    let calls = platform.region().calls();
    let callers: Vec<_> = calls.iter().map(|c| c.caller().unwrap()).collect();
    assert_eq!(callers, ["compute", "kubernetes"]);
    assert!(
        calls
            .iter()
            .all(|c| c.request.version == http::Version::HTTP_11)
    );
}

#[test]
fn times_read_as_said() {
    assert_eq!(Times::from(1).to_string(), "exactly 1 call");
    assert_eq!(Times::from(2..).to_string(), "at least 2 calls");
    assert_eq!(Times::from(1..=3).to_string(), "between 1 and 3 calls");
    assert!(!Times::from(..=2).contains(3));
}
