//! Bad Secrets get their own error, naming the Secret, when a client is built and on reload:
//! real Secrets in the Kubernetes API fake, real certificates, a real mTLS server.

mod common;

use common::{NS, get, get_until_answered, mtls_server, options};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use core_client::{
    ClientCache, ClientError, HttpClient, HttpClientOptions, HttpOptions, SecretError, SecretRef,
    TlsSecret, tls::Validity,
};
use region_client_testing::{Ca, KeyKind, Leaf, TestServer, kube::KubeApi, pki};

/// 2020-01-01T00:00:00Z, 2021-01-01T00:00:00Z: long past.
const JAN_2020: u64 = 1_577_836_800;
const JAN_2021: u64 = 1_609_459_200;
/// 2100-01-01T00:00:00Z, 2101-01-01T00:00:00Z: far ahead.
const JAN_2100: u64 = 4_102_444_800;
const JAN_2101: u64 = 4_133_980_800;

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn window(not_before: u64, not_after: u64) -> Validity {
    Validity::new(at(not_before), at(not_after))
}

fn expired(ca: &Ca) -> Leaf {
    ca.client_cert_valid_between("compute", KeyKind::EcdsaP256, at(JAN_2020), at(JAN_2021))
}

/// Builds a client (`HttpClient::new`) for the options and returns the Secret error it fails
/// with, checking that the message names the Secret.
async fn build_error(kube: &KubeApi, ca: Option<&str>, client: Option<&str>) -> SecretError {
    let mut options = HttpOptions::new("region").with_host("https://127.0.0.1:1");
    if let Some(ca) = ca {
        options = options.with_ca_secret(NS, ca);
    }
    let mut client_options = HttpClientOptions::new();
    if let Some(client) = client {
        client_options = client_options.with_certificate(NS, client);
    }
    match HttpClient::new(kube.client(), &options, &client_options).await {
        Err(ClientError::Secret(error)) => {
            let secret = error.secret().to_string();
            let text = error.to_string();
            assert!(text.contains(&secret), "{text:?} names {secret}");
            error
        }
        other => panic!("expected a secret error, got {other:?}"),
    }
}

/// [`build_error`], checking that the message names the data key at fault too.
async fn secret_error(kube: &KubeApi, ca: Option<&str>, client: Option<&str>) -> SecretError {
    named(build_error(kube, ca, client).await)
}

/// `error`, after checking that its message names its Secret and the data key at fault.
fn named(error: SecretError) -> SecretError {
    let secret = error.secret().to_string();
    let text = error.to_string();
    assert!(text.contains(&secret), "{text:?} names {secret}");
    let key = error
        .key()
        .unwrap_or_else(|| panic!("{error:?} names a key"));
    assert!(
        text.contains(&format!("key {key:?}")),
        "{text:?} names {key}"
    );
    error
}

