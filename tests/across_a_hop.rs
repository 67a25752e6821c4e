//! Across a hop: a service calls a Rust service behind the platform's ingress, which calls the
//! region API for the same principal, as the platform's Go services do (`UPSTREAM.md` §3,
//! "Across a hop"). The Rust service is built as this project tells services to be built: an
//! authentication middleware stores what `principal::extract` established (`Authenticated`)
//! in the request's extensions, and the handler builds its outbound context with
//! `RequestContext::from_parts`.

use std::{collections::BTreeMap, sync::Arc};

use bytes::Bytes;
use k8s_openapi::api::core::v1::ConfigMap;
use region_client::{
    BaseClient, Client, HttpClientOptions, Principal, RequestContext,
    core_client::{BoxFuture, ClientCache, EditorError, RequestEditor},
    identity_client::principal::{Authenticated, Caller},
    region_openapi::uuid::Uuid,
};
use test_support::{
    Ca, KeyEncoding,
    kube::KubeApi,
    platform::error_response,
    region::{RegionApi, Seen},
    server::json_response,
    service::Service,
};

const NS: &str = "unikorn";
const ORG: &str = "9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c";
const PROJECT: &str = "77b0d4aa-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

fn org_id() -> Uuid {
    ORG.parse().unwrap()
}

struct Hop {
    _kube: KubeApi,
    region: RegionApi,
    /// "compute", the Rust service behind the ingress, which calls the region API.
    compute: Service,
    /// "kubernetes", the service calling compute.
    kubernetes: Client,
}

/// A region client for `service` (its client certificate from Secret `{service}-client`) at
/// `host`.
fn client_of(kube: &KubeApi, service: &str, host: String) -> Client {
    Client::from_base(BaseClient::with_cache(
        ClientCache::new(kube.client()),
        region_client::options()
            .with_host(host)
            .with_ca_secret(NS, "platform-ca"),
        HttpClientOptions::new().with_certificate(NS, format!("{service}-client")),
    ))
}

/// compute's one handler: lists the regions of the organization in the path by calling the
/// region API for the inbound request's principal, and answers with what it got.
async fn list_regions_for_the_caller(
    region: Client,
    request: http::Request<Bytes>,
) -> http::Response<Bytes> {
    let (parts, _) = request.into_parts();
    let ctx = RequestContext::from_parts(&parts);
    let api = match region.api_client(&ctx).await {
        Ok(api) => api,
        Err(error) => return error_response(500, "server_error", &error.to_string(), ""),
    };
    let Some(organization) = parts
        .uri
        .path()
        .split('/')
        .nth(4)
        .and_then(|id| id.parse::<Uuid>().ok())
    else {
        return error_response(404, "not_found", "resource not found", "");
    };
    match api
        .list_regions(organization)
        .await
        .map(|answer| answer.into_result())
    {
        Ok(Ok(regions)) => json_response(200, &serde_json::to_value(regions).unwrap()),
        Ok(Err(error)) => error_response(
            error.status().map_or(502, |status| status.as_u16()),
            "server_error",
            &error.to_string(),
            "",
        ),
        Err(error) => error_response(502, "server_error", &error.to_string(), ""),
    }
}

async fn hop() -> Hop {
    let platform = Ca::new("platform-ca");
    let clients = Ca::new("clients-ca");
    let kube = KubeApi::start().await;
    kube.put_tls_secret(NS, "platform-ca", &platform.cert_pem, None);
    // RSA keys: the controller path signs with them.
    for (slot, service) in ["compute", "kubernetes"].into_iter().enumerate() {
        let leaf = clients.client_cert_rsa(service, slot);
        kube.put_tls_secret(
            NS,
            &format!("{service}-client"),
            &leaf.chain_pem(),
            Some(&leaf.key_pem_as(KeyEncoding::Pkcs8)),
        );
    }
    let server_certificate = platform.server_cert(&["127.0.0.1"]);
    let region = RegionApi::start(&server_certificate, &clients).await;
    let compute_to_region = client_of(&kube, "compute", region.url());
    let compute = Service::start(&server_certificate, &clients, move |request| {
        list_regions_for_the_caller(compute_to_region.clone(), request)
    })
    .await;
    let kubernetes = client_of(&kube, "kubernetes", compute.url());
    Hop {
        _kube: kube,
        region,
        compute,
        kubernetes,
    }
}

