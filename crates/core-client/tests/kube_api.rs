//! What a Kubernetes API that is silent or cannot serve a Secret does to clients: the
//! Kubernetes API fake, made silent or missing a Secret, and a real mTLS server.

mod common;

use common::{NS, get, mtls_server, options};
use std::{
    future::Future,
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use core_client::{
    ClientCache, ClientError, HttpClient, HttpClientOptions, HttpOptions, MIN_RELOAD_INTERVAL,
    SecretError, SecretRef,
};
use region_client_testing::{Ca, KeyKind, TestServer, kube::KubeApi};

/// Waits until `done` holds, checking every 20 ms; fails the test after `limit` (which only
/// keeps a bug from hanging the test run: the event, not the limit, ends the wait).
async fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `future`, or a failed test if it has not finished within `limit` (a hang guard).
async fn finishes<T>(limit: Duration, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("still waiting after {limit:?}: it hangs"))
}

/// The log lines of this thread's subscriber (tests run on a current-thread runtime, so the
/// client's reload task logs here too).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_silent_kubernetes_api_fails_the_first_build_with_a_typed_timeout() {
    let kube = KubeApi::start().await;
    let ca = Ca::new("region-ca");
    kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
    kube.set_silent(true);

    let timeout = Duration::from_millis(300);
    let options = HttpOptions::new("region")
        .with_host("https://127.0.0.1:1")
        .with_ca_secret(NS, "region-ca");
    let client_options = HttpClientOptions::new().with_secret_read_timeout(timeout);
    let built = finishes(
        Duration::from_secs(30),
        HttpClient::new(kube.client(), &options, &client_options),
    )
    .await;
    match built {
        Err(ClientError::Secret(error @ SecretError::Timeout { .. })) => {
            assert!(
                matches!(&error, SecretError::Timeout { secret, timeout: t }
                    if *secret == SecretRef::new(NS, "region-ca") && *t == timeout),
                "{error:?}"
            );
            assert_eq!(
                error.to_string(),
                "reading secret unikorn/region-ca timed out after 300ms"
            );
        }
        other => panic!("expected a Secret read timeout, got {other:?}"),
    }
    assert_eq!(kube.unanswered(), 1, "the read reached the API");
}

#[tokio::test]
async fn a_running_client_keeps_working_while_the_api_is_silent_and_picks_up_a_rotation_after() {
    let (logs, _guard) = Logs::capture();
    let ca = Ca::new("platform-ca");
    let old = ca.client_cert("compute", KeyKind::EcdsaP256);
    let kube = KubeApi::start().await;
    kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
    kube.put_tls_secret(NS, "compute-client", &old.chain_pem(), Some(&old.key_pem()));
    let server = mtls_server(&ca, &ca).await;
    let options = options(&server);
    let me = HttpClientOptions::new()
        .with_certificate(NS, "compute-client")
        .with_reload_interval(MIN_RELOAD_INTERVAL)
        .with_secret_read_timeout(Duration::from_millis(300));
    let http = HttpClient::new(kube.client(), &options, &me).await.unwrap();
    let url = server.url();
    let presented =
        |server: &TestServer| server.requests().pop().unwrap().peer_certificates[0].clone();
    assert_eq!(http.send(get(&url)).await.unwrap().status(), 200);

    // The API falls silent, and the certificate is rotated meanwhile.
    kube.set_silent(true);
    let new = ca.client_cert("compute", KeyKind::Ed25519);
    kube.put_tls_secret(NS, "compute-client", &new.chain_pem(), Some(&new.key_pem()));
    // One reload at a time: a second read reaching the silent API means the first reload gave
    // up.
    wait_until(Duration::from_secs(30), "a second reload", || {
        kube.unanswered() >= 2
    })
    .await;
    assert!(
        logs.text().contains("unikorn/region-ca") && logs.text().contains("timed out"),
        "the failed reload is logged, naming the Secret: {}",
        logs.text()
    );

    // Requests keep working with the material last read, on new connections too.
    server.close_connections();
    let response = finishes(Duration::from_secs(30), http.send(get(&url))).await;
    assert_eq!(response.unwrap().status(), 200);
    assert_eq!(presented(&server), old.cert_der);

    // The API answers again: the next reload picks the rotation up.
    kube.set_silent(false);
    wait_until(Duration::from_secs(30), "the rotation picked up", || {
        http.client_identity()
            .is_some_and(|identity| *identity.certificate() == new.cert_der)
    })
    .await;
    assert_eq!(http.send(get(&url)).await.unwrap().status(), 200);
    assert_eq!(presented(&server), new.cert_der);
}

/// With the client-certificate Secret missing, any number of callers cost one read of each
/// Secret per backoff step: 50 callers asking for 3.5 s cause at most 3 builds (at 0 s, then
/// after 1 s and 2 s of backoff), each answering every caller the build's typed error.
#[tokio::test]
async fn a_secret_that_cannot_be_read_is_read_once_per_backoff_step_however_many_ask() {
    let kube = KubeApi::start().await;
    let ca = Ca::new("region-ca");
    kube.put_tls_secret(NS, "region-ca", &ca.cert_pem, None);
    let server = mtls_server(&ca, &ca).await;
    let options = options(&server);
    let me = HttpClientOptions::new().with_certificate(NS, "compute-client");
    let cache = ClientCache::new(kube.client());

    let started = tokio::time::Instant::now();
    let asking = Duration::from_millis(3_500);
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let (cache, options, me) = (cache.clone(), options.clone(), me.clone());
            tokio::spawn(async move {
                let mut calls = 0_usize;
                while started.elapsed() < asking {
                    match cache.http_client(&options, &me).await {
                        Err(ClientError::Secret(SecretError::NotFound { secret })) => {
                            assert_eq!(secret, SecretRef::new(NS, "compute-client"));
                        }
                        other => panic!("expected the Secret to be missing, got {other:?}"),
                    }
                    calls += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                calls
            })
        })
        .collect();
    let mut calls = 0;
    for caller in callers {
        calls += caller.await.unwrap();
    }
    let elapsed = started.elapsed();
    // Build k starts no earlier than 2^k - 1 seconds in (backoff 1 s, doubling).
    let steps = (0..32_u32)
        .take_while(|k| Duration::from_secs((1_u64 << k) - 1) <= elapsed)
        .count();
    let reads = kube.get_count(NS, "compute-client");
    assert!(
        (1..=steps).contains(&reads),
        "{reads} reads of the missing Secret for {calls} calls in {elapsed:?}: at most {steps}"
    );
    assert_eq!(
        kube.get_count(NS, "region-ca"),
        reads,
        "one CA read per build"
    );
    eprintln!("{reads} reads of each Secret for {calls} calls by 50 callers in {elapsed:?}");
    assert!(calls >= 50 * 10, "the callers kept asking: {calls} calls");

    // The Secret appears: the first build after the backoff succeeds, and the client stays.
    let me_leaf = ca.client_cert("compute", KeyKind::EcdsaP256);
    kube.put_tls_secret(
        NS,
        "compute-client",
        &me_leaf.chain_pem(),
        Some(&me_leaf.key_pem()),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let http = loop {
        match cache.http_client(&options, &me).await {
            Ok(http) => break http,
            Err(error) => {
                assert!(tokio::time::Instant::now() < deadline, "{error}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    assert_eq!(http.send(get(&server.url())).await.unwrap().status(), 200);
    let reads = kube.get_count(NS, "compute-client");
    cache.http_client(&options, &me).await.unwrap();
    assert_eq!(kube.get_count(NS, "compute-client"), reads, "built once");
}
