//! `References` over a network that fails part-way, through a scriptable server: what a
//! controller learns when an add was sent more than once, so that it does not leave a
//! finalizer behind on a network being deleted.

mod support;

use bytes::Bytes;
use core_client::{ClientBuilder as _, HttpClient, HttpConfig, ResourceReference};
use region_client::{References, region_openapi};
use support::fault_server::{Action, FaultServer, Protocol, answer};
use test_support::{Ca, server::client_tls_config};

const NETWORK: &str = "c0a80101-0000-4000-8000-00000000000a";

/// The platform's answer to adding a reference to a network being deleted.
fn being_deleted() -> Action {
    Action::Respond(
        http::Response::builder()
            .status(400)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Bytes::from_static(
                br#"{"error":"invalid_request","error_description":"unable to add reference, resource is being deleted","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#,
            ))
            .unwrap(),
    )
}

fn references(ca: &Ca, server: &FaultServer) -> References {
    let http =
        HttpClient::from_tls_config(client_tls_config(ca, None), None, HttpConfig::default());
    let client = region_openapi::Client::builder()
        .with_http_client(http)
        .build(&server.url())
        .unwrap();
    References::new(client)
}

fn reference() -> ResourceReference {
    "kubernetesclusters.kubernetes.unikorn-cloud.org/abc"
        .parse()
        .unwrap()
}

#[tokio::test]
async fn an_add_answered_after_a_retry_may_have_been_applied_and_says_so() {
    let ca = Ca::new("ca");
    // The ingress gave up waiting for the region service (504), which may have added the
    // reference; by the retry, the network is being deleted.
    let server = FaultServer::start(&ca, Protocol::Http2, None, |call| match call.index {
        0 => answer(504, None),
        _ => being_deleted(),
    })
    .await;
    let error = references(&ca, &server)
        .add_network_reference(NETWORK, &reference())
        .await
        .unwrap_err();
    assert_eq!(server.calls(), 2);
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
    let ca = Ca::new("ca");
    let server = FaultServer::start(&ca, Protocol::Http2, None, |_| being_deleted()).await;
    let error = references(&ca, &server)
        .add_network_reference(NETWORK, &reference())
        .await
        .unwrap_err();
    assert_eq!(server.calls(), 1);
    assert_eq!(error.attempts(), Some(1));
    assert!(!error.may_have_been_applied(), "{error:?}");
    assert!(!error.to_string().contains("may have been"), "{error}");
}

#[tokio::test]
async fn a_gateway_timeout_on_every_attempt_may_have_been_applied() {
    let ca = Ca::new("ca");
    let server = FaultServer::start(&ca, Protocol::Http1, None, |_| answer(504, None)).await;
    let references = references(&ca, &server);
    let error = references
        .add_network_reference(NETWORK, &reference())
        .await
        .unwrap_err();
    assert_eq!(server.calls(), 3);
    assert_eq!(error.status(), Some(http::StatusCode::GATEWAY_TIMEOUT));
    assert_eq!(error.attempts(), Some(3));
    assert!(error.may_have_been_applied());
    assert!(!error.is_being_deleted());
    // Removing is said the same way.
    let error = references
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
