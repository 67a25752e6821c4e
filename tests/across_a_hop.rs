//! Across a hop: a service calls a Rust service behind the platform's ingress, which calls the
//! region API for the same principal, as the platform's Go services do (`UPSTREAM.md` §3,
//! "Across a hop"). The Rust service is built as this project tells services to be built: an
//! authentication middleware stores what `principal::extract` established (`Authenticated`)
//! in the request's extensions, and the handler builds its outbound context with
//! `RequestContext::from_parts`.

use std::sync::Arc;

use bytes::Bytes;
use region_client::{
    Client, Principal, RequestContext,
    core_client::{BoxFuture, EditorError, RequestEditor},
    identity_client::principal::{Authenticated, Caller},
    region_openapi::uuid::Uuid,
};
use region_client_testing::{
    Call, KeyKind, Platform,
    harness::{ORGANIZATION_ID, PROJECT_ID},
    persist_principal,
    platform::error_response,
    server::json_response,
    service::Service,
};

struct Hop {
    /// The region API and compute's own identity: compute calls the region API.
    platform: Platform,
    /// "compute", the Rust service behind the ingress, which calls the region API.
    compute: Service,
    /// "kubernetes", the service calling compute.
    kubernetes: Client,
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
    // compute's identity is the platform's service; kubernetes gets one of its own. RSA keys:
    // the controller path signs with them.
    let platform = Platform::builder().service("compute").start().await;
    let compute_to_region = platform.client();
    let compute = platform
        .start_service(move |request| {
            list_regions_for_the_caller(compute_to_region.clone(), request)
        })
        .await;
    let kubernetes = Client::new(
        platform.kube_client(),
        region_client::options()
            .with_host(compute.url())
            .with_ca_secret(&platform.ca_secret().namespace, &platform.ca_secret().name),
        platform.add_client_certificate("kubernetes-client", "kubernetes", KeyKind::Rsa),
    );
    Hop {
        platform,
        compute,
        kubernetes,
    }
}

fn alice() -> Principal {
    Principal::new(ORGANIZATION_ID, PROJECT_ID, "alice@example.com")
}

fn bob() -> Principal {
    Principal::new(ORGANIZATION_ID, PROJECT_ID, "bob")
}

/// The one call the region API saw, which it accepted, from compute.
fn seen_by_region(hop: &Hop) -> (Call, Authenticated) {
    let mut calls = hop.platform.region().calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = calls.remove(0);
    assert_eq!(call.status, Some(200));
    let authenticated = call.authenticated.clone().expect("accepted");
    assert!(
        matches!(&authenticated.caller, Caller::System { common_name } if common_name == "compute"),
        "{authenticated:?}"
    );
    (call, authenticated)
}

#[tokio::test]
async fn an_impersonated_call_is_impersonated_on_the_next_hop_too() {
    let hop = hop().await;
    let ctx = RequestContext::new()
        .with_principal(alice())
        .impersonating();
    let api = hop.kubernetes.api_client(&ctx).await.unwrap();
    let regions = api
        .list_regions(ORGANIZATION_ID)
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
    api.list_regions(ORGANIZATION_ID)
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
    let mut cluster = hop.platform.resource("cluster-a");
    persist_principal(&mut cluster.metadata, &bob());
    // The signed principal of the controller path: X-Impersonate is not honoured with it,
    // even when a request carries one.
    let api = hop
        .kubernetes
        .controller_client(&cluster)
        .await
        .unwrap()
        .with_request_editor(Arc::new(AskToImpersonate));
    api.list_regions(ORGANIZATION_ID)
        .await
        .unwrap()
        .into_result()
        .unwrap();

    let inbound = &hop.compute.authenticated()[0];
    assert!(!inbound.impersonate);
    assert_eq!(inbound.principal, Some(bob()));
    let (seen, authenticated) = seen_by_region(&hop);
    assert!(seen.request.header("x-impersonate").is_none());
    assert!(!authenticated.impersonate);
    assert_eq!(authenticated.principal, Some(bob()));
}
