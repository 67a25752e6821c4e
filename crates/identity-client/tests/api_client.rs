//! The API path against a real mTLS server: every header arrives exactly as specified, the
//! principal verifies with the certificate presented in the handshake, and invalid values stop
//! the request.

mod common;

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Fixture, TestApiBuilder};
use identity_client::{
    AccessToken, AccessTokenSource, Error, Principal, PrincipalError, RequestContext,
    StaticTokenSource, api_client,
    editor::{BearerError, InvalidHeaderValue, PrincipalEditorError},
    principal::{self, Algorithm, VerifyError},
};
use opentelemetry::{
    Context,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};
use test_support::{KeyEncoding, KeyKind};

fn token(value: &str) -> Arc<dyn AccessTokenSource> {
    Arc::new(StaticTokenSource::new(AccessToken::new(value)))
}

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

fn decode_json(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn every_header_arrives_exactly_as_specified() {
    propagator();
    let fixture = Fixture::start().await;
    let leaf = fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    let certificate = "-----BEGIN%20CERTIFICATE-----%0AMIIB...%0A-----END%20CERTIFICATE-----";
    let ctx = RequestContext::new()
        .with_principal(alice())
        .with_client_certificate(certificate)
        .with_otel_context(remote_context());
    let api = api_client(&base, TestApiBuilder::default(), token("t0ken"), &ctx)
        .await
        .unwrap();
    let response = api.get("/api/v1/regions").await.unwrap();
    assert_eq!(response.status(), 200);

    let requests = fixture.server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.uri.path(), "/api/v1/regions");
    assert_eq!(request.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(
        request.header("traceparent"),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
    assert_eq!(request.header("tracestate"), Some("vendor=opaque"));
    assert_eq!(
        request.header("unikorn-client-certificate"),
        Some(certificate)
    );

    // X-Principal: header.payload.signature, base64url without padding.
    let jws = request.header("x-principal").unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(parts.iter().all(|p| !p.contains('=')));
    let thumbprint =
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, &leaf.cert_der));
    assert_eq!(
        decode_json(parts[0]),
        serde_json::json!({"alg": "ES256", "x5t#S256": thumbprint})
    );
    let payload = decode_json(parts[1]);
    let iat = payload["iat"].as_u64().unwrap();
    assert_eq!(
        payload,
        serde_json::json!({
            "organizationId": "org-1",
            "projectId": "proj-1",
            "actor": "alice@example.com",
            "iat": iat,
            "exp": iat + 300,
        })
    );
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 64);

    // The receiver's check: the certificate presented in the handshake.
    assert_eq!(
        request.peer_certificates[0].as_ref(),
        leaf.cert_der.as_ref()
    );
    let verified = principal::verify(jws, &request.peer_certificates[0]).unwrap();
    assert_eq!(verified.principal, alice());
    assert_eq!(verified.algorithm, Algorithm::Es256);
}

#[tokio::test]
async fn principal_verifies_for_every_key_type_and_encoding() {
    let fixture = Fixture::start().await;
    let mut cases = 0;
    for kind in KeyKind::ALL {
        for &encoding in kind.encodings() {
            let secret = format!("client-{kind:?}-{encoding:?}").to_lowercase();
            let leaf = fixture.client_secret(&secret, kind, encoding);
            let base = fixture.base(Some(&secret));
            let ctx = RequestContext::new().with_principal(alice());
            let api = api_client(&base, TestApiBuilder::default(), token("t"), &ctx)
                .await
                .unwrap();
            api.get("/x").await.unwrap();
            let request = fixture.server.requests().pop().unwrap();
            let peer = &request.peer_certificates[0];
            assert_eq!(peer.as_ref(), leaf.cert_der.as_ref(), "{kind:?}");
            let jws = request.header("x-principal").unwrap();
            let verified = principal::verify(jws, peer)
                .unwrap_or_else(|e| panic!("{kind:?}/{encoding:?}: {e:?}"));
            assert_eq!(verified.principal, alice());
            let expected = match kind {
                KeyKind::Rsa => Algorithm::Rs256,
                KeyKind::EcdsaP256 => Algorithm::Es256,
                KeyKind::EcdsaP384 => Algorithm::Es384,
                KeyKind::Ed25519 => Algorithm::EdDsa,
            };
            assert_eq!(verified.algorithm, expected);
            let header = decode_json(jws.split('.').next().unwrap());
            assert_eq!(header["alg"], expected.name());
            assert_eq!(header["x5t#S256"], principal::thumbprint(peer));
            cases += 1;
        }
    }
    assert_eq!(cases, 7);
}

