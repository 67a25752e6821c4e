//! What the network and the servers do to a client, and what the client does about it: real
//! TLS servers on loopback that close connections, reset answers, drip, refuse, over HTTP/1.1
//! and HTTP/2; and a Kubernetes API that fails while clients are in use.

use std::time::{Duration, Instant};

use bytes::Bytes;
use core_client::{
    Attempts, ClientCache, HttpClient, HttpClientOptions, HttpConfig, HttpError, HttpOptions,
    HttpVersion, RetryConfig, RetrySafe, SecretError,
};
use region_client_testing::{
    Ca, KeyKind, RecordedRequest, TestServer,
    kube::KubeApi,
    server::{Protocol, Reply, client_tls_config, json_response},
};

/// A server presenting a certificate of `ca`, speaking `protocol`, answering by `script`; with
/// `idle_close`, closing a connection when no request arrived on it for that long after its
/// last answer (a keep-alive timeout, as an ingress has).
async fn fault_server(
    ca: &Ca,
    protocol: Protocol,
    idle_close: Option<Duration>,
    script: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
) -> TestServer {
    let builder = TestServer::builder(&ca.server_cert(&["127.0.0.1"]))
        .protocol(protocol)
        .handler(script);
    match idle_close {
        Some(idle) => builder.idle_timeout(idle),
        None => builder,
    }
    .start()
    .await
}

/// An answer with `status`, an optional `Retry-After` and a small JSON body.
fn answer(status: u16, retry_after: Option<&str>) -> Reply {
    let mut response = json_response(status, &serde_json::json!({}));
    if let Some(value) = retry_after {
        response.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    Reply::Respond(response)
}

/// A `200` whose body is cut half-way (the connection or stream reset).
fn cut() -> Reply {
    Reply::CutBody(json_response(200, &serde_json::json!({ "partial": true })))
}

fn client(ca: &Ca, config: HttpConfig) -> HttpClient {
    HttpClient::from_tls_config(client_tls_config(ca, None), None, config)
}

fn request(method: http::Method, url: &str) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(format!("{url}/x"))
        .body(Bytes::new())
        .unwrap()
}

fn get(url: &str) -> http::Request<Bytes> {
    request(http::Method::GET, url)
}

fn attempts(response: &http::Response<Bytes>) -> u32 {
    response.extensions().get::<Attempts>().map_or(0, |a| a.0)
}

#[tokio::test]
async fn idle_connections_the_server_closed_are_replaced() {
    for protocol in Protocol::EACH {
        let ca = Ca::new("ca");
        let server = fault_server(&ca, protocol, None, |_| answer(200, None)).await;
        let http = client(&ca, HttpConfig::default());
        assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
        // The server closes the idle pooled connection, as an ingress does at its keep-alive
        // timeout; the next request still succeeds (on a new connection).
        server.close_connections();
        let response = http.send(get(&server.url())).await.unwrap();
        assert_eq!(response.status(), 200, "{protocol:?}");
        assert_eq!(server.handshakes(), 2, "{protocol:?}");
    }
}

#[tokio::test]
async fn a_burst_after_idle_connections_closed_opens_one_http2_connection() {
    let ca = Ca::new("ca");
    let server = fault_server(&ca, Protocol::Http2, None, |_| answer(200, None)).await;
    let http = client(&ca, HttpConfig::default());
    // A cold burst: the first request learns that the host speaks HTTP/2, the others share
    // one connection instead of each making a handshake.
    let burst = |n: usize| {
        let requests: Vec<_> = (0..n)
            .map(|_| {
                let http = http.clone();
                let url = server.url();
                tokio::spawn(async move { http.send(get(&url)).await })
            })
            .collect();
        async move {
            for request in requests {
                assert_eq!(request.await.unwrap().unwrap().status(), 200);
            }
        }
    };
    burst(100).await;
    let cold = server.handshakes();
    assert!(cold <= 2, "{cold} connections for a cold burst");
    // After the server closed the idle connections, the next burst makes one more.
    server.close_connections();
    burst(100).await;
    assert_eq!(server.handshakes(), cold + 1);
}

