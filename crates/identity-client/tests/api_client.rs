//! The API path against a real server behind the platform's ingress: every header arrives as
//! the platform's Go clients send it, and the platform's middleware accepts it.

mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Fixture, ORGANIZATION, USER_TOKEN, api_path, by_bearer};
use identity_client::{
    AccessToken, AccountType, Error, ForwardedCertificate, Principal, PrincipalError,
    RequestContext, StaticTokenSource, api_client,
    principal::{self, CertificateSource, escape_certificate},
};
use opentelemetry::{
    Context,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};
use region_client_testing::{KeyEncoding, KeyKind};

fn alice() -> Principal {
    Principal::new("org-1", "proj-1", "alice@example.com")
}

fn propagator() {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
}

fn remote_context() -> Context {
    let span = SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        "vendor=opaque".parse::<TraceState>().unwrap(),
    );
    Context::new().with_remote_span_context(span)
}

#[tokio::test]
async fn every_header_arrives_as_the_platform_sends_it_and_is_accepted() {
    propagator();
    let fixture = Fixture::start().await;
    let leaf = fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    let ctx = RequestContext::new()
        .with_principal(alice())
        .with_otel_context(remote_context());
    let api = api_path(&base, &ctx).await;
    assert_eq!(api.list_regions(ORGANIZATION).await.unwrap().status(), 200);

    let request = fixture.requests().pop().unwrap();
    assert_eq!(
        request.header("traceparent"),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
    assert_eq!(request.header("tracestate"), Some("vendor=opaque"));
    // X-Principal: exactly base64url without padding of the principal's JSON.
    let value = request.header("x-principal").unwrap();
    assert!(!value.contains(['=', '+', '/', '.']), "{value}");
    let json: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(value).unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "organizationId": "org-1",
            "projectId": "proj-1",
            "actor": "alice@example.com",
        })
    );
    // The service is identified by its certificate; nothing else is sent.
    for absent in [
        "x-impersonate",
        "authorization",
        "unikorn-client-certificate",
        "baggage",
    ] {
        assert!(request.headers.get(absent).is_none(), "{absent}");
    }
    assert_eq!(
        request.peer_certificates[0].as_ref(),
        leaf.cert_der.as_ref()
    );

    let verdict = fixture.last_call();
    assert_eq!(verdict.status, Some(200));
    assert_eq!(verdict.caller(), Some("compute"));
    assert_eq!(verdict.principal().cloned(), Some(alice()));
    assert!(!verdict.impersonated());
}

#[tokio::test]
async fn every_principal_field_travels() {
    let fixture = Fixture::start().await;
    let base = fixture.compute();
    let principal = alice()
        .with_organization_ids(["org-1", "org-2"])
        .with_account_type(AccountType::Other("robot".into()));
    let ctx = RequestContext::new().with_principal(principal.clone());
    let api = api_path(&base, &ctx).await;
    api.list_regions(ORGANIZATION).await.unwrap();
    let request = fixture.requests().pop().unwrap();
    let json: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(request.header("x-principal").unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        json["organizationIds"],
        serde_json::json!(["org-1", "org-2"])
    );
    assert_eq!(json["type"], "robot");
    assert_eq!(fixture.last_call().principal().cloned(), Some(principal));
}

#[tokio::test]
async fn x_impersonate_is_sent_exactly_when_asked() {
    let fixture = Fixture::start().await;
    let base = fixture.compute();
    for impersonate in [false, true] {
        let mut ctx = RequestContext::new().with_principal(alice());
        if impersonate {
            ctx = ctx.impersonating();
        }
        let api = api_path(&base, &ctx).await;
        api.list_regions(ORGANIZATION).await.unwrap();
        let request = fixture.requests().pop().unwrap();
        let expected = impersonate.then_some("true");
        assert_eq!(request.header("x-impersonate"), expected);
        assert_eq!(fixture.last_call().impersonated(), impersonate);
    }
}

