//! End to end across every layer: Secrets from the Kubernetes API fake, the generated region
//! client through the identity editors, and the region API behind the platform's ingress,
//! authenticating each call as the platform's middleware does (the testing kit's `Platform`).

use region_client::{References, RequestContext, ResourceReference, region_openapi::uuid::Uuid};
use region_client_testing::{Platform, region::AnsweredBy};

const NETWORK: &str = "c0a80101-0000-4000-8000-00000000000a";

#[tokio::test]
async fn both_paths_and_references_across_all_layers() {
    let platform = Platform::builder().service("compute").start().await;
    let organization: Uuid = platform.organization_id();
    platform
        .region()
        .add_network(NETWORK, organization, platform.project_id());
    let client = platform.client();

    let ctx = RequestContext::new().with_principal(platform.principal());
    let api = client.api_client(&ctx).await.unwrap();
    assert_eq!(api.list_regions(organization).await.unwrap().status(), 200);

    let cluster = platform.resource("cluster-a");
    let references = References::new(client.controller_client(&cluster).await.unwrap());
    let reference: ResourceReference = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc"
        .parse()
        .unwrap();
    references
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap();
    assert_eq!(platform.region().references(NETWORK), [reference.as_str()]);
    references
        .remove_network_reference(NETWORK, &reference)
        .await
        .unwrap();

    // The platform accepted every call, as the service "compute", for the principal, with no
    // Authorization header.
    let calls = platform.region().calls();
    assert_eq!(calls.len(), 3);
    for call in &calls {
        assert_eq!(call.caller(), Some("compute"), "{call}");
        assert_eq!(call.principal(), Some(&platform.principal()), "{call}");
        assert_eq!(call.answered_by, AnsweredBy::Model, "{call}");
        assert!(call.request.header("authorization").is_none());
    }
    let statuses: Vec<_> = calls.iter().map(|call| call.status).collect();
    assert_eq!(statuses, [Some(200), Some(201), Some(204)]);
    // Both clients share one transport: the Secrets were read once, at start-up.
    let (ca, me) = (platform.ca_secret(), platform.client_secret());
    assert_eq!(platform.kube().get_count(&ca.namespace, &ca.name), 1);
    assert_eq!(platform.kube().get_count(&me.namespace, &me.name), 1);
}