/// With the HTTP version fixed nothing is learned: HTTP/2 shares one connection from the first
/// request of a cold burst on (no learning connection), HTTP/1.1 is spoken even to a host that
/// offers HTTP/2, and a host that does not speak HTTP/2 fails the HTTP/2-only handshake.
#[tokio::test]
async fn a_fixed_http_version_is_spoken_from_the_first_request() {
    let ca = Ca::new("ca");
    let server = fault_server(&ca, Protocol::Both, None, |_| answer(200, None)).await;
    let http2 = client(
        &ca,
        HttpConfig::default().with_http_version(HttpVersion::Http2),
    );
    let burst: Vec<_> = (0..50)
        .map(|_| {
            let (http, url) = (http2.clone(), server.url());
            tokio::spawn(async move { http.send(get(&url)).await })
        })
        .collect();
    for request in burst {
        let response = request.await.unwrap().unwrap();
        assert_eq!(response.version(), http::Version::HTTP_2);
    }
    assert_eq!(
        server.handshakes(),
        1,
        "one connection for a cold HTTP/2 burst"
    );

    let http1 = client(
        &ca,
        HttpConfig::default().with_http_version(HttpVersion::Http1),
    );
    for _ in 0..3 {
        let response = http1.send(get(&server.url())).await.unwrap();
        assert_eq!(response.version(), http::Version::HTTP_11);
    }
    assert_eq!(
        server.handshakes(),
        2,
        "one HTTP/1.1 connection, kept alive"
    );

    let old = fault_server(&ca, Protocol::Http1, None, |_| answer(200, None)).await;
    let refused = http2.send(get(&old.url())).await.unwrap_err();
    assert!(
        matches!(refused, HttpError::Transport { .. }),
        "{refused:?}"
    );
    assert!(old.requests().is_empty());
}

/// The first request to a host finds out its HTTP version alone, but only until its connection
/// is established: when the server hangs on that request, the others do not wait for its
/// answer (they used to, until its request timeout).
#[tokio::test]
async fn a_first_request_the_server_hangs_on_stalls_no_other_request() {
    for protocol in [Protocol::Http2, Protocol::Http1] {
        let ca = Ca::new("ca");
        let server = fault_server(&ca, protocol, None, |_| answer(200, None)).await;
        server.hang_next(1);
        let timeout = Duration::from_secs(10);
        let http = client(&ca, HttpConfig::default().with_request_timeout(timeout));
        let first = tokio::spawn({
            let (http, url) = (http.clone(), server.url());
            async move { http.send(get(&url)).await }
        });
        while server.unanswered() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let others: Vec<_> = (0..20)
            .map(|_| {
                let (http, url) = (http.clone(), server.url());
                tokio::spawn(async move { http.send(get(&url)).await })
            })
            .collect();
        for other in others {
            assert_eq!(other.await.unwrap().unwrap().status(), 200, "{protocol:?}");
        }
        assert!(
            !first.is_finished(),
            "{protocol:?}: the others were answered only once the first request ended"
        );
        first.abort();
        let cold = server.handshakes();
        match protocol {
            // One for the hung request, one shared by the others.
            Protocol::Http2 => assert_eq!(cold, 2),
            _ => assert!(cold <= 21, "{cold}"),
        }
    }
}

/// The server answers the first request of each connection and closes the connection under
/// every later one: each request after the first is written onto a connection being closed.
///
/// The client sends each request on the connection of the answer before it, without waiting
/// for it to be back in the pool: a checkout waits for a connection being returned while it
/// starts a new one, and the answered connection is back long before a new TLS handshake
/// could finish.
async fn closing_server(ca: &Ca, protocol: Protocol) -> TestServer {
    fault_server(ca, protocol, None, |request| match request.on_connection {
        0 => answer(200, None),
        _ => Reply::Close,
    })
    .await
}

/// Leaves one answered connection in the pool of the client that will send the next request.
/// Over HTTP/2 that takes two requests: the first finds out the protocol on a connection of
/// its own, the next makes the connection HTTP/2 requests then share.
async fn warm(http: &HttpClient, server: &TestServer, protocol: Protocol) {
    http.send(get(&server.url())).await.unwrap();
    if protocol == Protocol::Http2 {
        http.send(get(&server.url())).await.unwrap();
    }
}

