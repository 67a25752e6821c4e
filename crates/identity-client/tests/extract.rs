//! `principal::extract`: each refusal of the platform's middleware has its own test, with the
//! status and description the platform answers.

mod common;

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Edit, Fixture, ORGANIZATION, api_path};
use core_client::ClientIdentity;
use identity_client::{
    Principal, RequestContext,
    principal::{
        self, Caller, CertificateSource, ExtractError, MAX_HEADER_LEN, PrincipalRefusal,
        escape_certificate, extract,
        jws::{self, JwsError},
    },
};
use region_client_testing::{Ca, KeyEncoding, KeyKind, Leaf};

fn alice() -> Principal {
    Principal::new("org-1", "proj-1", "alice@example.com")
}

/// Headers as the ingress sets them for a client that presented `leaf`.
fn ingress_headers(leaf: &Leaf) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "ssl-client-cert",
        escape_certificate(&leaf.cert_der).parse().unwrap(),
    );
    headers.insert("ssl-client-verify", "SUCCESS".parse().unwrap());
    headers
}

fn with(mut headers: http::HeaderMap, name: &'static str, value: &str) -> http::HeaderMap {
    headers.insert(name, value.parse().unwrap());
    headers
}

fn refused(headers: &http::HeaderMap) -> ExtractError {
    extract(headers, CertificateSource::Ingress).unwrap_err()
}

fn assert_principal_refusal(error: ExtractError, check: impl Fn(&PrincipalRefusal) -> bool) {
    assert_eq!(error.status(), 400);
    assert_eq!(error.error_code(), "invalid_request");
    assert_eq!(
        error.description(),
        "principal propagation failure for authentication"
    );
    match &error {
        ExtractError::Principal(refusal) => assert!(check(refusal), "{refusal:?}"),
        other => panic!("{other:?}"),
    }
}

fn rsa_leaf(slot: usize) -> Leaf {
    Ca::new("ca").client_cert_rsa("compute", slot)
}

#[test]
fn base64url_json_is_accepted_with_impersonation() {
    let ca = Ca::new("ca");
    let leaf = ca.client_cert("compute", KeyKind::EcdsaP256);
    let headers = with(
        with(
            ingress_headers(&leaf),
            "x-principal",
            &principal::encode(&alice()),
        ),
        "x-impersonate",
        "true",
    );
    let authenticated = extract(&headers, CertificateSource::Ingress).unwrap();
    assert!(
        matches!(&authenticated.caller, Caller::System { common_name } if common_name == "compute")
    );
    assert_eq!(authenticated.principal, Some(alice()));
    assert!(authenticated.impersonate);
    assert_eq!(
        authenticated.client_certificate.as_deref(),
        Some(escape_certificate(&leaf.cert_der).as_str())
    );
    // Only exactly `true` asks for impersonation.
    let headers = with(headers, "x-impersonate", "TRUE");
    assert!(
        !extract(&headers, CertificateSource::Ingress)
            .unwrap()
            .impersonate
    );
}

#[test]
fn a_missing_principal_is_refused() {
    let leaf = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    assert_principal_refusal(refused(&ingress_headers(&leaf)), |r| {
        matches!(r, PrincipalRefusal::Missing)
    });
    // Empty counts as absent, as Go's Header.Get makes it.
    let headers = with(ingress_headers(&leaf), "x-principal", "");
    assert_principal_refusal(refused(&headers), |r| {
        matches!(r, PrincipalRefusal::Missing)
    });
}

#[test]
fn bad_base64_is_refused() {
    let leaf = rsa_leaf(0);
    // Padded base64url, standard-alphabet base64, and plain garbage are not base64url, so
    // they are read as a JWS, which they are not.
    let padded = format!("{}=", principal::encode(&alice()));
    for bad in [padded.as_str(), "a+b/c", "not a principal"] {
        let headers = with(ingress_headers(&leaf), "x-principal", bad);
        assert_principal_refusal(refused(&headers), |r| {
            matches!(r, PrincipalRefusal::Jws(JwsError::Malformed { .. }))
        });
    }
}

