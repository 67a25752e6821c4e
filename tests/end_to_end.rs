//! End to end across every layer: Secrets from the Kubernetes API fake, a service token from
//! the OIDC issuer, the generated region client through the identity editors, and the region
//! API fake checking what arrived.

use std::{collections::BTreeMap, sync::Arc};

use k8s_openapi::api::core::v1::ConfigMap;
use region_client::{
    AccessTokenSource, BaseClient, Client, HttpClientOptions, HttpOptions, Principal, References,
    RequestContext, ResourceReference, TokenIssuer, core_client::ClientCache,
    identity_client::principal, region_openapi::ListRegionsResponse,
};
use test_support::{
    Ca, KeyKind, RecordedRequest, kube::KubeApi, oidc::OidcIssuer, region::RegionApi,
};

const NS: &str = "unikorn";

struct Stack {
    kube: KubeApi,
    clients: Ca,
    identity: OidcIssuer,
    region: RegionApi,
    client: Client,
    tokens: Arc<dyn AccessTokenSource>,
}

/// The whole stack, the caller's client certificate having a `kind` key.
async fn stack(kind: KeyKind) -> Stack {
    let platform = Ca::new("platform-ca");
    let clients = Ca::new("clients-ca");
    let me = clients.client_cert("compute", kind);
    let kube = KubeApi::start().await;
    kube.put_tls_secret(NS, "platform-ca", &platform.cert_pem, None);
    kube.put_tls_secret(NS, "compute-client", &me.chain_pem(), Some(&me.key_pem()));
    let server_cert = platform.server_cert(&["127.0.0.1"]);
    let identity = OidcIssuer::start(&server_cert, &clients).await;
    let region = RegionApi::start(&server_cert, &clients).await;

    // One cache for both services: one Secret read, one pool per distinct configuration.
    let cache = ClientCache::new(kube.client());
    let client_options = HttpClientOptions::new().with_certificate(NS, "compute-client");
    let identity_base = BaseClient::with_cache(
        cache.clone(),
        HttpOptions::new("identity")
            .with_host(identity.url())
            .with_ca_secret(NS, "platform-ca"),
        client_options.clone(),
    );
    let tokens: Arc<dyn AccessTokenSource> =
        Arc::new(TokenIssuer::new(identity_base, "compute", "1.0.0").token_source());
    let client = Client::from_base(BaseClient::with_cache(
        cache,
        region_client::options()
            .with_host(region.url())
            .with_ca_secret(NS, "platform-ca"),
        client_options,
    ));
    Stack {
        kube,
        clients,
        identity,
        region,
        client,
        tokens,
    }
}

/// The principal of `seen`, verified against the certificate presented in its handshake.
fn verified(seen: &RecordedRequest) -> Principal {
    let jws = seen.header("x-principal").expect("X-Principal");
    principal::verify(jws, &seen.peer_certificates[0])
        .expect("the principal verifies")
        .principal
}

#[tokio::test]
async fn issued_token_principal_and_references_across_all_layers() {
    let s = stack(KeyKind::Ed25519).await;
    s.region.add_network("net-1");
    let principal = Principal::new("org-1", "proj-1", "alice@example.com");
    let ctx = RequestContext::new().with_principal(principal.clone());

    let api = s.client.api_client(&ctx, s.tokens.clone()).await.unwrap();
    let ListRegionsResponse::Ok(regions) = api.list_regions("org-1").await.unwrap() else {
        panic!("listing regions failed");
    };
    assert_eq!(regions.len(), 1);
    let seen = s.region.requests().pop().unwrap();
    assert_eq!(seen.header("authorization"), Some("Bearer issued-token-1"));
    assert_eq!(verified(&seen), principal);

    let references = References::new(api);
    let reference: ResourceReference = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc"
        .parse()
        .unwrap();
    references
        .add_network_reference("net-1", &reference)
        .await
        .unwrap();
    assert_eq!(
        references.network_references("net-1").await.unwrap(),
        vec![reference.clone()]
    );
    references
        .remove_network_reference("net-1", &reference)
        .await
        .unwrap();

    // Every call reused the one token and the Secrets were read once for both services.
    assert_eq!(s.identity.token_calls(), 1);
    for request in s.region.requests() {
        assert_eq!(
            request.header("authorization"),
            Some("Bearer issued-token-1")
        );
    }
    assert_eq!(s.kube.get_count(NS, "platform-ca"), 1);
    assert_eq!(s.kube.get_count(NS, "compute-client"), 1);
}

#[tokio::test]
async fn a_rotated_client_certificate_is_presented_and_signs_from_then_on() {
    let s = stack(KeyKind::EcdsaP256).await;
    let mut labels = BTreeMap::new();
    labels.insert(
        "unikorn-cloud.org/organization".to_owned(),
        "org-2".to_owned(),
    );
    let mut annotations = BTreeMap::new();
    annotations.insert("unikorn-cloud.org/creator".to_owned(), "bob".to_owned());
    let mut cluster = ConfigMap::default();
    cluster.metadata.name = Some("cluster-a".into());
    cluster.metadata.labels = Some(labels);
    cluster.metadata.annotations = Some(annotations);

    let api = s
        .client
        .controller_client(s.tokens.clone(), &cluster)
        .await
        .unwrap();
    api.list_regions("org-2").await.unwrap();
    let before = s.region.requests().pop().unwrap();
    let expected = Principal::new("org-2", "", "bob");
    assert_eq!(verified(&before), expected);

    // Rotate the client certificate (a new key, another RSA one this time) and pick it up.
    let rotated = s.clients.client_cert("compute", KeyKind::Rsa);
    s.kube.put_tls_secret(
        NS,
        "compute-client",
        &rotated.chain_pem(),
        Some(&rotated.key_pem()),
    );
    let http = s.client.base().http_client().await.unwrap();
    assert!(http.reload().await.unwrap());

    // The same API client, built before the rotation, now presents and signs with the new one.
    api.list_regions("org-2").await.unwrap();
    let after = s.region.requests().pop().unwrap();
    assert_eq!(after.peer_certificates[0], rotated.cert_der);
    assert_ne!(after.peer_certificates[0], before.peer_certificates[0]);
    assert_eq!(verified(&after), expected);
    // A principal signed with the new key does not verify against the old certificate.
    assert!(
        principal::verify(
            after.header("x-principal").unwrap(),
            &before.peer_certificates[0]
        )
        .is_err()
    );
}