#[tokio::test]
async fn a_request_on_a_connection_being_closed_is_retried_when_safe() {
    for protocol in Protocol::EACH {
        let ca = Ca::new("ca");
        // Without retries every request written onto the closing connection fails, with a
        // typed transport error saying it was sent once; the one after it gets a new
        // connection and succeeds.
        let server = closing_server(&ca, protocol).await;
        let http = client(
            &ca,
            HttpConfig::default().with_retry(RetryConfig::disabled()),
        );
        warm(&http, &server, protocol).await;
        for _ in 0..5 {
            let error = http.send(get(&server.url())).await.unwrap_err();
            assert!(
                matches!(error, HttpError::Transport { attempts: 1, .. }),
                "{protocol:?}: {error:?}"
            );
            let response = http.send(get(&server.url())).await.unwrap();
            assert_eq!(attempts(&response), 1);
        }

        // With retries, each such request is sent again on a new connection: none fails.
        let server = closing_server(&ca, protocol).await;
        let http = client(&ca, HttpConfig::default());
        warm(&http, &server, protocol).await;
        for n in 0..20 {
            let response = http.send(get(&server.url())).await;
            let response = response.unwrap_or_else(|e| panic!("{protocol:?} request {n}: {e}"));
            assert_eq!(response.status(), 200);
            assert_eq!(attempts(&response), 2, "{protocol:?} request {n}");
        }
    }
}

#[tokio::test]
async fn post_is_not_retried_unless_marked_safe() {
    for protocol in Protocol::EACH {
        let ca = Ca::new("ca");
        let server = closing_server(&ca, protocol).await;
        let http = client(&ca, HttpConfig::default());
        warm(&http, &server, protocol).await;
        let before = server.requests().len();
        let error = http
            .send(request(http::Method::POST, &server.url()))
            .await
            .unwrap_err();
        assert_eq!(error.attempts(), Some(1), "{protocol:?}: {error:?}");
        assert_eq!(server.requests().len(), before + 1, "sent once");

        // The failed POST's connection is gone: pool one again, then repeat on it.
        http.send(get(&server.url())).await.unwrap();
        let mut marked = request(http::Method::POST, &server.url());
        marked.extensions_mut().insert(RetrySafe);
        let response = http.send(marked).await.unwrap();
        assert_eq!(attempts(&response), 2, "{protocol:?}");
    }
}

#[tokio::test]
async fn keep_alive_race_with_retries_has_no_failures() {
    // The server closes a connection 60 ms after its last answer; requests come 40 to 80 ms
    // apart, so many land on a connection just as it is closed.
    async fn race(protocol: Protocol, retry: RetryConfig) -> Vec<String> {
        let ca = Ca::new("ca");
        let idle = Duration::from_millis(60);
        let server = fault_server(&ca, protocol, Some(idle), |_| answer(200, None)).await;
        let http = client(&ca, HttpConfig::default().with_retry(retry));
        let mut failures = Vec::new();
        for n in 0..60u64 {
            tokio::time::sleep(Duration::from_millis(40 + (n * 7) % 41)).await;
            if let Err(error) = http.send(get(&server.url())).await {
                failures.push(error.to_string());
            }
        }
        failures
    }
    for protocol in Protocol::EACH {
        let failures = race(protocol, RetryConfig::default()).await;
        assert!(failures.is_empty(), "{protocol:?}: {failures:?}");
        // The same race without retries, for the record (how many it hits varies with timing).
        let unretried = race(protocol, RetryConfig::disabled()).await;
        eprintln!(
            "keep-alive race, {protocol:?}: 0 of 60 failed with retries, {} of 60 without",
            unretried.len()
        );
    }
}

#[tokio::test]
async fn a_reset_mid_answer_is_retried_when_safe() {
    for protocol in Protocol::EACH {
        let ca = Ca::new("ca");
        let http = client(&ca, HttpConfig::default());

        // Every answer cut half-way: a GET is sent as often as the attempt budget allows, and
        // the typed error says how often.
        let server = fault_server(&ca, protocol, None, |_| cut()).await;
        let error = http.send(get(&server.url())).await.unwrap_err();
        assert!(
            matches!(error, HttpError::Body { status, attempts: 3, .. } if status == 200),
            "{protocol:?}: {error:?}"
        );
        assert_eq!(error.attempts(), Some(3));
        assert_eq!(server.requests().len(), 3, "{protocol:?}");

        // The first answer cut, the next one whole: the GET succeeds on its second attempt.
        let server = fault_server(&ca, protocol, None, |request| match request.index {
            0 => cut(),
            _ => answer(200, None),
        })
        .await;
        let response = http.send(get(&server.url())).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(attempts(&response), 2, "{protocol:?}");

        // A POST is not repeated: the server may have acted on it.
        let server = fault_server(&ca, protocol, None, |_| cut()).await;
        let error = http
            .send(request(http::Method::POST, &server.url()))
            .await
            .unwrap_err();
        assert!(
            matches!(error, HttpError::Body { attempts: 1, .. }),
            "{protocol:?}: {error:?}"
        );
        assert_eq!(server.requests().len(), 1, "{protocol:?}");
    }
}

