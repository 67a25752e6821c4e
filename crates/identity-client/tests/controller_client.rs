//! The controller path: the principal comes from the reconciled resource and travels as a PS512
//! JWS signed with the client certificate's RSA key, over a connection presenting it.

mod common;

use std::{collections::BTreeMap, sync::Arc};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Fixture, Gate, NAMESPACE, ORGANIZATION, api_path};
use identity_client::{
    BaseClient, Error, Principal, PrincipalError, RequestContext, controller_client,
    editor::SignedPrincipalError,
    principal::{self, SignerError, jws},
};
use k8s_openapi::{api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use region_client_testing::{KeyEncoding, KeyKind};
use rsa::{pkcs8::DecodePublicKey, traits::SignatureScheme};
use rustls::SignatureAlgorithm;
use rustls_pki_types::CertificateDer;
use sha2::Digest;

fn map(entries: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

fn meta(
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some("cluster-a".into()),
        namespace: Some("org-1-proj-1".into()),
        labels,
        annotations,
        ..Default::default()
    }
}

/// A resource created by a service on alice's behalf in its own organization: the principal
/// labels say whom it is for.
fn cluster() -> ConfigMap {
    ConfigMap {
        metadata: meta(
            map(&[
                (principal::ORGANIZATION_LABEL, "service-org"),
                (principal::PROJECT_LABEL, "service-proj"),
                (principal::ORGANIZATION_PRINCIPAL_LABEL, "org-1"),
                (principal::PROJECT_PRINCIPAL_LABEL, "proj-1"),
            ]),
            map(&[
                (principal::CREATOR_ANNOTATION, "kubernetes-service"),
                (principal::CREATOR_PRINCIPAL_ANNOTATION, "alice@example.com"),
            ]),
        ),
        ..Default::default()
    }
}

/// Verifies RSASSA-PSS SHA-512 with the 64-byte salt go-jose writes, independently of this
/// crate, with the RustCrypto `rsa` crate.
fn verify_independently(jws: &str, certificate: &CertificateDer<'_>) {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref()).unwrap();
    let key =
        rsa::RsaPublicKey::from_public_key_der(parsed.tbs_certificate.subject_pki.raw).unwrap();
    let (signing_input, signature) = jws.rsplit_once('.').unwrap();
    let hashed = sha2::Sha512::digest(signing_input.as_bytes());
    rsa::Pss::new_with_salt::<sha2::Sha512>(64)
        .verify(&key, &hashed, &URL_SAFE_NO_PAD.decode(signature).unwrap())
        .expect("RSASSA-PSS SHA-512, salt 64");
}

#[tokio::test]
async fn the_jws_is_exactly_what_the_platform_verifies() {
    let fixture = Fixture::start().await;
    let leaf = fixture.client_secret("compute-client", KeyKind::Rsa, KeyEncoding::Pkcs1);
    let base = fixture.base(Some("compute-client"));
    let api = controller_client(&base, region_openapi::Client::builder(), &cluster())
        .await
        .unwrap();
    assert_eq!(api.list_regions(ORGANIZATION).await.unwrap().status(), 200);

    let request = fixture.requests().pop().unwrap();
    let value = request.header("x-principal").unwrap();
    let parts: Vec<&str> = value.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(parts.iter().all(|p| !p.contains('=')));
    // The protected header is exactly {"alg":"PS512"}: no kid, jwk or typ.
    assert_eq!(
        URL_SAFE_NO_PAD.decode(parts[0]).unwrap(),
        br#"{"alg":"PS512"}"#
    );
    // The payload: the resource's principal with the `principal.` overrides applied.
    let payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(
        payload,
        serde_json::json!({
            "organizationId": "org-1",
            "projectId": "proj-1",
            "actor": "alice@example.com",
        })
    );
    // Signed by the key of the certificate presented in the handshake.
    let presented = &request.peer_certificates[0];
    assert_eq!(presented.as_ref(), leaf.cert_der.as_ref());
    verify_independently(value, presented);
    for absent in [
        "authorization",
        "x-impersonate",
        "unikorn-client-certificate",
    ] {
        assert!(request.headers.get(absent).is_none(), "{absent}");
    }

    // And the platform's middleware accepts it, as the principal of the resource.
    let verdict = fixture.last_call();
    assert_eq!(verdict.status, Some(200));
    assert_eq!(verdict.caller(), Some("compute"));
    assert_eq!(
        verdict.principal().cloned(),
        Some(Principal::new("org-1", "proj-1", "alice@example.com"))
    );
    assert!(!verdict.impersonated());
}

/// A controller client for [`cluster`] presenting an RSA client certificate (Secret
/// `compute-client`), and the base client it was made from.
async fn rsa_controller(fixture: &Fixture) -> (BaseClient, region_openapi::Client) {
    fixture.client_secret("compute-client", KeyKind::Rsa, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    let api = controller_client(&base, region_openapi::Client::builder(), &cluster())
        .await
        .unwrap();
    (base, api)
}

#[tokio::test]
async fn signatures_are_reused_per_principal_and_certificate() {
    let fixture = Fixture::start().await;
    let (base, api) = rsa_controller(&fixture).await;
    api.list_regions(ORGANIZATION).await.unwrap();
    // Another client for the same resource, from the same base: the same signature.
    let again = controller_client(&base, region_openapi::Client::builder(), &cluster())
        .await
        .unwrap();
    again.list_regions(ORGANIZATION).await.unwrap();
    let requests = fixture.requests();
    assert_eq!(
        requests[0].header("x-principal"),
        requests[1].header("x-principal")
    );
    assert_eq!(base.signatures().len(), 1);
    let calls = fixture.platform.region().calls();
    assert!(
        calls.iter().all(|call| call.status == Some(200)),
        "{calls:?}"
    );
}

#[tokio::test]
async fn other_key_types_are_refused_at_build_and_still_work_on_the_api_path() {
    let fixture = Fixture::start().await;
    for (kind, key_type) in [
        (KeyKind::EcdsaP256, SignatureAlgorithm::ECDSA),
        (KeyKind::EcdsaP384, SignatureAlgorithm::ECDSA),
        (KeyKind::Ed25519, SignatureAlgorithm::ED25519),
    ] {
        let name = format!("client-{kind:?}").to_lowercase();
        fixture.client_secret(&name, kind, KeyEncoding::Pkcs8);
        let base = fixture.base(Some(&name));
        let error = controller_client(&base, region_openapi::Client::builder(), &cluster())
            .await
            .err()
            .unwrap();
        match &error {
            Error::Signer {
                service,
                secret,
                source: SignerError::UnsupportedKeyType { key_type: found },
            } => {
                assert_eq!(service, "region");
                assert_eq!(
                    secret.as_ref().unwrap().to_string(),
                    format!("{NAMESPACE}/{name}")
                );
                assert_eq!(*found, key_type);
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        assert!(error.to_string().contains(&name), "{error}");

        let ctx = RequestContext::new().with_principal(Principal::new("o", "p", "a"));
        let api = api_path(&base, &ctx).await;
        assert_eq!(
            api.list_regions(ORGANIZATION).await.unwrap().status(),
            200,
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn inconsistent_or_empty_resources_fail_before_sending() {
    let fixture = Fixture::start().await;
    fixture.client_secret("compute-client", KeyKind::Rsa, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    for (metadata, consistency) in [
        (meta(None, map(&[])), true),
        (meta(map(&[]), None), true),
        (meta(map(&[("other", "x")]), map(&[])), false),
    ] {
        let resource = ConfigMap {
            metadata,
            ..Default::default()
        };
        let error = controller_client(&base, region_openapi::Client::builder(), &resource)
            .await
            .err()
            .unwrap();
        match error {
            Error::Principal(e) => {
                assert_eq!(e.is_consistency_error(), consistency, "{e}");
                if !consistency {
                    assert!(matches!(e, PrincipalError::Empty));
                }
            }
            other => panic!("{other:?}"),
        }
    }
    let error = controller_client(
        &fixture.base(None),
        region_openapi::Client::builder(),
        &cluster(),
    )
    .await
    .err()
    .unwrap();
    let Error::Signer {
        secret: None,
        source: SignerError::NoClientCertificate,
        ..
    } = error
    else {
        panic!("{error:?}");
    };
    assert!(fixture.requests().is_empty());
}

/// The rule that only RSA signs holds for every signature, not only when the client is built:
/// a client certificate rotated to an EC key makes the next request fail before it is sent.
#[tokio::test]
async fn a_certificate_rotated_to_another_key_type_signs_nothing() {
    let fixture = Fixture::start().await;
    let (_, api) = rsa_controller(&fixture).await;
    api.list_regions(ORGANIZATION).await.unwrap();
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    assert!(api.http_client().reload().await.unwrap());
    let error = api.list_regions(ORGANIZATION).await.unwrap_err();
    let region_openapi::Error::Editor(editor) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(editor.editor(), "signed_principal");
    let refused = editor.downcast_ref::<SignedPrincipalError>().unwrap();
    assert!(
        matches!(
            refused,
            SignedPrincipalError::Signer(SignerError::UnsupportedKeyType {
                key_type: SignatureAlgorithm::ECDSA
            })
        ),
        "{refused:?}"
    );
    assert_eq!(fixture.requests().len(), 1, "only the first was sent");
}

#[tokio::test]
async fn dynamic_objects_work_too() {
    let fixture = Fixture::start().await;
    fixture.client_secret("compute-client", KeyKind::Rsa, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("unikorn-cloud.org", "v1alpha1", "KubernetesCluster"),
        "kubernetesclusters",
    );
    let mut object = DynamicObject::new("cluster-a", &resource).within("org-1-proj-1");
    object.metadata.labels = map(&[(principal::ORGANIZATION_LABEL, "org-1")]);
    object.metadata.annotations = map(&[(principal::CREATOR_ANNOTATION, "bob")]);
    let api = controller_client(&base, region_openapi::Client::builder(), &object)
        .await
        .unwrap();
    api.list_regions(ORGANIZATION).await.unwrap();
    assert_eq!(
        fixture.last_call().principal().cloned(),
        Some(Principal::new("org-1", "", "bob"))
    );
}

/// However many rotations happen between signing and sending: three here, with the key
/// changing each time (the platform answered 400 after two, when only one previous transport
/// was kept).
#[tokio::test]
async fn a_request_signed_before_rotations_goes_out_with_the_certificate_that_signed_it() {
    let fixture = Fixture::start().await;
    let old = fixture.ca().client_cert_rsa("compute", 0);
    fixture.store("compute-client", &old, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    let gate = Arc::new(Gate::default());
    let api = controller_client(&base, region_openapi::Client::builder(), &cluster())
        .await
        .unwrap();
    let http = api.http_client().clone();
    // Signed now, with the old key, and held before it is sent...
    let held = api.clone().with_request_editor(gate.clone());
    let call = tokio::spawn(async move { held.list_regions(ORGANIZATION).await });
    gate.arrived().await;
    // ...then the certificate and key rotate three times, and the client picks each up...
    let mut newest = old.clone();
    for slot in 1..=3 {
        newest = fixture.ca().client_cert_rsa("compute", slot);
        fixture.store("compute-client", &newest, KeyEncoding::Pkcs8);
        assert!(http.reload().await.unwrap());
        assert_eq!(
            http.client_identity().unwrap().certificate(),
            &newest.cert_der
        );
    }
    // ...before the signed request goes out: it still presents the old certificate, and the
    // platform verifies the signature against it.
    gate.open();
    assert_eq!(call.await.unwrap().unwrap().status(), 200);
    let request = fixture.requests().pop().unwrap();
    assert_eq!(request.peer_certificates[0], old.cert_der);
    jws::verify(request.header("x-principal").unwrap(), &old.cert_der).unwrap();
    assert_eq!(fixture.last_call().status, Some(200));

    // New requests are signed with the newest key and present the newest certificate.
    api.list_regions(ORGANIZATION).await.unwrap();
    let request = fixture.requests().pop().unwrap();
    assert_eq!(request.peer_certificates[0], newest.cert_der);
    jws::verify(request.header("x-principal").unwrap(), &newest.cert_der).unwrap();
    assert_eq!(fixture.last_call().status, Some(200));
}