#[test]
fn base64url_that_is_not_principal_json_is_refused() {
    let leaf = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    let headers = with(
        ingress_headers(&leaf),
        "x-principal",
        &URL_SAFE_NO_PAD.encode(r#"{"actor":42}"#),
    );
    assert_principal_refusal(refused(&headers), |r| {
        matches!(r, PrincipalRefusal::Json(_))
    });
}

#[test]
fn impersonation_without_an_actor_is_refused() {
    let leaf = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    let headers = with(
        with(
            ingress_headers(&leaf),
            "x-principal",
            &principal::encode(&Principal::new("org-1", "", "")),
        ),
        "x-impersonate",
        "true",
    );
    assert_principal_refusal(refused(&headers), |r| {
        matches!(r, PrincipalRefusal::ImpersonationWithoutActor)
    });
}

#[test]
fn a_signed_principal_is_verified_against_the_callers_own_certificate() {
    let leaf = rsa_leaf(0);
    let identity = ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap();
    let signed = jws::sign(&alice(), &identity).unwrap();
    let headers = with(
        with(ingress_headers(&leaf), "x-principal", &signed),
        "x-impersonate",
        "true",
    );
    let authenticated = extract(&headers, CertificateSource::Ingress).unwrap();
    assert_eq!(authenticated.principal, Some(alice()));
    assert!(
        !authenticated.impersonate,
        "X-Impersonate is not honoured on the signed form"
    );

    // Forwarding another certificate changes who the caller is, not which certificate
    // checks the signature.
    let origin = Ca::new("ca").client_cert("kubernetes", KeyKind::EcdsaP256);
    let headers = with(
        headers,
        "unikorn-client-certificate",
        &escape_certificate(&origin.cert_der),
    );
    let authenticated = extract(&headers, CertificateSource::Ingress).unwrap();
    assert!(
        matches!(&authenticated.caller, Caller::System { common_name } if common_name == "kubernetes")
    );
    assert_eq!(authenticated.principal, Some(alice()));
}

#[test]
fn a_jws_with_another_algorithm_is_refused() {
    let leaf = rsa_leaf(0);
    let identity = ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap();
    let signed = jws::sign(&alice(), &identity).unwrap();
    let (_, rest) = signed.split_once('.').unwrap();
    for alg in ["RS512", "none", "HS512"] {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}"}}"#));
        let headers = with(
            ingress_headers(&leaf),
            "x-principal",
            &format!("{header}.{rest}"),
        );
        assert_principal_refusal(
            refused(&headers),
            |r| matches!(r, PrincipalRefusal::Jws(JwsError::UnsupportedAlgorithm { algorithm }) if algorithm == alg),
        );
    }
}

#[test]
fn a_jws_by_another_key_is_refused() {
    let signer = rsa_leaf(1);
    let identity = ClientIdentity::new(signer.chain_der(), signer.key_der()).unwrap();
    let signed = jws::sign(&alice(), &identity).unwrap();
    // The caller presents a certificate with another key.
    let headers = with(ingress_headers(&rsa_leaf(0)), "x-principal", &signed);
    assert_principal_refusal(refused(&headers), |r| {
        matches!(r, PrincipalRefusal::Jws(JwsError::BadSignature))
    });
    // Or one whose key is not RSA.
    let ec = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    let headers = with(ingress_headers(&ec), "x-principal", &signed);
    assert_principal_refusal(refused(&headers), |r| {
        matches!(r, PrincipalRefusal::Jws(JwsError::UnsupportedKey { .. }))
    });
}

#[test]
fn an_unverified_certificate_is_a_propagation_failure() {
    let leaf = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    let headers = with(
        with(
            ingress_headers(&leaf),
            "ssl-client-verify",
            "FAILED:unable to verify",
        ),
        "x-principal",
        &principal::encode(&alice()),
    );
    let error = refused(&headers);
    assert_eq!(error.status(), 400);
    assert_eq!(error.description(), "certificate propagation failure");
    assert!(
        matches!(error, ExtractError::CertificatePropagation { ref verify } if verify == "FAILED:unable to verify")
    );
}

#[test]
fn no_certificate_and_no_authorization_is_unauthorized_with_a_challenge() {
    let headers = with(
        http::HeaderMap::new(),
        "x-principal",
        &principal::encode(&alice()),
    );
    let error = refused(&headers);
    assert_eq!(error.status(), 401);
    assert_eq!(error.error_code(), "access_denied");
    assert_eq!(error.description(), "authorization header missing");
    assert_eq!(
        error.www_authenticate("region.example.com").unwrap(),
        "Bearer error=\"access_denied\",error_description=\"authorization header missing\",resource_metadata=\"https://region.example.com/.well-known/openid-protected-resource\""
    );
}