#[tokio::test]
async fn service_unavailable_with_retry_after_then_success() {
    for protocol in Protocol::EACH {
        // An HTTP date has one-second precision: 3 s ahead leaves at least 2 s to wait.
        let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
        for retry_after in ["1", date.as_str()] {
            let ca = Ca::new("ca");
            let asked = retry_after.to_owned();
            let server = fault_server(&ca, protocol, None, move |request| match request.index {
                0 => answer(503, Some(&asked)),
                _ => answer(200, None),
            })
            .await;
            let http = client(&ca, HttpConfig::default());
            let started = Instant::now();
            let response = http.send(get(&server.url())).await.unwrap();
            assert_eq!(response.status(), 200, "{protocol:?} {retry_after}");
            assert_eq!(attempts(&response), 2);
            // The wait the server asked for was honoured (the date form: at least the part
            // of it left once the date, which has one-second precision, is read).
            assert!(
                started.elapsed() >= Duration::from_millis(900),
                "{retry_after}"
            );
        }
        // A Retry-After longer than the cap is not waited for: the 503 is the answer.
        let ca = Ca::new("ca");
        let server = fault_server(&ca, protocol, None, |_| answer(503, Some("60"))).await;
        let response = client(&ca, HttpConfig::default())
            .send(get(&server.url()))
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(attempts(&response), 1);
    }
}

