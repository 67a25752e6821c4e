//! An HTTPS test server (hyper + tokio-rustls) on 127.0.0.1 that can require client
//! certificates and records what every request carried.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::{
    ProtocolVersion, RootCertStore, ServerConfig,
    server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier},
    sign::CertifiedKey,
};
use rustls_pki_types::CertificateDer;
use tokio::{net::TcpListener, task::AbortHandle};
use tokio_rustls::TlsAcceptor;

use crate::pki::{Ca, Leaf};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The method.
    pub method: http::Method,
    /// The request target (path and query).
    pub uri: http::Uri,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// The client certificate chain presented in the handshake (empty when none).
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// The negotiated TLS version.
    pub tls_version: Option<ProtocolVersion>,
    /// The negotiated ALPN protocol.
    pub alpn: Option<Vec<u8>>,
    /// The HTTP version.
    pub version: http::Version,
}

impl RecordedRequest {
    /// The value of header `name` as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Answers a request, possibly after awaiting something (another server, say).
pub type Handler = Arc<
    dyn Fn(RecordedRequest) -> Pin<Box<dyn Future<Output = http::Response<Bytes>> + Send>>
        + Send
        + Sync,
>;

/// A JSON response with `status`.
pub fn json_response(status: u16, body: &serde_json::Value) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("static response parts are valid")
}

/// An empty response with `status`.
pub fn empty_response(status: u16) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .body(Bytes::new())
        .expect("static response parts are valid")
}

#[derive(Debug)]
struct SwappableCert(Mutex<Arc<CertifiedKey>>);

impl ResolvesServerCert for SwappableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.lock().expect("cert lock").clone())
    }
}

/// Configures a [`TestServer`].
pub struct TestServerBuilder {
    certificate: Leaf,
    client_ca: Option<CertificateDer<'static>>,
    client_cert_optional: bool,
    tls12_only: bool,
    http1_only: bool,
    handler: Handler,
}

impl TestServerBuilder {
    /// Requires a client certificate issued by `ca`.
    pub fn require_client_cert(mut self, ca: &Ca) -> Self {
        self.client_ca = Some(ca.cert_der.clone());
        self.client_cert_optional = false;
        self
    }

    /// Accepts, but does not require, a client certificate issued by `ca`.
    pub fn optional_client_cert(mut self, ca: &Ca) -> Self {
        self.client_ca = Some(ca.cert_der.clone());
        self.client_cert_optional = true;
        self
    }

    /// Offers TLS 1.2 only.
    pub fn tls12_only(mut self) -> Self {
        self.tls12_only = true;
        self
    }

    /// Offers HTTP/1.1 only in ALPN (the default offers `h2` first).
    pub fn http1_only(mut self) -> Self {
        self.http1_only = true;
        self
    }

    /// Answers requests with `handler` (the default answers `200 {}`).
    pub fn handler(
        mut self,
        handler: impl Fn(&RecordedRequest) -> http::Response<Bytes> + Send + Sync + 'static,
    ) -> Self {
        self.handler = Arc::new(move |request| {
            let response = handler(&request);
            Box::pin(async move { response })
        });
        self
    }

    /// Answers requests with the future `handler` returns, for a server whose answer waits on
    /// something: a call to another server, as a service behind the ingress makes.
    pub fn async_handler<F>(
        mut self,
        handler: impl Fn(RecordedRequest) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: Future<Output = http::Response<Bytes>> + Send + 'static,
    {
        self.handler = Arc::new(move |request| Box::pin(handler(request)));
        self
    }

    /// Binds 127.0.0.1 on a free port and starts serving. The server stops when dropped.
    pub async fn start(self) -> TestServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = if self.tls12_only {
            &[&rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        };
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .expect("protocol versions");
        let builder = match &self.client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca.clone()).expect("client CA");
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if self.client_cert_optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                builder.with_client_cert_verifier(verifier.build().expect("client verifier"))
            }
            None => builder.with_no_client_auth(),
        };
        let resolver = Arc::new(SwappableCert(Mutex::new(self.certificate.certified_key())));
        let mut config = builder.with_cert_resolver(resolver.clone());
        config.alpn_protocols = if self.http1_only {
            vec![b"http/1.1".to_vec()]
        } else {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        };
        // No session resumption: a resumed session skips certificate checks, and tests count
        // and inspect full handshakes (and swap certificates).
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let task = tokio::spawn(accept_loop(listener, acceptor, self.handler, state.clone()));
        TestServer {
            addr,
            state,
            resolver,
            accept: task.abort_handle(),
        }
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<RecordedRequest>>,
    handshakes: AtomicUsize,
    handshake_errors: Mutex<Vec<String>>,
    connections: Mutex<Vec<AbortHandle>>,
    /// While set, requests are accepted and never answered.
    silent: AtomicBool,
    /// How many of the next requests to arrive are never answered.
    hang_next: AtomicUsize,
    /// Requests that arrived while silent.
    unanswered: AtomicUsize,
}

