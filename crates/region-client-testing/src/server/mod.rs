//! An HTTPS test server (hyper + tokio-rustls) on 127.0.0.1 that can require client
//! certificates, records what every request carried, and misbehaves on cue: every fake of the
//! kit (the Kubernetes API, the region API behind its ingress, a service) is one.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use region_client_testing::{Ca, TestServer, server::{Reply, json_response}};
//!
//! let ca = Ca::new("ca");
//! // Answers the first request on each connection, closes the connection under every later
//! // one: what a client meets when it reuses a connection the server is closing.
//! let server = TestServer::builder(&ca.server_cert(&["127.0.0.1"]))
//!     .handler(|request| match request.on_connection {
//!         0 => Reply::from(json_response(200, &serde_json::json!({}))),
//!         _ => Reply::Close,
//!     })
//!     .start()
//!     .await;
//! assert!(server.url().starts_with("https://127.0.0.1:"));
//! # });
//! ```

mod connection;
mod reply;
mod request;
mod tls;

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, Mutex, atomic::Ordering},
    time::Duration,
};

use rustls_pki_types::CertificateRevocationListDer;
use tokio::{net::TcpListener, task::AbortHandle};

pub use reply::{Reply, empty_response, json_response};
pub use request::RecordedRequest;
pub use tls::{Protocol, client_tls_config};

use crate::{
    pki::{Ca, Leaf},
    sync::lock,
};
use connection::{Handler, Shared};
use tls::{ClientTrust, TlsSettings};

/// Configures a [`TestServer`].
#[derive(Debug)]
pub struct TestServerBuilder {
    tls: TlsSettings,
    idle_close: Option<Duration>,
    handler: Handler,
}

impl TestServerBuilder {
    /// Requires a client certificate issued by `ca`.
    pub fn require_client_cert(mut self, ca: &Ca) -> Self {
        self.tls.trust.ca = Some(ca.cert_der.clone());
        self.tls.trust.optional = false;
        self
    }

    /// Accepts, but does not require, a client certificate issued by `ca`.
    pub fn optional_client_cert(mut self, ca: &Ca) -> Self {
        self.tls.trust.ca = Some(ca.cert_der.clone());
        self.tls.trust.optional = true;
        self
    }

    /// Offers TLS 1.2 only.
    pub fn tls12_only(mut self) -> Self {
        self.tls.tls12_only = true;
        self
    }

    /// Offers HTTP/1.1 only in ALPN (the default offers `h2` first).
    pub fn http1_only(self) -> Self {
        self.protocol(Protocol::Http1)
    }

    /// Offers and speaks the HTTP versions of `protocol` only.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.tls.protocol = protocol;
        self
    }

    /// Closes a connection when no request arrived on it for `idle` after its last answer (a
    /// keep-alive timeout, as an ingress has).
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_close = Some(idle);
        self
    }

    /// Answers requests with `handler` (the default answers `200 {}`): a response, or any
    /// other [`Reply`].
    pub fn handler<R: Into<Reply>>(
        mut self,
        handler: impl Fn(&RecordedRequest) -> R + Send + Sync + 'static,
    ) -> Self {
        self.handler = Handler(Arc::new(move |request| {
            let reply = handler(&request).into();
            Box::pin(async move { reply })
        }));
        self
    }

    /// Answers requests with the future `handler` returns, for a server whose answer waits on
    /// something: a call to another server, as a service behind the ingress makes.
    pub fn async_handler<F, R>(
        mut self,
        handler: impl Fn(RecordedRequest) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: Future<Output = R> + Send + 'static,
        R: Into<Reply>,
    {
        let handler = Arc::new(handler);
        self.handler = Handler(Arc::new(move |request| {
            let answer = handler(request);
            Box::pin(async move { answer.await.into() })
        }));
        self
    }

    /// Binds 127.0.0.1 on a free port and starts serving. The server stops when dropped.
    ///
    /// # Panics
    /// When no port of 127.0.0.1 can be bound.
    pub async fn start(self) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|error| panic!("binding a port of 127.0.0.1: {error}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("the bound address: {error}"));
        let shared = Arc::new(Shared::new(
            self.tls.config(),
            self.handler,
            self.tls.protocol,
            self.idle_close,
        ));
        let task = tokio::spawn(connection::accept_loop(listener, shared.clone()));
        TestServer {
            addr,
            shared,
            tls: Mutex::new(self.tls),
            accept: task.abort_handle(),
        }
    }
}