#[tokio::test]
async fn a_slow_drip_ends_at_the_request_timeout() {
    for protocol in Protocol::EACH {
        let ca = Ca::new("ca");
        let server = fault_server(&ca, protocol, None, |_| {
            Reply::Drip(Duration::from_millis(50))
        })
        .await;
        let timeout = Duration::from_millis(800);
        let http = client(&ca, HttpConfig::default().with_request_timeout(timeout));
        let started = Instant::now();
        let error = http.send(get(&server.url())).await.unwrap_err();
        assert!(error.is_timeout(), "{protocol:?}: {error:?}");
        assert_eq!(error.attempts(), Some(1), "{protocol:?}");
        // Bounded: the timeout, not the endless body, ends the call.
        assert!(started.elapsed() < timeout * 4, "{:?}", started.elapsed());

        // After a 503 the retry drips: the timeout says both attempts were made.
        let server = fault_server(&ca, protocol, None, |request| match request.index {
            0 => answer(503, None),
            _ => Reply::Drip(Duration::from_millis(50)),
        })
        .await;
        let error = http.send(get(&server.url())).await.unwrap_err();
        assert!(error.is_timeout(), "{protocol:?}: {error:?}");
        assert_eq!(error.attempts(), Some(2), "{protocol:?}: {error:?}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_cut_at_the_limit_and_not_retried() {
    for protocol in Protocol::EACH {
        let ca = Ca::new("ca");
        let big = Bytes::from(vec![b'a'; 2 * 1024 * 1024]);
        let server = fault_server(&ca, protocol, None, move |_| {
            Reply::Respond(http::Response::new(big.clone()))
        })
        .await;
        let http = client(
            &ca,
            HttpConfig::default().with_max_response_body(1024 * 1024),
        );
        let error = http.send(get(&server.url())).await.unwrap_err();
        assert!(
            matches!(error, HttpError::BodyTooLarge { limit, attempts: 1, .. } if limit == 1024 * 1024),
            "{protocol:?}: {error:?}"
        );
        assert_eq!(server.requests().len(), 1);

        // After a 503, the retry's answer is too large: not retried again, two attempts.
        let big = Bytes::from(vec![b'a'; 2 * 1024 * 1024]);
        let server = fault_server(&ca, protocol, None, move |request| match request.index {
            0 => answer(503, None),
            _ => Reply::Respond(http::Response::new(big.clone())),
        })
        .await;
        let error = http.send(get(&server.url())).await.unwrap_err();
        assert!(
            matches!(error, HttpError::BodyTooLarge { attempts: 2, .. }),
            "{protocol:?}: {error:?}"
        );
        assert_eq!(error.attempts(), Some(2));
        assert_eq!(server.requests().len(), 2);
    }
}

const NS: &str = "unikorn";

/// A client built from Secrets of `kube` for `server`, presenting `compute-client`.
async fn from_secrets(kube: &KubeApi, server: &TestServer) -> HttpClient {
    let options = HttpOptions::new("region")
        .with_host(server.url())
        .with_ca_secret(NS, "region-ca");
    let me = HttpClientOptions::new()
        .with_certificate(NS, "compute-client")
        .with_reload_interval(Duration::ZERO);
    ClientCache::new(kube.client())
        .http_client(&options, &me)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_failing_kubernetes_api_does_not_break_clients_in_use() {
    let ca = Ca::new("platform-ca");
    let me = ca.client_cert("compute", KeyKind::EcdsaP256);
    let kube = KubeApi::start().await;
    kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
    kube.put_tls_secret(NS, "compute-client", &me.chain_pem(), Some(&me.key_pem()));
    let server = TestServer::builder(&ca.server_cert(&["127.0.0.1"]))
        .require_client_cert(&ca)
        .start()
        .await;
    let http = from_secrets(&kube, &server).await;
    let url = server.url();
    assert_eq!(http.send(get(&url)).await.unwrap().status(), 200);

    kube.forbid(NS, "compute-client");
    let error = http.reload().await.unwrap_err();
    assert!(
        matches!(
            error,
            core_client::ClientError::Secret(SecretError::Forbidden { .. })
        ),
        "{error:?}"
    );
    assert_eq!(http.send(get(&url)).await.unwrap().status(), 200);

    kube.fail_with(Some(500));
    let error = http.reload().await.unwrap_err();
    assert!(
        matches!(
            error,
            core_client::ClientError::Secret(SecretError::Api { .. })
        ),
        "{error:?}"
    );
    assert_eq!(http.send(get(&url)).await.unwrap().status(), 200);

    kube.stop();
    assert!(http.reload().await.is_err());
    // New connections too keep the material last read.
    server.close_connections();
    assert_eq!(http.send(get(&url)).await.unwrap().status(), 200);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.peer_certificates[0] == me.cert_der)
    );
}

#[tokio::test]
async fn a_secret_rotated_under_load_fails_no_request() {
    for http1 in [true, false] {
        let ca = Ca::new("platform-ca");
        let old = ca.client_cert("compute", KeyKind::EcdsaP256);
        let kube = KubeApi::start().await;
        kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
        kube.put_tls_secret(NS, "compute-client", &old.chain_pem(), Some(&old.key_pem()));
        let mut builder =
            TestServer::builder(&ca.server_cert(&["127.0.0.1"])).require_client_cert(&ca);
        if http1 {
            builder = builder.http1_only();
        }
        let server = builder.start().await;
        let http = from_secrets(&kube, &server).await;
        let url = server.url();

        let load: Vec<_> = (0..8)
            .map(|_| {
                let http = http.clone();
                let url = url.clone();
                tokio::spawn(async move {
                    for _ in 0..25 {
                        let response = http.send(get(&url)).await?;
                        assert_eq!(response.status(), 200);
                    }
                    Ok::<_, HttpError>(())
                })
            })
            .collect();
        // Rotate while the load runs, and make the server drop its connections so that new
        // handshakes happen with the new certificate.
        let new = ca.client_cert("compute", KeyKind::Ed25519);
        server.wait_for_requests(20).await;
        kube.put_tls_secret(NS, "compute-client", &new.chain_pem(), Some(&new.key_pem()));
        assert!(http.reload().await.unwrap());
        server.close_connections();
        for task in load {
            task.await.unwrap().unwrap();
        }
        assert_eq!(http.send(get(&url)).await.unwrap().status(), 200);
        let last = server.requests().pop().unwrap();
        assert_eq!(last.peer_certificates[0], new.cert_der, "http1: {http1}");
    }
}