#[tokio::test]
async fn verifier_rejects_tampering_other_certificates_and_expiry() {
    let fixture = Fixture::start().await;
    let leaf = fixture.client_secret("compute-client", KeyKind::EcdsaP384, KeyEncoding::Sec1);
    let other = fixture.ca.client_cert("intruder", KeyKind::EcdsaP384);
    let base = fixture.base(Some("compute-client"));
    let ctx = RequestContext::new().with_principal(alice());
    let api = api_client(&base, TestApiBuilder::default(), token("t"), &ctx)
        .await
        .unwrap();
    api.get("/x").await.unwrap();
    let request = fixture.server.requests().pop().unwrap();
    let jws = request.header("x-principal").unwrap().to_owned();
    let peer = &request.peer_certificates[0];
    principal::verify(&jws, peer).unwrap();

    // A payload claiming another organization, keeping header and signature.
    let parts: Vec<&str> = jws.split('.').collect();
    let mut payload = decode_json(parts[1]);
    payload["organizationId"] = "org-2".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert!(matches!(
        principal::verify(&forged, peer),
        Err(VerifyError::BadSignature(_))
    ));

    // A flipped signature byte.
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    signature[10] ^= 1;
    let flipped = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(signature)
    );
    assert!(matches!(
        principal::verify(&flipped, peer),
        Err(VerifyError::BadSignature(_))
    ));

    // Presented by someone else: the thumbprint does not match.
    assert!(matches!(
        principal::verify(&jws, &other.cert_der),
        Err(VerifyError::ThumbprintMismatch)
    ));

    // An unsigned ("none") token is refused outright.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(
            serde_json::json!({"alg": "none", "x5t#S256": principal::thumbprint(peer)}).to_string()
        ),
        parts[1]
    );
    assert!(matches!(
        principal::verify(&none, peer),
        Err(VerifyError::UnsupportedAlgorithm { .. })
    ));

    // Five minutes later it has expired.
    let later = SystemTime::now() + Duration::from_secs(301) + principal::CLOCK_SKEW;
    assert!(matches!(
        principal::verify_at(&jws, peer, later),
        Err(VerifyError::Expired { .. })
    ));
    assert_eq!(leaf.cert_der.as_ref(), peer.as_ref());
}

#[tokio::test]
async fn signature_is_cached_and_replaced_when_the_certificate_rotates() {
    let fixture = Fixture::start().await;
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Sec1);
    let base = fixture.base(Some("compute-client"));
    let ctx = RequestContext::new().with_principal(alice());
    let api = api_client(&base, TestApiBuilder::default(), token("t"), &ctx)
        .await
        .unwrap();
    api.get("/a").await.unwrap();
    api.get("/b").await.unwrap();
    let requests = fixture.server.requests();
    // ECDSA signatures are randomised: equal values mean the signature was reused.
    assert_eq!(
        requests[0].header("x-principal"),
        requests[1].header("x-principal")
    );

    let rotated = fixture.client_secret("compute-client", KeyKind::Ed25519, KeyEncoding::Pkcs8);
    assert!(api.http().reload().await.unwrap());
    fixture.server.close_connections();
    api.get("/c").await.unwrap();
    let request = fixture.server.requests().pop().unwrap();
    assert_eq!(
        request.peer_certificates[0].as_ref(),
        rotated.cert_der.as_ref()
    );
    let verified =
        principal::verify(request.header("x-principal").unwrap(), &rotated.cert_der).unwrap();
    assert_eq!(verified.algorithm, Algorithm::EdDsa);
}

