//! `HttpClient` against real servers: the Kubernetes API fake for Secrets and the mTLS test
//! server, over real TLS.

mod common;

use common::{NS, get, get_until_answered, options};
use std::{sync::Arc, time::Duration};

use core_client::{
    ClientCache, ClientError, HttpClient, HttpClientOptions, HttpConfig, HttpError, SecretError,
    SecretRef,
};
use region_client_testing::{Ca, KeyKind, Leaf, TestServer, kube::KubeApi};
use rustls::ProtocolVersion;

struct Setup {
    kube: KubeApi,
    ca: Ca,
    server_leaf: Leaf,
}

impl Setup {
    /// A client of `server` that never reloads by itself (a test reloads it explicitly).
    async fn client_without_reload(&self, server: &TestServer) -> HttpClient {
        let no_reload = HttpClientOptions::new().with_reload_interval(Duration::ZERO);
        HttpClient::new(self.kube.client(), &options(server), &no_reload)
            .await
            .unwrap()
    }
}

async fn setup() -> Setup {
    let kube = KubeApi::start().await;
    let ca = Ca::new("region-ca");
    kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
    let server_leaf = ca.server_cert(&["localhost", "127.0.0.1"]);
    Setup {
        kube,
        ca,
        server_leaf,
    }
}

#[tokio::test]
async fn negotiates_tls13_and_h2_with_private_ca() {
    let s = setup().await;
    let server = TestServer::builder(&s.server_leaf).start().await;
    let http = ClientCache::new(s.kube.client())
        .http_client(&options(&server), &HttpClientOptions::new())
        .await
        .unwrap();
    let response = http.send(get(&server.url())).await.unwrap();
    assert_eq!(response.status(), 200);
    let seen = &server.requests()[0];
    assert_eq!(seen.tls_version, Some(ProtocolVersion::TLSv1_3));
    assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(seen.version, http::Version::HTTP_2);
    assert!(seen.peer_certificates.is_empty());
}

#[tokio::test]
async fn refuses_a_tls12_only_server() {
    let s = setup().await;
    let server = TestServer::builder(&s.server_leaf)
        .tls12_only()
        .start()
        .await;
    let http = HttpClient::new(
        s.kube.client(),
        &options(&server),
        &HttpClientOptions::new(),
    )
    .await
    .unwrap();
    let error = http.send(get(&server.url())).await.unwrap_err();
    let tls = error
        .tls_error()
        .unwrap_or_else(|| panic!("not a TLS error: {error:?}"));
    assert!(
        matches!(
            tls,
            rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
                | rustls::Error::PeerIncompatible(_)
        ),
        "{tls:?}"
    );
    assert_eq!(server.handshakes(), 0);
}