#[test]
fn authorization_must_be_one_bearer_token() {
    for (value, description) in [
        ("Bearer", "authorization header malformed"),
        ("Bearer  two-spaces", "authorization header malformed"),
        ("Bearer a b", "authorization header malformed"),
        ("Basic dXNlcjpwYXNz", "authorization scheme not allowed"),
    ] {
        let headers = with(http::HeaderMap::new(), "authorization", value);
        let error = refused(&headers);
        assert_eq!(error.status(), 401, "{value}");
        assert_eq!(error.description(), description, "{value}");
    }
    // Any case of `bearer`; without a certificate, the principal comes from the token.
    let headers = with(http::HeaderMap::new(), "authorization", "bEaReR t0k");
    let authenticated = extract(&headers, CertificateSource::Ingress).unwrap();
    assert!(
        matches!(&authenticated.caller, Caller::Bearer { token } if token.expose_secret() == "t0k")
    );
    assert_eq!(authenticated.principal, None);
    assert!(!format!("{authenticated:?}").contains("t0k"));
}

#[test]
fn oversized_headers_are_refused() {
    let leaf = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    let huge = "a".repeat(MAX_HEADER_LEN + 1);
    let headers = with(ingress_headers(&leaf), "x-principal", &huge);
    let error = refused(&headers);
    assert_eq!(error.status(), 400);
    assert!(matches!(
        error,
        ExtractError::InvalidHeader {
            header: "x-principal",
            reason: "too long"
        }
    ));
}

#[test]
fn a_service_terminating_tls_itself_ignores_ssl_client_headers() {
    let peer = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    let forged = Ca::new("evil").client_cert("identity", KeyKind::EcdsaP256);
    let headers = with(
        ingress_headers(&forged),
        "x-principal",
        &principal::encode(&alice()),
    );
    // The peer's own certificate names the caller; the forged headers are not looked at.
    let authenticated = extract(&headers, CertificateSource::Peer(Some(&peer.cert_der))).unwrap();
    assert!(
        matches!(&authenticated.caller, Caller::System { common_name } if common_name == "compute")
    );
    // Without a peer certificate they do not authenticate anyone.
    let error = extract(&headers, CertificateSource::Peer(None)).unwrap_err();
    assert_eq!(error.status(), 401);
}

#[tokio::test]
async fn forged_ssl_client_headers_are_dropped_by_the_ingress() {
    let fixture = Fixture::start().await;
    // A client with no certificate writes the ingress's headers itself, claiming to be a
    // platform service.
    let victim = fixture.ca().client_cert("identity", KeyKind::EcdsaP256);
    let ctx = RequestContext::new().with_principal(alice()).with_bearer(
        identity_client::StaticTokenSource::new(identity_client::AccessToken::new("unknown")),
    );
    let forged = escape_certificate(&victim.cert_der);
    let forge = Edit(move |request: &mut http::Request<bytes::Bytes>| {
        request.headers_mut().remove("authorization");
        let headers = request.headers_mut();
        headers.insert("ssl-client-cert", forged.parse().unwrap());
        headers.insert("ssl-client-verify", "SUCCESS".parse().unwrap());
    });
    let api = api_path(&fixture.base(None), &ctx)
        .await
        .with_request_editor(Arc::new(forge));
    let answer = api.list_regions(ORGANIZATION).await.unwrap();
    assert_eq!(answer.status(), 401);
    assert!(
        answer.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("resource_metadata=")
    );
    let error = answer.into_result().unwrap_err();
    let body = error.error_body().unwrap();
    assert_eq!(body.error.as_str(), "access_denied");
    assert_eq!(body.error_description, "authorization header missing");
    assert_eq!(body.trace_id.as_deref().map(str::len), Some(32));

    // With a real certificate, the ingress's own headers name the real caller.
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let ctx = RequestContext::new().with_principal(alice());
    let forged = escape_certificate(&victim.cert_der);
    let forge = Edit(move |request: &mut http::Request<bytes::Bytes>| {
        let headers = request.headers_mut();
        headers.insert("ssl-client-cert", forged.parse().unwrap());
    });
    let api = api_path(&fixture.base(Some("compute-client")), &ctx)
        .await
        .with_request_editor(Arc::new(forge));
    assert_eq!(api.list_regions(ORGANIZATION).await.unwrap().status(), 200);
    assert_eq!(fixture.last_call().caller(), Some("compute"));
}