#[tokio::test]
async fn api_clients_of_one_base_share_signatures_per_principal() {
    let fixture = Fixture::start().await;
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    // Two inbound requests by alice, one by bob: one API client each.
    let principals = [alice(), alice(), Principal::new("org-1", "proj-1", "bob")];
    for principal in principals {
        let ctx = RequestContext::new().with_principal(principal);
        let api = api_client(&base, TestApiBuilder::default(), token("t"), &ctx)
            .await
            .unwrap();
        api.get("/x").await.unwrap();
    }
    let seen: Vec<_> = fixture
        .server
        .requests()
        .iter()
        .map(|r| r.header("x-principal").unwrap().to_owned())
        .collect();
    // ECDSA signatures are randomised: equal values mean alice's was signed once.
    assert_eq!(seen[0], seen[1]);
    assert_ne!(seen[1], seen[2]);
    let bob = principal::verify(&seen[2], &fixture.server.requests()[2].peer_certificates[0]);
    assert_eq!(bob.unwrap().principal.actor, "bob");
}

#[tokio::test]
async fn missing_principal_or_client_certificate_fails_before_sending() {
    let fixture = Fixture::start().await;
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    let err = api_client(
        &base,
        TestApiBuilder::default(),
        token("t"),
        &RequestContext::new(),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(err, Error::MissingPrincipal), "{err:?}");
    assert!(err.to_string().contains("no principal"), "{err}");

    let empty = RequestContext::new().with_principal(Principal::default());
    let err = api_client(&base, TestApiBuilder::default(), token("t"), &empty)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Principal(PrincipalError::Empty)),
        "{err:?}"
    );

    let without_certificate = fixture.base(None);
    let ctx = RequestContext::new().with_principal(alice());
    let err = api_client(
        &without_certificate,
        TestApiBuilder::default(),
        token("t"),
        &ctx,
    )
    .await
    .err()
    .unwrap();
    assert!(
        matches!(err, Error::NoClientCertificate { ref service } if service == "region"),
        "{err:?}"
    );
    assert!(fixture.server.requests().is_empty());
}

#[tokio::test]
async fn control_characters_stop_the_request() {
    let fixture = Fixture::start().await;
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));

    // A token with CR/LF: the request is not sent, the token is not in the error.
    let ctx = RequestContext::new().with_principal(alice());
    let api = api_client(
        &base,
        TestApiBuilder::default(),
        token("abc\r\nX-Evil: 1"),
        &ctx,
    )
    .await
    .unwrap();
    let err = api.get("/x").await.unwrap_err();
    let editor = err.downcast_ref::<core_client::EditorError>().unwrap();
    assert_eq!(editor.editor(), "bearer");
    assert!(matches!(
        editor.downcast_ref::<BearerError>(),
        Some(BearerError::InvalidHeaderValue(_))
    ));
    assert!(!format!("{err:?}").contains("X-Evil"));

    // A propagated certificate with a newline.
    let ctx = RequestContext::new()
        .with_principal(alice())
        .with_client_certificate("MIIB\nX-Evil: 1");
    let api = api_client(&base, TestApiBuilder::default(), token("t"), &ctx)
        .await
        .unwrap();
    let err = api.get("/x").await.unwrap_err();
    let editor = err.downcast_ref::<core_client::EditorError>().unwrap();
    assert_eq!(editor.editor(), "client_certificate");
    assert_eq!(
        editor.downcast_ref::<InvalidHeaderValue>().unwrap().header,
        "unikorn-client-certificate"
    );

    // A principal with a control character is refused when the client is built.
    let ctx = RequestContext::new().with_principal(Principal::new("org\r\n", "p", "a"));
    let err = api_client(&base, TestApiBuilder::default(), token("t"), &ctx)
        .await
        .err()
        .unwrap();
    assert!(matches!(
        err,
        Error::Principal(PrincipalError::ControlCharacter {
            field: "organizationId"
        })
    ));

    // And the principal editor alone refuses it too.
    let editor = identity_client::editor::PrincipalEditor::new(
        base.http_client().await.unwrap(),
        Principal::new("o", "p", "a\u{7}"),
    );
    assert!(matches!(
        editor.header_value(),
        Err(PrincipalEditorError::InvalidPrincipal(_))
    ));

    assert!(fixture.server.requests().is_empty());
}