/// A running HTTPS server on 127.0.0.1; stops (and drops its connections) when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    resolver: Arc<SwappableCert>,
    accept: AbortHandle,
}

impl TestServer {
    /// A server presenting `certificate` (e.g. `ca.server_cert(&["localhost", "127.0.0.1"])`).
    pub fn builder(certificate: &Leaf) -> TestServerBuilder {
        TestServerBuilder {
            certificate: certificate.clone(),
            client_ca: None,
            client_cert_optional: false,
            tls12_only: false,
            http1_only: false,
            handler: Arc::new(|_| Box::pin(async { json_response(200, &serde_json::json!({})) })),
        }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// `https://localhost:{port}`.
    pub fn localhost_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests.lock().expect("requests lock").clone()
    }

    /// How many TLS handshakes completed.
    pub fn handshakes(&self) -> usize {
        self.state.handshakes.load(Ordering::SeqCst)
    }

    /// Why handshakes failed, in order.
    pub fn handshake_errors(&self) -> Vec<String> {
        self.state
            .handshake_errors
            .lock()
            .expect("errors lock")
            .clone()
    }

    /// Presents `certificate` from the next handshake on, and closes open connections so that
    /// clients must handshake again.
    pub fn set_certificate(&self, certificate: &Leaf) {
        *self.resolver.0.lock().expect("cert lock") = certificate.certified_key();
        self.close_connections();
    }

    /// Makes the server silent, or answering again: while silent it accepts connections and
    /// requests (TLS completes) and never answers them, as a server that hangs does. A request
    /// that arrived while silent stays unanswered for good (until its connection is closed);
    /// requests arriving after `set_silent(false)` are answered.
    pub fn set_silent(&self, silent: bool) {
        self.state.silent.store(silent, Ordering::SeqCst);
    }

    /// Leaves the next `count` requests to arrive unanswered for good (until their connection
    /// is closed), as [`TestServer::set_silent`] does, and answers the ones after them: a
    /// server hanging on some requests only, so that a test knows which requests are in
    /// flight when it acts (rotates a certificate, closes the connections). Replaces any count
    /// left from an earlier call.
    pub fn hang_next(&self, count: usize) {
        self.state.hang_next.store(count, Ordering::SeqCst);
    }

    /// How many requests arrived while the server was silent, or among those
    /// [`TestServer::hang_next`] named (and were never answered).
    pub fn unanswered(&self) -> usize {
        self.state.unanswered.load(Ordering::SeqCst)
    }

    /// Closes every open connection.
    pub fn close_connections(&self) {
        for connection in self.state.connections.lock().expect("conn lock").drain(..) {
            connection.abort();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept.abort();
        self.close_connections();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    handler: Handler,
    state: Arc<State>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        // Without this, Nagle's algorithm delays handshake records by tens of milliseconds.
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let handler = handler.clone();
        let conn_state = state.clone();
        let task = tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(error) => {
                    conn_state
                        .handshake_errors
                        .lock()
                        .expect("errors lock")
                        .push(error.to_string());
                    return;
                }
            };
            conn_state.handshakes.fetch_add(1, Ordering::SeqCst);
            let (_, session) = tls.get_ref();
            let peer_certificates: Vec<CertificateDer<'static>> = session
                .peer_certificates()
                .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                .unwrap_or_default();
            let tls_version = session.protocol_version();
            let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let handler = handler.clone();
                let state = conn_state.clone();
                let peer_certificates = peer_certificates.clone();
                let alpn = alpn.clone();
                async move {
                    let hang = state.silent.load(Ordering::SeqCst)
                        || state
                            .hang_next
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                    if hang {
                        state.unanswered.fetch_add(1, Ordering::SeqCst);
                        std::future::pending::<()>().await;
                    }
                    let (parts, body) = request.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let recorded = RecordedRequest {
                        method: parts.method,
                        uri: parts.uri,
                        headers: parts.headers,
                        body,
                        peer_certificates,
                        tls_version,
                        alpn,
                        version: parts.version,
                    };
                    let response = handler(recorded.clone()).await;
                    state.requests.lock().expect("requests lock").push(recorded);
                    Ok::<_, std::convert::Infallible>(response.map(Full::new))
                }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
        let mut connections = state.connections.lock().expect("conn lock");
        connections.retain(|c| !c.is_finished());
        connections.push(task.abort_handle());
    }
}

/// A TLS 1.3 client configuration (ring) trusting `ca` and presenting `identity`, for tests
/// that need a client without Kubernetes.
pub fn client_tls_config(ca: &Ca, identity: Option<&Leaf>) -> rustls::ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.add(ca.cert_der.clone()).expect("CA");
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .expect("TLS 1.3")
    .with_root_certificates(roots);
    match identity {
        Some(leaf) => builder
            .with_client_auth_cert(leaf.chain_der(), leaf.key_der())
            .expect("client identity"),
        None => builder.with_no_client_auth(),
    }
}
