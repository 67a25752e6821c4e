//! End to end across every layer: Secrets from the Kubernetes API fake, the generated region
//! client through the identity editors, and the region API fake behind the platform's ingress,
//! authenticating each call as the platform's middleware does.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use region_client::{
    BaseClient, Client, HttpClientOptions, Principal, References, RequestContext,
    ResourceReference, core_client::ClientCache, identity_client::principal::Caller,
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

struct Stack {
    kube: KubeApi,
    clients: Ca,
    region: RegionApi,
    client: Client,
}

/// The whole stack; the caller's client certificate has an RSA key.
async fn stack() -> Stack {
    let platform = Ca::new("platform-ca");
    let clients = Ca::new("clients-ca");
    let me = clients.client_cert_rsa("compute", 0);
    let kube = KubeApi::start().await;
    kube.put_tls_secret(NS, "platform-ca", &platform.cert_pem, None);
    kube.put_tls_secret(
        NS,
        "compute-client",
        &me.chain_pem(),
        Some(&me.key_pem_as(KeyEncoding::Pkcs8)),
    );
    let region = RegionApi::start(&platform.server_cert(&["127.0.0.1"]), &clients).await;
    region.add_network(NETWORK, ORG, PROJECT);
    let client = Client::from_base(BaseClient::with_cache(
        ClientCache::new(kube.client()),
        region_client::options()
            .with_host(region.url())
            .with_ca_secret(NS, "platform-ca"),
        HttpClientOptions::new().with_certificate(NS, "compute-client"),
    ));
    Stack {
        kube,
        clients,
        region,
        client,
    }
}

fn cluster() -> ConfigMap {
    let mut cluster = ConfigMap::default();
    cluster.metadata.name = Some("cluster-a".into());
    cluster.metadata.labels = Some(BTreeMap::from([
        ("unikorn-cloud.org/organization".to_owned(), ORG.to_owned()),
        ("unikorn-cloud.org/project".to_owned(), PROJECT.to_owned()),
    ]));
    cluster.metadata.annotations = Some(BTreeMap::from([(
        "unikorn-cloud.org/creator".to_owned(),
        "bob".to_owned(),
    )]));
    cluster
}

#[tokio::test]
async fn both_paths_and_references_across_all_layers() {
    let s = stack().await;
    let alice = Principal::new(ORG, PROJECT, "alice@example.com");
    let ctx = RequestContext::new().with_principal(alice.clone());
    let api = s.client.api_client(&ctx).await.unwrap();
    assert_eq!(api.list_regions(org_id()).await.unwrap().status(), 200);

    let controller = s.client.controller_client(&cluster()).await.unwrap();
    let references = References::new(controller);
    let reference: ResourceReference = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc"
        .parse()
        .unwrap();
    references
        .add_network_reference(NETWORK, &reference)
        .await
        .unwrap();
    assert_eq!(s.region.references(NETWORK), [reference.as_str()]);
    references
        .remove_network_reference(NETWORK, &reference)
        .await
        .unwrap();

    // The platform accepted every call, as the service "compute", for the right principal.
    let principals: Vec<_> = s
        .region
        .seen()
        .into_iter()
        .map(|seen| {
            let authenticated = seen.authenticated.expect("accepted");
            assert!(
                matches!(&authenticated.caller, Caller::System { common_name } if common_name == "compute")
            );
            assert!(seen.request.header("authorization").is_none());
            authenticated.principal.unwrap().actor
        })
        .collect();
    assert_eq!(principals, ["alice@example.com", "bob", "bob"]);
    // Both clients share one transport: the Secrets were read once.
    assert_eq!(s.kube.get_count(NS, "platform-ca"), 1);
    assert_eq!(s.kube.get_count(NS, "compute-client"), 1);
}

#[tokio::test]
async fn a_rotated_client_certificate_is_presented_and_signs_from_then_on() {
    let s = stack().await;
    let api = s.client.controller_client(&cluster()).await.unwrap();
    api.list_regions(org_id()).await.unwrap();
    let before = s.region.server().requests().pop().unwrap();

    // Rotate the client certificate to a new RSA key and pick it up.
    let rotated = s.clients.client_cert_rsa("compute", 1);
    s.kube.put_tls_secret(
        NS,
        "compute-client",
        &rotated.chain_pem(),
        Some(&rotated.key_pem()),
    );
    let http = s.client.base().http_client().await.unwrap();
    assert!(http.reload().await.unwrap());

    // The same API client, built before the rotation, now presents and signs with the new one,
    // and the platform accepts it.
    api.list_regions(org_id()).await.unwrap();
    let after = s.region.server().requests().pop().unwrap();
    assert_eq!(after.peer_certificates[0], rotated.cert_der);
    assert_ne!(after.peer_certificates[0], before.peer_certificates[0]);
    assert_ne!(after.header("x-principal"), before.header("x-principal"));
    let statuses: Vec<u16> = s.region.seen().iter().map(|seen| seen.status).collect();
    assert_eq!(statuses, [200, 200]);
}