/// A running HTTPS server on 127.0.0.1; stops (and drops its connections) when dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    tls: Mutex<TlsSettings>,
    accept: AbortHandle,
}

impl TestServer {
    /// A server presenting `certificate` (e.g. `ca.server_cert(&["localhost", "127.0.0.1"])`).
    pub fn builder(certificate: &Leaf) -> TestServerBuilder {
        TestServerBuilder {
            tls: TlsSettings {
                certificate: certificate.clone(),
                trust: ClientTrust::default(),
                tls12_only: false,
                protocol: Protocol::Both,
            },
            idle_close: None,
            handler: Handler(Arc::new(|_| {
                Box::pin(async { Reply::from(json_response(200, &serde_json::json!({}))) })
            })),
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

    /// Every request received so far (answered or not), in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Waits until at least `count` requests have arrived (the test's own timeout bounds the
    /// wait), for a test that acts at a point of its traffic without sleeping.
    pub async fn wait_for_requests(&self, count: usize) {
        let mut arrivals = self.shared.arrivals.subscribe();
        // The sender lives as long as the server, so the wait ends only by reaching `count`.
        let _ = arrivals.wait_for(|arrived| *arrived >= count).await;
    }

    /// How many TLS handshakes completed (how many connections clients made).
    pub fn handshakes(&self) -> usize {
        self.shared.handshakes.load(Ordering::SeqCst)
    }

    /// Why handshakes failed, in order.
    pub fn handshake_errors(&self) -> Vec<String> {
        lock(&self.shared.handshake_errors).clone()
    }

    /// Presents `certificate` from the next handshake on, and closes open connections so that
    /// clients must handshake again.
    pub fn set_certificate(&self, certificate: &Leaf) {
        self.retune(|tls| tls.certificate = certificate.clone());
    }

    /// Trusts client certificates issued by `ca` from the next handshake on (or asks for none,
    /// with `None`), and closes open connections so that clients must handshake again.
    pub fn set_client_ca(&self, ca: Option<&Ca>) {
        self.retune(|tls| tls.trust.ca = ca.map(|ca| ca.cert_der.clone()));
    }

    /// Checks client certificates against these revocation lists of their CA
    /// ([`Ca::revocation_list`]) from the next handshake on: a certificate they list is
    /// refused (the client gets the `certificate_revoked` alert). Closes open connections so
    /// that clients must handshake again.
    pub fn set_revocation_lists(&self, lists: Vec<CertificateRevocationListDer<'static>>) {
        self.retune(|tls| tls.trust.revocation_lists = lists);
    }

    fn retune(&self, change: impl FnOnce(&mut TlsSettings)) {
        let mut tls = lock(&self.tls);
        change(&mut tls);
        *lock(&self.shared.config) = tls.config();
        drop(tls);
        self.close_connections();
    }

    /// Makes the server silent, or answering again: while silent it accepts connections and
    /// requests (TLS completes) and never answers them, as a server that hangs does. A request
    /// that arrived while silent stays unanswered for good (until its connection is closed)
    /// and is not recorded; requests arriving after `set_silent(false)` are answered.
    pub fn set_silent(&self, silent: bool) {
        self.shared.silent.store(silent, Ordering::SeqCst);
    }

    /// Leaves the next `count` requests to arrive unanswered for good (until their connection
    /// is closed), as [`TestServer::set_silent`] does, and answers the ones after them: a
    /// server hanging on some requests only, so that a test knows which requests are in
    /// flight when it acts (rotates a certificate, closes the connections). Replaces any count
    /// left from an earlier call.
    pub fn hang_next(&self, count: usize) {
        self.shared.hang_next.store(count, Ordering::SeqCst);
    }

    /// How many requests arrived while the server was silent, or among those
    /// [`TestServer::hang_next`] named (and were never answered).
    pub fn unanswered(&self) -> usize {
        self.shared.unanswered.load(Ordering::SeqCst)
    }

    /// Closes every open connection, as a server does with idle ones.
    pub fn close_connections(&self) {
        self.shared.close_connections();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept.abort();
        self.close_connections();
    }
}