#[tokio::test]
async fn the_api_path_works_with_every_key_type() {
    let fixture = Fixture::start().await;
    for kind in KeyKind::ALL {
        let name = format!("client-{kind:?}").to_lowercase();
        fixture.client_secret(&name, kind, KeyEncoding::Pkcs8);
        let base = fixture.base(Some(&name));
        let ctx = RequestContext::new().with_principal(alice());
        let api = api_path(&base, &ctx).await;
        assert_eq!(
            api.list_regions(ORGANIZATION).await.unwrap().status(),
            200,
            "{kind:?}"
        );
        assert_eq!(
            fixture.last_call().principal().cloned(),
            Some(alice()),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn a_forwarded_certificate_is_sent_only_when_set_and_names_the_caller() {
    let fixture = Fixture::start().await;
    // The certificate of the service that started the chain.
    let origin = fixture.ca().client_cert("kubernetes", KeyKind::EcdsaP256);
    let forwarded = escape_certificate(&origin.cert_der);
    let ctx = RequestContext::new()
        .with_principal(alice())
        .with_client_certificate(ForwardedCertificate::from_pem(origin.chain_pem()).unwrap());
    assert_forwards(&fixture, &ctx, &forwarded).await;
}

/// Sends a request for `ctx` as `compute` (an EC client certificate), and checks that it
/// carried `forwarded` as `Unikorn-Client-Certificate` and that the platform authenticated the
/// call as the service that started the chain, `kubernetes`.
async fn assert_forwards(fixture: &Fixture, ctx: &RequestContext, forwarded: &str) {
    let api = api_path(&fixture.compute(), ctx).await;
    assert_eq!(api.list_regions(ORGANIZATION).await.unwrap().status(), 200);
    let request = fixture.requests().pop().unwrap();
    assert_eq!(
        request.header("unikorn-client-certificate"),
        Some(forwarded)
    );
    // The platform authenticates the call as the service that started the chain.
    assert_eq!(fixture.last_call().caller(), Some("kubernetes"));
}

#[tokio::test]
async fn authorization_is_sent_only_with_an_attached_bearer() {
    let fixture = Fixture::start().await;
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let ctx = RequestContext::new()
        .with_principal(alice())
        .with_bearer(StaticTokenSource::new(AccessToken::new(USER_TOKEN)));
    // With a client certificate too: the platform then authenticates the token and still
    // takes the principal from X-Principal.
    let api = api_path(&fixture.base(Some("compute-client")), &ctx).await;
    api.list_regions(ORGANIZATION).await.unwrap();
    let request = fixture.requests().pop().unwrap();
    let authorization = &request.headers["authorization"];
    assert_eq!(authorization, &format!("Bearer {USER_TOKEN}"));
    assert!(by_bearer(&fixture.last_call()));
    assert_eq!(fixture.last_call().principal().cloned(), Some(alice()));

    // A user's call without a client certificate: the bearer alone identifies the caller.
    let api = api_path(&fixture.base(None), &ctx).await;
    assert_eq!(api.list_regions(ORGANIZATION).await.unwrap().status(), 200);
    assert!(
        fixture
            .requests()
            .pop()
            .unwrap()
            .peer_certificates
            .is_empty()
    );
    assert!(by_bearer(&fixture.last_call()));
}

#[tokio::test]
async fn nothing_is_sent_without_a_principal_or_an_identity() {
    let fixture = Fixture::start().await;
    let base = fixture.compute();
    let error = api_client(
        &base,
        region_openapi::Client::builder(),
        &RequestContext::new(),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(error, Error::MissingPrincipal), "{error:?}");

    let empty = RequestContext::new().with_principal(Principal::default());
    let error = api_client(&base, region_openapi::Client::builder(), &empty)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, Error::Principal(PrincipalError::Empty)),
        "{error:?}"
    );

    let ctx = RequestContext::new().with_principal(alice());
    let error = api_client(&fixture.base(None), region_openapi::Client::builder(), &ctx)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, Error::NoIdentity { ref service } if service == "region"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("--client-certificate-name"),
        "{error}"
    );
    assert!(fixture.requests().is_empty());
}

#[tokio::test]
async fn the_inbound_certificate_is_forwarded_as_received() {
    let fixture = Fixture::start().await;
    // An inbound request, from a service forwarding the certificate of the chain's origin in
    // Go's `url.QueryEscape` style (spaces as `+`).
    let direct = fixture.ca().client_cert("compute", KeyKind::EcdsaP256);
    let origin = fixture.ca().client_cert("kubernetes", KeyKind::EcdsaP256);
    let received = escape_certificate(&origin.cert_der).replace("%20", "+");
    let mut inbound = http::HeaderMap::new();
    inbound.insert(
        "ssl-client-cert",
        escape_certificate(&direct.cert_der).parse().unwrap(),
    );
    inbound.insert("ssl-client-verify", "SUCCESS".parse().unwrap());
    inbound.insert("unikorn-client-certificate", received.parse().unwrap());
    inbound.insert("x-principal", principal::encode(&alice()).parse().unwrap());
    let authenticated = principal::extract(&inbound, CertificateSource::Ingress).unwrap();

    let certificate = authenticated.forwardable_certificate().unwrap().unwrap();
    assert_eq!(certificate.common_name(), "kubernetes");
    let ctx = RequestContext::new()
        .with_authenticated(&authenticated)
        .with_client_certificate(certificate);
    assert_forwards(&fixture, &ctx, &received).await;
}

#[tokio::test]
async fn impersonating_a_principal_without_an_actor_is_refused_before_sending() {
    let fixture = Fixture::start().await;
    let base = fixture.compute();
    // The platform answers 400 "principal propagation failure" to this: refuse it here.
    let ctx = RequestContext::new()
        .with_principal(Principal::new("org-1", "proj-1", ""))
        .impersonating();
    let error = api_client(&base, region_openapi::Client::builder(), &ctx)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            error,
            Error::Principal(PrincipalError::ImpersonationWithoutActor)
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("no usable principal"), "{error}");
    assert!(fixture.requests().is_empty());

    // Without impersonation the same principal is attribution only, and is sent.
    let ctx = RequestContext::new().with_principal(Principal::new("org-1", "proj-1", ""));
    let api = api_path(&base, &ctx).await;
    assert_eq!(api.list_regions(ORGANIZATION).await.unwrap().status(), 200);
}
