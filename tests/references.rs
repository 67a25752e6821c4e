//! `References` over a platform that fails part-way: what a controller learns when an add was
//! sent more than once, so that it does not leave a finalizer behind on a network being
//! deleted. The testing kit's faults stand in for the ingress giving up on the region service.

use region_client::{References, ReferencesError, ResourceReference};
use region_client_testing::{Fault, OperationId, Platform, region::AnsweredBy};

const NETWORK: &str = "c0a80101-0000-4000-8000-00000000000a";

/// A platform with the network, which is being deleted.
async fn network_being_deleted() -> Platform {
    let platform = Platform::start().await;
    platform
        .region()
        .add_network(NETWORK, platform.organization_id(), platform.project_id());
    platform.region().mark_deleting(NETWORK);
    platform
}

async fn references(platform: &Platform) -> References {
    let cluster = platform.resource("cluster-a");
    References::new(platform.client().controller_client(&cluster).await.unwrap())
}

fn reference() -> ResourceReference {
    "kubernetesclusters.kubernetes.unikorn-cloud.org/abc"
        .parse()
        .unwrap()
}

async fn add(platform: &Platform) -> ReferencesError {
    references(platform)
        .await
        .add_network_reference(NETWORK, &reference())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_add_answered_after_a_retry_may_have_been_applied_and_says_so() {
    let platform = network_being_deleted().await;
    // The ingress gave up waiting for the region service (504), which may have added the
    // reference; by the retry, the network is being deleted.
    platform
        .region()
        .on(OperationId::AddNetworkReference)
        .times(1)
        .fail(Fault::status(504))
        .expect(1);
    let error = add(&platform).await;
    let calls = platform.region().calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].answered_by, AnsweredBy::Model);
    let shown = error.to_string();
    assert!(shown.contains("after 2 attempts"), "{shown}");
    assert!(
        shown.contains("the reference may have been added"),
        "{shown}"
    );
    assert_eq!(error.attempts(), Some(2));
    assert!(error.may_have_been_applied(), "{error:?}");
    assert!(error.is_being_deleted(), "{error:?}");
}

#[tokio::test]
async fn an_add_refused_on_its_only_attempt_was_not_applied() {
    let platform = network_being_deleted().await;
    let error = add(&platform).await;
    assert_eq!(platform.region().calls().len(), 1);
    assert_eq!(error.attempts(), Some(1));
    assert!(error.is_being_deleted(), "{error:?}");
    assert!(!error.may_have_been_applied(), "{error:?}");
    assert!(!error.to_string().contains("may have been"), "{error}");
}

#[tokio::test]
async fn a_gateway_timeout_on_every_attempt_may_have_been_applied() {
    let platform = network_being_deleted().await;
    for operation in [
        OperationId::AddNetworkReference,
        OperationId::RemoveNetworkReference,
    ] {
        platform
            .region()
            .on(operation)
            .fail(Fault::status(504))
            .expect(3);
    }
    let error = add(&platform).await;
    assert_eq!(platform.region().calls().len(), 3);
    assert_eq!(error.status(), Some(http::StatusCode::GATEWAY_TIMEOUT));
    assert_eq!(error.attempts(), Some(3));
    assert!(error.may_have_been_applied());
    assert!(!error.is_being_deleted());
    // Removing is said the same way.
    let error = references(&platform)
        .await
        .remove_network_reference(NETWORK, &reference())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the reference may have been removed"),
        "{error}"
    );
}