#[test]
fn the_direct_callers_name_is_given_beside_the_chains() {
    let ca = Ca::new("ca");
    let direct = ca.client_cert("compute", KeyKind::EcdsaP256);
    let origin = ca.client_cert("kubernetes", KeyKind::EcdsaP256);
    let own = with(
        ingress_headers(&direct),
        "x-principal",
        &principal::encode(&alice()),
    );

    // Not forwarded: one service, named twice.
    let authenticated = extract(&own, CertificateSource::Ingress).unwrap();
    assert!(!authenticated.forwarded);
    assert_eq!(authenticated.direct_common_name.as_deref(), Some("compute"));
    assert!(
        matches!(&authenticated.caller, Caller::System { common_name } if common_name == "compute")
    );

    // Forwarded: the platform authenticates the chain's certificate; the direct caller is
    // the one that forwarded it.
    let forwarding = with(
        own.clone(),
        "unikorn-client-certificate",
        &escape_certificate(&origin.cert_der),
    );
    let authenticated = extract(&forwarding, CertificateSource::Ingress).unwrap();
    assert!(authenticated.forwarded);
    assert_eq!(authenticated.direct_common_name.as_deref(), Some("compute"));
    assert!(
        matches!(&authenticated.caller, Caller::System { common_name } if common_name == "kubernetes")
    );

    // This service terminating TLS itself: the peer's certificate.
    let authenticated =
        extract(&forwarding, CertificateSource::Peer(Some(&direct.cert_der))).unwrap();
    assert!(authenticated.forwarded);
    assert_eq!(authenticated.direct_common_name.as_deref(), Some("compute"));

    // A bearer caller presenting a certificate too: named as well.
    let bearer = with(own, "authorization", "Bearer t0k");
    let authenticated = extract(&bearer, CertificateSource::Ingress).unwrap();
    assert!(matches!(authenticated.caller, Caller::Bearer { .. }));
    assert_eq!(authenticated.direct_common_name.as_deref(), Some("compute"));

    // No certificate: nobody to name, even with one forwarded.
    let anonymous = with(
        with(http::HeaderMap::new(), "authorization", "Bearer t0k"),
        "unikorn-client-certificate",
        &escape_certificate(&origin.cert_der),
    );
    let authenticated = extract(&anonymous, CertificateSource::Ingress).unwrap();
    assert!(authenticated.forwarded);
    assert_eq!(authenticated.direct_common_name, None);
}

#[test]
fn an_empty_principal_is_accepted_as_go_does_and_says_so() {
    let leaf = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    for json in [
        "{}",
        "null",
        r#"{"organizationId":"","actor":null,"unknown":1}"#,
    ] {
        let headers = with(
            ingress_headers(&leaf),
            "x-principal",
            &URL_SAFE_NO_PAD.encode(json),
        );
        let authenticated = extract(&headers, CertificateSource::Ingress).unwrap();
        assert_eq!(
            authenticated.principal,
            Some(Principal::default()),
            "{json}"
        );
        assert!(authenticated.has_empty_principal(), "{json}");
    }
    let headers = with(
        ingress_headers(&leaf),
        "x-principal",
        &principal::encode(&alice()),
    );
    assert!(
        !extract(&headers, CertificateSource::Ingress)
            .unwrap()
            .has_empty_principal()
    );
    // A bearer caller without a certificate sent no principal: none, and not an empty one.
    let headers = with(http::HeaderMap::new(), "authorization", "Bearer t0k");
    let authenticated = extract(&headers, CertificateSource::Ingress).unwrap();
    assert_eq!(authenticated.principal, None);
    assert!(!authenticated.has_empty_principal());
}

#[test]
fn an_actor_with_control_characters_is_accepted_as_sent() {
    let leaf = Ca::new("ca").client_cert("compute", KeyKind::EcdsaP256);
    let actor = "alice\n\u{1b}[31mroot\r\u{0}";
    let sent = Principal::new("org-1", "", actor);
    let headers = with(
        with(
            ingress_headers(&leaf),
            "x-principal",
            &principal::encode(&sent),
        ),
        "x-impersonate",
        "true",
    );
    let authenticated = extract(&headers, CertificateSource::Ingress).unwrap();
    assert_eq!(authenticated.principal.as_ref().unwrap().actor, actor);
    assert!(authenticated.impersonate);
    // Printed escaped by Debug.
    assert!(format!("{authenticated:?}").contains(r"alice\n\u{1b}[31mroot\r\0"));
}
