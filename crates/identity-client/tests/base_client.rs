//! `BaseClient`: the transport is built once and shared through the cache.

mod common;

use common::{CA_SECRET, Fixture, NAMESPACE, ORGANIZATION};
use core_client::{HttpClientOptions, HttpOptions};
use identity_client::BaseClient;
use region_client_testing::{KeyEncoding, KeyKind};

#[tokio::test]
async fn base_clients_sharing_a_cache_read_secrets_once_and_send_plain_requests() {
    let fixture = Fixture::start().await;
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let region = fixture.base(Some("compute-client"));
    // The platform's own client read the CA Secret at start-up.
    let ca_reads = fixture.kube().get_count(NAMESPACE, CA_SECRET);
    // Another service with the same trust settings, sharing the first one's cache.
    let other = BaseClient::with_cache(
        region.cache().clone(),
        HttpOptions::new("compute")
            .with_host(fixture.platform.region().server().localhost_url())
            .with_ca_secret(NAMESPACE, CA_SECRET),
        HttpClientOptions::new().with_certificate(NAMESPACE, "compute-client"),
    );
    assert_eq!(other.options().service(), "compute");
    let first = region.http_client().await.unwrap();
    let second = other.http_client().await.unwrap();
    let again = region.http_client().await.unwrap();
    assert_eq!(fixture.kube().get_count(NAMESPACE, "compute-client"), 1);
    assert_eq!(fixture.kube().get_count(NAMESPACE, CA_SECRET), ca_reads + 1);
    assert!(first.client_identity().is_some());
    assert!(second.client_identity().is_some() && again.client_identity().is_some());

    // http_client() is TLS + mTLS only: no identity headers are added, so the platform, seeing
    // a client certificate, refuses the missing principal.
    let request = http::Request::get(format!(
        "{}/api/v1/organizations/{ORGANIZATION}/regions",
        region.options().host()
    ))
    .body(bytes::Bytes::new())
    .unwrap();
    let response = first.send(request).await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(
        body["error_description"],
        "principal propagation failure for authentication"
    );
    let seen = fixture.requests().pop().unwrap();
    assert!(!seen.peer_certificates.is_empty());
    for header in [
        "authorization",
        "x-principal",
        "traceparent",
        "unikorn-client-certificate",
    ] {
        assert!(seen.headers.get(header).is_none(), "{header}");
    }
}

/// `ready()` reads the Secrets and builds the transport at start-up: a missing Secret is the
/// typed error naming the service and the Secret then, not at the first request.
#[tokio::test]
async fn ready_reads_the_secrets_now_and_fails_with_the_secret_named() {
    let fixture = Fixture::start().await;
    let missing = fixture.base(Some("compute-client"));
    match missing.ready().await {
        Err(identity_client::Error::HttpClient { service, source }) => {
            assert_eq!(service, "region");
            assert!(
                matches!(
                    &source,
                    core_client::ClientError::Secret(core_client::SecretError::NotFound { secret })
                        if secret.name == "compute-client"
                ),
                "{source:?}"
            );
        }
        other => panic!("expected the missing Secret, got {other:?}"),
    }
    assert_eq!(fixture.kube().get_count(NAMESPACE, "compute-client"), 1);

    let base = fixture.compute();
    base.ready().await.unwrap();
    assert_eq!(fixture.kube().get_count(NAMESPACE, "compute-client"), 2);
    // Built once: the first request reads nothing.
    base.http_client().await.unwrap();
    assert_eq!(fixture.kube().get_count(NAMESPACE, "compute-client"), 2);
}