#[tokio::test]
async fn refuses_an_unknown_ca() {
    let s = setup().await;
    let stranger = Ca::new("stranger");
    let server = TestServer::builder(&stranger.server_cert(&["127.0.0.1"]))
        .start()
        .await;
    let http = HttpClient::new(
        s.kube.client(),
        &options(&server),
        &HttpClientOptions::new(),
    )
    .await
    .unwrap();
    let error = http.send(get(&server.url())).await.unwrap_err();
    assert!(
        matches!(
            error.tls_error(),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn refuses_a_wrong_host_name() {
    let s = setup().await;
    let server = TestServer::builder(&s.ca.server_cert(&["other.example.com"]))
        .start()
        .await;
    let http = HttpClient::new(
        s.kube.client(),
        &options(&server),
        &HttpClientOptions::new(),
    )
    .await
    .unwrap();
    let error = http.send(get(&server.url())).await.unwrap_err();
    assert!(
        matches!(
            error.tls_error(),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn presents_client_certificates_of_every_key_type_and_encoding() {
    let s = setup().await;
    let clients = Ca::new("clients");
    let server = TestServer::builder(&s.server_leaf)
        .require_client_cert(&clients)
        .start()
        .await;
    for kind in KeyKind::ALL {
        let leaf = clients.client_cert("compute", kind);
        for encoding in kind.encodings() {
            let name = format!("client-{kind:?}-{encoding:?}").to_lowercase();
            // tls.crt carries the whole chain: leaf then CA.
            s.kube.put_tls_secret(
                NS,
                &name,
                &leaf.chain_pem(),
                Some(&leaf.key_pem_as(*encoding)),
            );
            let client_options = HttpClientOptions::new().with_certificate(NS, &name);
            let http = HttpClient::new(s.kube.client(), &options(&server), &client_options)
                .await
                .unwrap_or_else(|e| panic!("{kind:?} {encoding:?}: {e}"));
            let response = http.send(get(&server.url())).await;
            assert_eq!(response.unwrap().status(), 200, "{kind:?} {encoding:?}");
            let seen = server.requests().pop().unwrap();
            assert_eq!(seen.peer_certificates.len(), 2, "the whole chain is sent");
            assert_eq!(seen.peer_certificates[0], leaf.cert_der);
            assert_eq!(seen.peer_certificates[1], clients.cert_der);
            assert_eq!(
                http.client_identity().unwrap().certificate(),
                &leaf.cert_der
            );
        }
    }
}

#[tokio::test]
async fn is_rejected_without_a_client_certificate() {
    let s = setup().await;
    let clients = Ca::new("clients");
    let server = TestServer::builder(&s.server_leaf)
        .require_client_cert(&clients)
        .start()
        .await;
    let http = HttpClient::new(
        s.kube.client(),
        &options(&server),
        &HttpClientOptions::new(),
    )
    .await
    .unwrap();
    let error = http.send(get(&server.url())).await.unwrap_err();
    // In TLS 1.3 the server's refusal arrives after the client finished its handshake, as an
    // alert read from the stream.
    assert!(
        matches!(
            error,
            HttpError::CertificateRefused {
                secret: None,
                alert: rustls::AlertDescription::CertificateRequired,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "request to {}/healthz: the server requires a client certificate, and none is \
             configured",
            server.url()
        )
    );
    assert!(server.requests().is_empty());
    // A TLS refusal would fail again: it is not retried.
    assert_eq!(error.attempts(), Some(1));
    assert_eq!(error.kind(), "tls_error");
    assert_eq!(server.handshake_errors().len(), 1);
}

/// A server that does not trust the CA of the client certificate refuses it in the handshake
/// with an alert: the error names the Secret the certificate came from and the alert, over
/// HTTP/2 (where the I/O error reaches the client as text only) and HTTP/1.1.
#[tokio::test]
async fn a_refused_client_certificate_names_its_secret_and_why() {
    let s = setup().await;
    let clients = Ca::new("clients");
    let leaf = clients.client_cert("compute", KeyKind::EcdsaP256);
    s.kube
        .put_tls_secret(NS, "client", &leaf.chain_pem(), Some(&leaf.key_pem()));
    let client_options = HttpClientOptions::new().with_certificate(NS, "client");
    for http1 in [false, true] {
        let mut builder =
            TestServer::builder(&s.server_leaf).require_client_cert(&Ca::new("other-clients"));
        if http1 {
            builder = builder.http1_only();
        }
        let server = builder.start().await;
        let http = HttpClient::new(s.kube.client(), &options(&server), &client_options)
            .await
            .unwrap();
        let error = http.send(get(&server.url())).await.unwrap_err();
        match &error {
            HttpError::CertificateRefused {
                secret,
                alert,
                attempts,
                ..
            } => {
                assert_eq!(secret.as_deref(), Some(&SecretRef::new(NS, "client")));
                assert_eq!(*alert, rustls::AlertDescription::UnknownCA);
                assert_eq!(*attempts, 1, "a refusal would come again: not retried");
            }
            other => panic!("http1: {http1}: {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            format!(
                "request to {}/healthz: the server refused the client certificate from Secret \
                 unikorn/client (unknown CA)",
                server.url()
            )
        );
        assert_eq!(error.kind(), "tls_error");
        assert_eq!(error.attempts(), Some(1));
        assert!(server.requests().is_empty());
        assert_eq!(server.handshake_errors().len(), 1, "http1: {http1}");
    }
}

#[tokio::test]
async fn same_options_share_secrets_and_connections() {
    let s = setup().await;
    let clients = Ca::new("clients");
    let leaf = clients.client_cert("compute", KeyKind::Ed25519);
    s.kube
        .put_tls_secret(NS, "client", &leaf.chain_pem(), Some(&leaf.key_pem()));
    let server = TestServer::builder(&s.server_leaf)
        .require_client_cert(&clients)
        .start()
        .await;
    let client_options = HttpClientOptions::new().with_certificate(NS, "client");
    let cache = ClientCache::new(s.kube.client());
    let first = cache
        .http_client(&options(&server), &client_options)
        .await
        .unwrap();
    let second = cache
        .clone()
        .http_client(&options(&server), &client_options)
        .await
        .unwrap();
    for http in [&first, &second, &first, &second] {
        assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    }
    assert_eq!(server.requests().len(), 4);
    // One connection to learn that the server speaks HTTP/2, then one that every later
    // request of both clients shares.
    assert_eq!(server.handshakes(), 2, "one pool for both clients");
    assert_eq!(s.kube.get_count(NS, "region-ca"), 1);
    assert_eq!(s.kube.get_count(NS, "client"), 1);
}

#[tokio::test]
async fn rotated_ca_is_used_after_reload() {
    let s = setup().await;
    let server = TestServer::builder(&s.server_leaf).start().await;
    // No background reload during this test: reload is called explicitly.
    let http = s.client_without_reload(&server).await;
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    assert!(!http.reload().await.unwrap(), "nothing changed yet");

    let new_ca = Ca::new("region-ca-2");
    // The server presents a certificate of another CA, and closes its connections: whether the
    // request finds the pooled connection gone or not yet (then it is sent again, as a GET on a
    // connection closed under it is), it meets a handshake with the new certificate.
    server.set_certificate(&new_ca.server_cert(&["127.0.0.1"]));
    let error = http.send(get(&server.url())).await.unwrap_err();
    assert!(
        error.tls_error().is_some(),
        "old CA must not trust the new server: {error:?}"
    );

    s.kube
        .put_tls_secret(NS, "region-ca", &new_ca.cert_pem, None);
    assert!(http.reload().await.unwrap());
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    // Built once, then one read per reload: a changed Secret is not read twice.
    assert_eq!(s.kube.get_count(NS, "region-ca"), 3);
}

#[tokio::test]
async fn rotated_ca_is_picked_up_in_the_background_within_the_interval() {
    let s = setup().await;
    let server = TestServer::builder(&s.server_leaf).start().await;
    let interval = core_client::MIN_RELOAD_INTERVAL;
    let client_options = HttpClientOptions::new().with_reload_interval(interval);
    let http = ClientCache::new(s.kube.client())
        .http_client(&options(&server), &client_options)
        .await
        .unwrap();
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);

    let new_ca = Ca::new("region-ca-2");
    s.kube
        .put_tls_secret(NS, "region-ca", &new_ca.cert_pem, None);
    server.set_certificate(&new_ca.server_cert(&["127.0.0.1"]));
    // Until the reload: an unknown-CA failure, or the connection the server closed. The bound
    // is one interval plus a Kubernetes round trip; the limit is generous for a loaded machine.
    get_until_answered(&http, &server.url(), interval / 4, interval * 25).await;
    assert!(s.kube.get_count(NS, "region-ca") >= 2);
}

#[tokio::test]
async fn requests_name_this_crate_as_user_agent_unless_told_otherwise() {
    let s = setup().await;
    let server = TestServer::builder(&s.server_leaf).start().await;
    let no_reload = HttpClientOptions::new().with_reload_interval(Duration::ZERO);
    let http = HttpClient::new(s.kube.client(), &options(&server), &no_reload)
        .await
        .unwrap();
    http.send(get(&server.url())).await.unwrap();
    assert_eq!(
        server.requests()[0].header("user-agent"),
        Some(concat!("core-client/", env!("CARGO_PKG_VERSION")))
    );
    // A request's own User-Agent stands; so does the configured one.
    let mut own = get(&server.url());
    own.headers_mut()
        .insert(http::header::USER_AGENT, "compute/2.0".parse().unwrap());
    http.send(own).await.unwrap();
    assert_eq!(
        server.requests()[1].header("user-agent"),
        Some("compute/2.0")
    );
    let configured = options(&server).with_config(
        HttpConfig::default().with_user_agent(http::HeaderValue::from_static("region-cli/1.0")),
    );
    let http = HttpClient::new(s.kube.client(), &configured, &no_reload)
        .await
        .unwrap();
    http.send(get(&server.url())).await.unwrap();
    assert_eq!(
        server.requests()[2].header("user-agent"),
        Some("region-cli/1.0")
    );
}

#[tokio::test]
async fn a_zero_reload_interval_reads_secrets_once() {
    let s = setup().await;
    let server = TestServer::builder(&s.server_leaf).start().await;
    let no_reload = HttpClientOptions::new().with_reload_interval(Duration::ZERO);
    let http = ClientCache::new(s.kube.client())
        .http_client(&options(&server), &no_reload)
        .await
        .unwrap();
    // Beside it, a client reloading at the shortest interval, from a Secret of its own: once
    // it has reloaded three times, a reload task of the first would have read its Secret too.
    s.kube
        .put_tls_secret(NS, "control-ca", &s.ca.cert_pem, None);
    let reloading = HttpClientOptions::new().with_reload_interval(core_client::MIN_RELOAD_INTERVAL);
    let control = ClientCache::new(s.kube.client())
        .http_client(
            &options(&server).with_ca_secret(NS, "control-ca"),
            &reloading,
        )
        .await
        .unwrap();
    s.kube.wait_for_reads(NS, "control-ca", 4).await;
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    assert_eq!(s.kube.get_count(NS, "region-ca"), 1);
    drop(control);
}

/// A plain-TCP server that answers every connection with `response` (or never, when `None`).
async fn raw_server(response: Option<&'static str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                match response {
                    Some(response) => {
                        let _ = socket.write_all(response.as_bytes()).await;
                    }
                    None => std::future::pending::<()>().await,
                }
            });
        }
    });
    url
}