fn alice() -> Principal {
    Principal::new(ORG, PROJECT, "alice@example.com")
}

/// The one request the region API saw, which it accepted, from compute.
fn seen_by_region(hop: &Hop) -> (Seen, Authenticated) {
    let mut seen = hop.region.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let seen = seen.remove(0);
    assert_eq!(seen.status, 200);
    let authenticated = seen.authenticated.clone().expect("accepted");
    assert!(
        matches!(&authenticated.caller, Caller::System { common_name } if common_name == "compute"),
        "{authenticated:?}"
    );
    (seen, authenticated)
}

#[tokio::test]
async fn an_impersonated_call_is_impersonated_on_the_next_hop_too() {
    let hop = hop().await;
    let ctx = RequestContext::new()
        .with_principal(alice())
        .impersonating();
    let api = hop.kubernetes.api_client(&ctx).await.unwrap();
    let regions = api
        .list_regions(org_id())
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(regions.len(), 1);

    // compute was called by kubernetes, impersonating alice...
    let inbound = hop.compute.authenticated();
    assert_eq!(inbound.len(), 1);
    assert!(
        matches!(&inbound[0].caller, Caller::System { common_name } if common_name == "kubernetes")
    );
    assert!(inbound[0].impersonate);

    // ...and the region API sees compute's call impersonating the same principal.
    let (seen, authenticated) = seen_by_region(&hop);
    assert_eq!(seen.request.header("x-impersonate"), Some("true"));
    assert!(authenticated.impersonate);
    assert_eq!(authenticated.principal, Some(alice()));
    // The certificate of the chain is not forwarded by default: compute is the caller.
    assert!(seen.request.header("unikorn-client-certificate").is_none());
}

#[tokio::test]
async fn a_call_without_impersonation_is_not_impersonated_on_the_next_hop() {
    let hop = hop().await;
    let ctx = RequestContext::new().with_principal(alice());
    let api = hop.kubernetes.api_client(&ctx).await.unwrap();
    api.list_regions(org_id())
        .await
        .unwrap()
        .into_result()
        .unwrap();

    assert!(!hop.compute.authenticated()[0].impersonate);
    let (seen, authenticated) = seen_by_region(&hop);
    assert!(seen.request.header("x-impersonate").is_none());
    assert!(!authenticated.impersonate);
    assert_eq!(authenticated.principal, Some(alice()));
}

/// Adds `X-Impersonate: true` to every request, whatever else it carries.
#[derive(Debug)]
struct AskToImpersonate;

impl RequestEditor for AskToImpersonate {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        request
            .headers_mut()
            .insert("x-impersonate", http::HeaderValue::from_static("true"));
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn a_controller_call_is_never_impersonated_on_the_next_hop() {
    let hop = hop().await;
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
    // The signed principal of the controller path: X-Impersonate is not honoured with it,
    // even when a request carries one.
    let api = hop
        .kubernetes
        .controller_client(&cluster)
        .await
        .unwrap()
        .with_request_editor(Arc::new(AskToImpersonate));
    api.list_regions(org_id())
        .await
        .unwrap()
        .into_result()
        .unwrap();

    let inbound = &hop.compute.authenticated()[0];
    assert!(!inbound.impersonate);
    assert_eq!(inbound.principal, Some(Principal::new(ORG, PROJECT, "bob")));
    let (seen, authenticated) = seen_by_region(&hop);
    assert!(seen.request.header("x-impersonate").is_none());
    assert!(!authenticated.impersonate);
    assert_eq!(
        authenticated.principal,
        Some(Principal::new(ORG, PROJECT, "bob"))
    );
}
