//! The README's "Testing your service", as a service's project has it: the testing kit's
//! platform in a box as a dev-dependency, and tests of the service's own code against it.

use region_client::http;
use region_client_testing::{OperationId, Platform, region::AnsweredBy};
use standalone::{controller::reconcile, service::Outbound};

/// The README's test, as it is there.
#[tokio::test]
async fn my_calls_are_what_the_platform_accepts() {
    use region_client::RequestContext;
    use region_client_testing::{Fault, OperationId, Platform, samples};

    let platform = Platform::start().await;
    let network = samples::network(platform.organization_id(), platform.project_id());
    let network_id = network.metadata.id.parse().unwrap();

    // Every operation is programmable with the generated types; the expectations are checked
    // when `platform` is dropped.
    let region = platform.region();
    region
        .on(OperationId::ListRegions)
        .respond(200, &[samples::region()])
        .expect(1);
    region
        .on(OperationId::GetNetworkV2)
        .respond(200, &network)
        .expect(2);
    // The next getNetworkV2 meets a 503 from the ingress (then the stub above answers).
    region
        .on(OperationId::GetNetworkV2)
        .times(1)
        .fail(Fault::status(503))
        .expect(1);

    // Your service's code, here with the platform's client (or build your own from
    // `platform.kube_client()`, `platform.region_options()` and `platform.client_options()`).
    let client = platform.client();
    // The API path: a request handled for a user.
    let ctx = RequestContext::new().with_principal(platform.principal());
    let api = client.api_client(&ctx).await.unwrap();
    let regions = api.list_regions(platform.organization_id()).await.unwrap();
    assert_eq!(regions.into_result().unwrap().len(), 1);
    let read = api.get_network_v2(network_id).await.unwrap();
    assert_eq!(read.attempts(), 2, "the 503, then the stub");
    // The controller path: a resource the same user created.
    let cluster = platform.resource("cluster-a");
    let controller = client.controller_client(&cluster).await.unwrap();
    controller
        .get_network_v2(network_id)
        .await
        .unwrap()
        .into_result()
        .unwrap();

    // What the platform saw: who called, for whom, how, and what it answered.
    let calls = region.calls();
    let statuses: Vec<_> = calls.iter().map(|call| call.status).collect();
    assert_eq!(statuses, [Some(200), Some(503), Some(200), Some(200)]);
    for call in &calls {
        assert_eq!(call.caller(), Some("my-service"), "{call}");
        assert_eq!(call.principal(), Some(&platform.principal()), "{call}");
        assert!(!call.impersonated());
    }
    // The API path sends the principal as base64url JSON, the controller path signs it.
    let signed = calls[3].request.header("x-principal").unwrap();
    assert_eq!(signed.split('.').count(), 3);
}

/// The service's own code (`src/service.rs`, `src/controller.rs`) against the platform.
#[tokio::test]
async fn the_services_own_calls_are_accepted() {
    let platform = Platform::start().await;
    let outbound = Outbound {
        region: platform.client(),
    };

    // The API path: an inbound request whose authentication established the principal.
    let (mut inbound, ()) = http::Request::new(()).into_parts();
    inbound.extensions.insert(platform.principal());
    let regions = outbound
        .count_regions(&inbound, platform.organization_id())
        .await
        .unwrap();
    assert_eq!(regions, 1, "the model's one region");

    // The controller path: a reference on a network the model knows, then one it does not.
    let network = "c0a80101-0000-4000-8000-00000000000a";
    platform
        .region()
        .add_network(network, platform.organization_id(), platform.project_id());
    let cluster = platform.resource("cluster-a");
    reconcile(&outbound.region, &cluster, network)
        .await
        .unwrap();
    assert_eq!(platform.region().references(network).len(), 1);
    let missing = "c0a80101-0000-4000-8000-0000000000ff";
    let error = reconcile(&outbound.region, &cluster, missing)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("network {missing} does not exist")
    );

    let calls = platform.region().calls();
    let operations: Vec<_> = calls.iter().map(|call| call.operation).collect();
    assert_eq!(
        operations,
        [
            Some(OperationId::ListRegions),
            Some(OperationId::AddNetworkReference),
            Some(OperationId::AddNetworkReference),
        ]
    );
    assert!(
        calls
            .iter()
            .all(|call| call.answered_by == AnsweredBy::Model)
    );
    assert!(
        calls
            .iter()
            .all(|call| call.principal() == Some(&platform.principal()))
    );
    // The inbound call did not ask to impersonate: neither does the outbound one.
    assert!(!calls[0].impersonated());
}