fn plain_client(config: HttpConfig) -> HttpClient {
    let ca = Ca::new("unused");
    HttpClient::from_tls_config(
        region_client_testing::server::client_tls_config(&ca, None),
        None,
        config,
    )
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed() {
    let url = raw_server(Some("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")).await;
    let error = plain_client(HttpConfig::default())
        .send(get(&url))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HttpError::InsecureScheme { .. }),
        "{error:?}"
    );

    let allowed = plain_client(HttpConfig::default().with_insecure_http_allowed(true));
    let response = allowed.send(get(&url)).await.unwrap();
    assert_eq!(response.body().as_ref(), b"ok");
}

#[tokio::test]
async fn oversized_bodies_and_slow_servers_are_cut_off() {
    let url = raw_server(Some(
        "HTTP/1.1 200 OK\r\ncontent-length: 2048\r\n\r\n\
         xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ))
    .await;
    let config = HttpConfig::default()
        .with_insecure_http_allowed(true)
        .with_max_response_body(16)
        .with_request_timeout(Duration::from_secs(5));
    let error = plain_client(config).send(get(&url)).await.unwrap_err();
    assert!(
        matches!(error, HttpError::BodyTooLarge { limit: 16, .. }),
        "{error:?}"
    );

    let silent = raw_server(None).await;
    let config = HttpConfig::default()
        .with_insecure_http_allowed(true)
        .with_request_timeout(Duration::from_millis(200));
    let error = plain_client(config).send(get(&silent)).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
}

#[tokio::test]
async fn a_request_signed_before_rotations_presents_the_key_that_signed_it() {
    let s = setup().await;
    let clients = Ca::new("clients");
    let old = clients.client_cert("compute", KeyKind::EcdsaP256);
    s.kube
        .put_tls_secret(NS, "client", &old.chain_pem(), Some(&old.key_pem()));
    let server = TestServer::builder(&s.server_leaf)
        .require_client_cert(&clients)
        .start()
        .await;
    let client_options = HttpClientOptions::new()
        .with_certificate(NS, "client")
        .with_reload_interval(Duration::ZERO);
    let http = HttpClient::new(s.kube.client(), &options(&server), &client_options)
        .await
        .unwrap();
    // Something is signed with the current key...
    let signer = http.current_signer().unwrap();
    assert_eq!(signer.identity().certificate(), &old.cert_der);
    let old_identity = Arc::downgrade(signer.identity());
    let mut signed = get(&server.url());
    signed.extensions_mut().insert(signer);

    // ...then the certificate rotates three times before the request goes out.
    let mut newest = old.clone();
    for kind in [KeyKind::Ed25519, KeyKind::EcdsaP384, KeyKind::EcdsaP256] {
        newest = clients.client_cert("compute", kind);
        s.kube
            .put_tls_secret(NS, "client", &newest.chain_pem(), Some(&newest.key_pem()));
        assert!(http.reload().await.unwrap());
    }
    assert_eq!(
        http.client_identity().unwrap().certificate(),
        &newest.cert_der
    );

    assert_eq!(http.send(signed).await.unwrap().status(), 200);
    assert_eq!(
        server.requests().pop().unwrap().peer_certificates[0],
        old.cert_der
    );
    // The request held the old material, and nothing else did: it is gone with the request.
    assert!(old_identity.upgrade().is_none(), "the old key is dropped");

    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    assert_eq!(
        server.requests().pop().unwrap().peer_certificates[0],
        newest.cert_der
    );
    assert!(
        HttpClient::from_tls_config(
            region_client_testing::server::client_tls_config(&s.ca, None),
            None,
            HttpConfig::default()
        )
        .current_signer()
        .is_none()
    );
}

#[tokio::test]
async fn concurrent_first_calls_build_once_and_a_failed_build_is_retried_after_a_backoff() {
    let s = setup().await;
    let server = TestServer::builder(&s.server_leaf).start().await;
    let cache = ClientCache::new(s.kube.client());

    // The CA Secret does not exist yet: the build fails, and its error is remembered.
    let missing = options(&server).with_ca_secret(NS, "later-ca");
    let not_found = |result: Result<HttpClient, ClientError>| {
        matches!(
            result,
            Err(ClientError::Secret(SecretError::NotFound { .. }))
        )
    };
    assert!(not_found(
        cache.http_client(&missing, &HttpClientOptions::new()).await
    ));
    s.kube.put_tls_secret(NS, "later-ca", &s.ca.cert_pem, None);
    // Within the backoff, the same error, without reading the Secret again.
    assert!(not_found(
        cache.http_client(&missing, &HttpClientOptions::new()).await
    ));
    assert_eq!(s.kube.get_count(NS, "later-ca"), 1);

    // Once it has passed, ten concurrent callers: one build for all of them.
    tokio::time::sleep(core_client::MIN_RELOAD_INTERVAL).await;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let cache = cache.clone();
            let missing = missing.clone();
            tokio::spawn(
                async move { cache.http_client(&missing, &HttpClientOptions::new()).await },
            )
        })
        .collect();
    for call in calls {
        let http = call.await.unwrap().unwrap();
        assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    }
    // One failed read, then one read for all ten concurrent callers.
    assert_eq!(s.kube.get_count(NS, "later-ca"), 2);
}

/// Layers put on a client see every request it sends, on top of the transport's own layers;
/// layering twice stacks, and the client layered on stays as it was.
#[tokio::test]
async fn layers_put_on_a_client_edit_its_requests_and_stack() {
    let s = setup().await;
    let server = TestServer::builder(&s.server_leaf).start().await;
    let http = s.client_without_reload(&server).await;
    let marking = |name: &'static str| {
        tower::util::MapRequestLayer::new(move |mut request: http::Request<bytes::Bytes>| {
            request
                .headers_mut()
                .insert(name, http::HeaderValue::from_static("on"));
            request
        })
    };
    let once = http.with_layer(marking("x-first"));
    let twice = once.with_layer(marking("x-second"));
    for client in [&http, &once, &twice] {
        assert_eq!(client.send(get(&server.url())).await.unwrap().status(), 200);
    }
    let requests = server.requests();
    let marks = |i: usize| {
        (
            requests[i].header("x-first").is_some(),
            requests[i].header("x-second").is_some(),
        )
    };
    assert_eq!(
        [marks(0), marks(1), marks(2)],
        [(false, false), (true, false), (true, true)]
    );
    // The transport's own layers still run under the added ones.
    assert!(requests[2].header("user-agent").is_some());
}