#[tokio::test]
async fn every_secret_failure_has_its_own_error_naming_the_secret() {
    let kube = KubeApi::start().await;
    let ca = Ca::new("region-ca");
    let clients = Ca::new("clients");
    let leaf = clients.client_cert("compute", KeyKind::EcdsaP256);
    let other = clients.client_cert("other", KeyKind::EcdsaP256);

    let e = build_error(&kube, Some("absent"), None).await;
    assert!(matches!(e, SecretError::NotFound { .. }) && e.is_not_found());
    assert_eq!(e.to_string(), "secret unikorn/absent not found");

    kube.put_tls_secret(NS, "hidden", &ca.cert_pem, None);
    kube.forbid(NS, "hidden");
    let e = build_error(&kube, Some("hidden"), None).await;
    assert!(matches!(e, SecretError::Forbidden { .. }), "{e:?}");

    kube.put_secret(
        NS,
        "opaque",
        "Opaque",
        &[("tls.crt", ca.cert_pem.as_bytes())],
    );
    let e = build_error(&kube, Some("opaque"), None).await;
    assert!(
        matches!(&e, SecretError::WrongType { found, .. } if found == "Opaque"),
        "{e:?}"
    );

    kube.put_secret(NS, "no-crt", "kubernetes.io/tls", &[]);
    let e = build_error(&kube, Some("no-crt"), None).await;
    assert!(
        matches!(e, SecretError::MissingKey { key: "tls.crt", .. }),
        "{e:?}"
    );

    kube.put_tls_secret(NS, "no-key", &leaf.cert_pem, None);
    let e = build_error(&kube, None, Some("no-key")).await;
    assert!(
        matches!(e, SecretError::MissingKey { key: "tls.key", .. }),
        "{e:?}"
    );

    kube.put_tls_secret(NS, "not-pem", "this is not a certificate", None);
    let e = build_error(&kube, Some("not-pem"), None).await;
    assert!(matches!(e, SecretError::NoCertificate { .. }), "{e:?}");

    // A PEM block of the right label whose contents are not a certificate.
    let bogus = pki::pem("CERTIFICATE", b"not DER at all");
    kube.put_tls_secret(NS, "bogus-ca", &bogus, None);
    let e = build_error(&kube, Some("bogus-ca"), None).await;
    // The same error as garbage in a client chain: which Secret, which certificate.
    assert!(
        matches!(e, SecretError::InvalidCertificate { index: 0, .. }),
        "{e:?}"
    );

    kube.put_tls_secret(
        NS,
        "bad-key",
        &leaf.cert_pem,
        Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
    );
    let e = build_error(&kube, None, Some("bad-key")).await;
    // rustls's refusal is kept as the typed cause, not as text.
    assert!(
        matches!(&e, SecretError::InvalidPrivateKey { source, .. }
            if matches!(**source, rustls::Error::General(_))),
        "{e:?}"
    );
    assert_eq!(e.key(), Some("tls.key"));
    assert_eq!(
        e.to_string(),
        "secret unikorn/bad-key key \"tls.key\" holds a private key that cannot be used"
    );
    assert!(std::error::Error::source(&e).is_some());

    kube.put_tls_secret(NS, "no-key-pem", &leaf.cert_pem, Some("garbage"));
    let e = build_error(&kube, None, Some("no-key-pem")).await;
    assert!(matches!(e, SecretError::NoPrivateKey { .. }), "{e:?}");
    assert_eq!(e.key(), Some("tls.key"));

    kube.put_tls_secret(NS, "mismatch", &leaf.cert_pem, Some(&other.key_pem()));
    let e = build_error(&kube, None, Some("mismatch")).await;
    assert!(matches!(e, SecretError::KeyMismatch { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "secret unikorn/mismatch: the private key does not match the certificate"
    );
}

#[tokio::test]
async fn an_expired_client_certificate_is_refused_with_its_window() {
    let kube = KubeApi::start().await;
    let leaf = expired(&Ca::new("clients"));
    kube.put_tls_secret(NS, "expired", &leaf.chain_pem(), Some(&leaf.key_pem()));

    let e = secret_error(&kube, None, Some("expired")).await;
    assert!(
        matches!(
            &e,
            SecretError::CertificateExpired { index: 0, validity, .. }
                if *validity == window(JAN_2020, JAN_2021)
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "secret unikorn/expired key \"tls.crt\": the certificate at index 0 has expired \
         (notBefore 2020-01-01T00:00:00Z, notAfter 2021-01-01T00:00:00Z)"
    );
}

#[tokio::test]
async fn a_not_yet_valid_client_certificate_is_refused_with_its_window() {
    let kube = KubeApi::start().await;
    let leaf = Ca::new("clients").client_cert_valid_between(
        "compute",
        KeyKind::Ed25519,
        at(JAN_2100),
        at(JAN_2101),
    );
    kube.put_tls_secret(NS, "early", &leaf.chain_pem(), Some(&leaf.key_pem()));

    let options = HttpOptions::new("region").with_host("https://127.0.0.1:1");
    let client_options = HttpClientOptions::new().with_certificate(NS, "early");
    let error = ClientCache::new(kube.client())
        .http_client(&options, &client_options)
        .await
        .unwrap_err();
    let ClientError::Secret(e) = error else {
        panic!("{error:?}")
    };
    let e = named(e);
    assert!(
        matches!(
            &e,
            SecretError::CertificateNotYetValid { index: 0, validity, .. }
                if *validity == window(JAN_2100, JAN_2101)
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "secret unikorn/early key \"tls.crt\": the certificate at index 0 is not valid yet \
         (notBefore 2100-01-01T00:00:00Z, notAfter 2101-01-01T00:00:00Z)"
    );
}

#[tokio::test]
async fn an_expired_ca_is_refused_but_an_expired_ca_next_to_a_valid_one_is_kept() {
    let kube = KubeApi::start().await;
    let old = Ca::new_valid_between("region-ca-old", at(JAN_2020), at(JAN_2021));
    kube.put_tls_secret(NS, "old-ca", &old.cert_pem, None);
    let e = secret_error(&kube, Some("old-ca"), None).await;
    assert!(
        matches!(
            &e,
            SecretError::CertificateExpired { index: 0, validity, .. }
                if *validity == window(JAN_2020, JAN_2021)
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("notAfter 2021-01-01T00:00:00Z"),
        "{e}"
    );

    // A bundle from a CA rotation: the old CA, expired, and the new one. The client is built and
    // trusts the new CA.
    let new = Ca::new("region-ca-new");
    let server = TestServer::builder(&new.server_cert(&["127.0.0.1"]))
        .start()
        .await;
    kube.put_tls_secret(
        NS,
        "rotated-ca",
        &format!("{}{}", old.cert_pem, new.cert_pem),
        None,
    );
    let options = HttpOptions::new("region")
        .with_host(server.url())
        .with_ca_secret(NS, "rotated-ca");
    let http = HttpClient::new(kube.client(), &options, &HttpClientOptions::new())
        .await
        .unwrap();
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
}

#[tokio::test]
async fn an_expired_certificate_is_refused_on_reload_and_the_next_valid_one_picked_up() {
    let kube = KubeApi::start().await;
    let ca = Ca::new("region-ca");
    kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
    let clients = Ca::new("clients");
    let server = mtls_server(&ca, &clients).await;
    let first = clients.client_cert("compute", KeyKind::EcdsaP256);
    kube.put_tls_secret(NS, "client", &first.chain_pem(), Some(&first.key_pem()));
    let options = options(&server);
    // No background reload: reload is called explicitly.
    let client_options = HttpClientOptions::new()
        .with_certificate(NS, "client")
        .with_reload_interval(Duration::ZERO);
    let http = HttpClient::new(kube.client(), &options, &client_options)
        .await
        .unwrap();
    let presented =
        |server: &TestServer| server.requests().pop().unwrap().peer_certificates[0].clone();
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    assert_eq!(presented(&server), first.cert_der);

    // An expired certificate is written: the reload refuses it and keeps the current one.
    let stale = expired(&clients);
    kube.put_tls_secret(NS, "client", &stale.chain_pem(), Some(&stale.key_pem()));
    match http.reload().await {
        Err(ClientError::Secret(e)) => {
            let e = named(e);
            assert!(
                matches!(
                    &e,
                    SecretError::CertificateExpired { index: 0, validity, .. }
                        if *validity == window(JAN_2020, JAN_2021)
                ),
                "{e:?}"
            );
        }
        other => panic!("expected the expired certificate to be refused, got {other:?}"),
    }
    assert_eq!(
        http.client_identity().unwrap().certificate(),
        &first.cert_der
    );
    // New connections still present it.
    let handshakes = server.handshakes();
    server.close_connections();
    // Until the client noticed: the pooled connection the server just closed.
    let every = Duration::from_millis(50);
    get_until_answered(&http, &server.url(), every, Duration::from_secs(10)).await;
    assert!(
        server.handshakes() > handshakes,
        "a new connection was made"
    );
    assert_eq!(presented(&server), first.cert_der);

    // The renewed certificate is picked up by the next reload.
    let renewed = clients.client_cert("compute", KeyKind::Ed25519);
    kube.put_tls_secret(NS, "client", &renewed.chain_pem(), Some(&renewed.key_pem()));
    assert!(http.reload().await.unwrap());
    assert_eq!(
        http.client_identity().unwrap().certificate(),
        &renewed.cert_der
    );
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    assert_eq!(presented(&server), renewed.cert_der);
}

#[tokio::test]
async fn garbage_der_in_a_certificate_block_is_its_own_error_not_a_key_mismatch() {
    let kube = KubeApi::start().await;
    let leaf = Ca::new("clients").client_cert("compute", KeyKind::EcdsaP256);
    let garbage = pki::pem("CERTIFICATE", b"not DER at all");
    kube.put_tls_secret(NS, "garbage-leaf", &garbage, Some(&leaf.key_pem()));

    let e = secret_error(&kube, None, Some("garbage-leaf")).await;
    assert!(
        matches!(e, SecretError::InvalidCertificate { index: 0, .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "secret unikorn/garbage-leaf key \"tls.crt\": the certificate at index 0 is not a valid \
         X.509 certificate"
    );
    assert!(
        std::error::Error::source(&e).is_some(),
        "the parser's reason"
    );
}

#[tokio::test]
async fn a_client_chain_with_a_trailing_garbage_block_is_refused() {
    let kube = KubeApi::start().await;
    let leaf = Ca::new("clients").client_cert("compute", KeyKind::EcdsaP256);
    let key = leaf.key_pem();

    // A CERTIFICATE block of garbage after the leaf, and after the whole chain.
    let garbage = pki::pem("CERTIFICATE", b"\x30\x03\x02\x01\x00");
    kube.put_tls_secret(
        NS,
        "after-leaf",
        &format!("{}{garbage}", leaf.cert_pem),
        Some(&key),
    );
    let e = secret_error(&kube, None, Some("after-leaf")).await;
    assert!(
        matches!(e, SecretError::InvalidCertificate { index: 1, .. }),
        "{e:?}"
    );
    kube.put_tls_secret(
        NS,
        "after-chain",
        &format!("{}{garbage}", leaf.chain_pem()),
        Some(&key),
    );
    let e = secret_error(&kube, None, Some("after-chain")).await;
    assert!(
        matches!(e, SecretError::InvalidCertificate { index: 2, .. }),
        "{e:?}"
    );

    // A block that is not a certificate: a key pasted after the chain, an unknown label.
    for (name, label) in [
        ("pasted-key", "PRIVATE KEY"),
        ("openssl-aux", "TRUSTED CERTIFICATE"),
    ] {
        let block = pki::pem(label, b"whatever");
        kube.put_tls_secret(
            NS,
            name,
            &format!("{}{block}", leaf.chain_pem()),
            Some(&key),
        );
        let e = secret_error(&kube, None, Some(name)).await;
        match &e {
            SecretError::UnexpectedPemBlock {
                index: 2,
                label: found,
                ..
            } => assert_eq!(found, label),
            other => panic!("{name}: {other:?}"),
        }
        assert!(e.to_string().contains(&format!("{label:?}")), "{e}");
    }

    // Not PEM at all after the last block (the chain is 2 blocks of known length).
    let chain = leaf.chain_pem();
    let line = chain.lines().count() + 1;
    kube.put_tls_secret(NS, "junk", &format!("{chain}MIIB oops\n"), Some(&key));
    let e = secret_error(&kube, None, Some("junk")).await;
    assert!(
        matches!(e, SecretError::TrailingData { line: l, .. } if l == line),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "secret unikorn/junk key \"tls.crt\": unexpected data after the last PEM block, at \
             line {line}"
        )
    );

    // A block cut short after the chain.
    let half = &leaf.cert_pem[..leaf.cert_pem.len() / 2];
    kube.put_tls_secret(NS, "cut", &format!("{chain}{half}"), Some(&key));
    let e = secret_error(&kube, None, Some("cut")).await;
    assert!(
        matches!(e, SecretError::MalformedPem { key: "tls.crt", line: l, .. } if l == line),
        "{e:?}"
    );

    // Explanatory text before blocks (as openssl writes it) and whitespace after are fine.
    let annotated = format!(
        "Bag Attributes\n    friendlyName: compute\nsubject=O=region-client-testing, CN=compute\n{}\
         issuer=CN=clients\n{}\n\n",
        leaf.cert_pem, leaf.ca_pem
    );
    kube.put_tls_secret(NS, "annotated", &annotated, Some(&key));
    let options = HttpOptions::new("region").with_host("https://127.0.0.1:1");
    let http = HttpClient::new(
        kube.client(),
        &options,
        &HttpClientOptions::new().with_certificate(NS, "annotated"),
    )
    .await
    .unwrap();
    assert_eq!(http.client_identity().unwrap().chain(), leaf.chain_der());
}

#[tokio::test]
async fn an_encrypted_private_key_is_its_own_error() {
    let kube = KubeApi::start().await;
    let leaf = Ca::new("clients").client_cert("compute", KeyKind::EcdsaP256);
    for (name, key) in [
        ("pkcs8", pki::ENCRYPTED_PKCS8_KEY_PEM),
        ("legacy", pki::ENCRYPTED_LEGACY_KEY_PEM),
    ] {
        kube.put_tls_secret(NS, name, &leaf.chain_pem(), Some(key));
        let e = secret_error(&kube, None, Some(name)).await;
        assert!(
            matches!(e, SecretError::EncryptedPrivateKey { .. }) && e.key() == Some("tls.key"),
            "{name}: {e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "secret unikorn/{name} key \"tls.key\" holds an encrypted private key, which is \
                 not supported: store the key unencrypted in the Secret"
            )
        );
    }
}

/// A certificate that is not a CA (no basicConstraints with `cA` true) in the CA Secret: the
/// server's own certificate pasted in as its CA, say. It would load and fail at the first
/// handshake; it is refused when the client is built, naming the certificate.
#[tokio::test]
async fn a_ca_secret_holding_a_certificate_that_is_not_a_ca_is_refused() {
    let kube = KubeApi::start().await;
    let ca = Ca::new("region-ca");
    let server_leaf = ca.server_cert(&["127.0.0.1"]);
    kube.put_tls_secret(NS, "leaf-as-ca", &server_leaf.cert_pem, None);
    let e = secret_error(&kube, Some("leaf-as-ca"), None).await;
    assert!(matches!(e, SecretError::NotACa { index: 0, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "secret unikorn/leaf-as-ca key \"tls.crt\": the certificate at index 0 is not a CA \
         certificate (no basicConstraints with cA true)"
    );

    // A leaf next to the CA (the server's tls.crt, leaf then CA) is refused too: a leaf in a
    // trust bundle makes its key a trust anchor.
    kube.put_tls_secret(NS, "chain-as-ca", &server_leaf.chain_pem(), None);
    let e = secret_error(&kube, Some("chain-as-ca"), None).await;
    assert!(matches!(e, SecretError::NotACa { index: 0, .. }), "{e:?}");
    kube.put_tls_secret(
        NS,
        "ca-then-leaf",
        &format!("{}{}", ca.cert_pem, server_leaf.cert_pem),
        None,
    );
    let e = secret_error(&kube, Some("ca-then-leaf"), None).await;
    assert!(matches!(e, SecretError::NotACa { index: 1, .. }), "{e:?}");
}

/// A service without a CA presents a self-signed certificate, and its clients pin it: Go
/// accepts that certificate as the pool's anchor, and so do rustls and this crate.
#[tokio::test]
async fn a_pinned_self_signed_server_certificate_is_a_trust_anchor() {
    let kube = KubeApi::start().await;
    let pinned = Ca::self_signed_server_cert(&["127.0.0.1"]);
    kube.put_tls_secret(NS, "pinned", &pinned.cert_pem, None);
    let server = TestServer::builder(&pinned).start().await;
    let options = HttpOptions::new("region")
        .with_host(server.url())
        .with_ca_secret(NS, "pinned");
    let http = HttpClient::new(kube.client(), &options, &HttpClientOptions::new())
        .await
        .unwrap();
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_ca_secret_rotated_to_a_certificate_that_is_not_a_ca_is_refused_on_reload() {
    let kube = KubeApi::start().await;
    let ca = Ca::new("region-ca");
    kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
    let server_leaf = ca.server_cert(&["127.0.0.1"]);
    let server = TestServer::builder(&server_leaf).start().await;
    let options = options(&server);
    let no_reload = HttpClientOptions::new().with_reload_interval(Duration::ZERO);
    let http = HttpClient::new(kube.client(), &options, &no_reload)
        .await
        .unwrap();
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);

    kube.put_tls_secret(NS, "region-ca", &server_leaf.cert_pem, None);
    match http.reload().await {
        Err(ClientError::Secret(e)) => {
            let e = named(e);
            assert!(matches!(e, SecretError::NotACa { index: 0, .. }), "{e:?}");
        }
        other => panic!("expected the leaf to be refused as a CA, got {other:?}"),
    }
    // The CA last read stays in use, on new connections too.
    server.close_connections();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match http.send(get(&server.url())).await {
            Ok(response) => break assert_eq!(response.status(), 200),
            // The pooled connection the server just closed.
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("{error:?}"),
        }
    }
}

/// A CA certificate that parses as X.509 and is a CA, but that rustls refuses as a trust
/// anchor (here the signature algorithm outside the signed part differs from the one inside
/// it): the Secret and the certificate are named, and rustls's refusal is the typed cause.
#[tokio::test]
async fn a_ca_certificate_rustls_refuses_as_a_trust_anchor_is_named_with_its_cause() {
    let kube = KubeApi::start().await;
    let good = Ca::new("region-ca");
    let refused = Ca::new("odd-ca");
    // ecdsa-with-SHA256, then ecdsa-with-SHA384: the same length, so only the outer
    // AlgorithmIdentifier (its last occurrence) changes.
    const SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let mut der = refused.cert_der.to_vec();
    let outer = der
        .windows(SHA256.len())
        .rposition(|w| w == SHA256)
        .expect("an ECDSA P-256 CA");
    der[outer + SHA256.len() - 1] = 0x03;
    let bundle = format!("{}{}", good.cert_pem, pki::pem("CERTIFICATE", &der));
    kube.put_tls_secret(NS, "odd-ca", &bundle, None);

    let e = secret_error(&kube, Some("odd-ca"), None).await;
    assert!(
        matches!(&e, SecretError::UnusableCaCertificate { index: 1, source, .. }
            if matches!(**source, rustls::Error::InvalidCertificate(_))),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "secret unikorn/odd-ca key \"tls.crt\": the certificate at index 1 cannot be a trust anchor"
    );
    assert!(std::error::Error::source(&e).is_some());
}

/// `TlsSecret`'s checks, for tools that diagnose a setup without building a client, decide by
/// the rules of a client build: the same error for the same Secret, and on success the material
/// a client would use.
#[tokio::test]
async fn reading_a_secret_without_a_client_gives_the_error_a_build_gives() {
    let kube = KubeApi::start().await;
    let ca = Ca::new("region-ca");
    let leaf = ca.client_cert("compute", KeyKind::EcdsaP256);
    let other = ca.client_cert("other", KeyKind::EcdsaP256);
    kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
    kube.put_tls_secret(NS, "compute", &leaf.chain_pem(), Some(&leaf.key_pem()));
    kube.put_tls_secret(NS, "mismatch", &leaf.chain_pem(), Some(&other.key_pem()));
    kube.put_tls_secret(NS, "leaf-as-ca", &leaf.cert_pem, None);
    kube.put_tls_secret(
        NS,
        "expired",
        &expired(&ca).chain_pem(),
        Some(&leaf.key_pem()),
    );
    kube.put_secret(
        NS,
        "opaque",
        "Opaque",
        &[("tls.crt", ca.cert_pem.as_bytes())],
    );
    kube.forbid(NS, "forbidden");
    let client = kube.client();
    let read = |name: &'static str| {
        let client = client.clone();
        async move { TlsSecret::read(&client, &SecretRef::new(NS, name), Duration::from_secs(10)).await }
    };
    let read_ca = |name| async move { read(name).await?.ca_certificates(SystemTime::now()) };
    let read_identity = |name| async move { read(name).await?.client_identity(SystemTime::now()) };

    let cas = read_ca("region-ca").await.unwrap();
    assert_eq!(cas.certificates(), std::slice::from_ref(&ca.cert_der));
    let identity = read_identity("compute").await.unwrap();
    assert_eq!(identity.certificate(), &leaf.cert_der);
    assert_eq!(identity.chain().len(), 2);

    for name in ["leaf-as-ca", "opaque", "forbidden", "absent"] {
        let direct = read_ca(name).await.unwrap_err();
        let built = build_error(&kube, Some(name), None).await;
        assert_eq!(direct.to_string(), built.to_string(), "{name}");
    }
    assert!(matches!(
        read_ca("leaf-as-ca").await,
        Err(SecretError::NotACa { index: 0, .. })
    ));
    for name in ["mismatch", "expired", "opaque", "forbidden", "absent"] {
        let direct = read_identity(name).await.unwrap_err();
        let built = build_error(&kube, None, Some(name)).await;
        assert_eq!(direct.to_string(), built.to_string(), "{name}");
    }
    assert!(matches!(
        read_identity("mismatch").await,
        Err(SecretError::KeyMismatch { .. })
    ));
    assert!(matches!(
        read_identity("forbidden").await,
        Err(SecretError::Forbidden { .. })
    ));
}
