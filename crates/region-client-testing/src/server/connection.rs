//! Accepting connections and serving requests on them: TLS handshakes, HTTP/1.1 or HTTP/2,
//! recording every request, then doing what the handler's [`Reply`] says (answer, close the
//! connection, cut the answer, drip it), closing connections once idle when asked.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ServerConfig;
use rustls_pki_types::CertificateDer;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{Notify, watch},
    task::AbortHandle,
};
use tokio_rustls::{TlsAcceptor, server::TlsStream};

use super::{
    reply::{self, Body, Reply},
    request::RecordedRequest,
    tls::Protocol,
};
use crate::sync::lock;

/// The future of a handler's reply.
type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// Answers a request, possibly after awaiting something (another server, a delay).
#[derive(Clone)]
pub(super) struct Handler(pub Arc<dyn Fn(RecordedRequest) -> ReplyFuture + Send + Sync>);

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handler(..)")
    }
}

/// What the server's tasks share with the [`TestServer`](super::TestServer).
#[derive(Debug)]
pub(super) struct Shared {
    /// The TLS configuration new connections handshake with.
    pub config: Mutex<Arc<ServerConfig>>,
    pub handler: Handler,
    pub protocol: Protocol,
    /// Close a connection when no request came for this long after its last answer.
    pub idle_close: Option<Duration>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    /// How many requests arrived (and were recorded), for waiting on them.
    pub arrivals: watch::Sender<usize>,
    pub handshakes: AtomicUsize,
    pub handshake_errors: Mutex<Vec<String>>,
    pub connections: Mutex<Vec<AbortHandle>>,
    /// While set, requests are accepted and never answered.
    pub silent: AtomicBool,
    /// How many of the next requests to arrive are never answered.
    pub hang_next: AtomicUsize,
    /// Requests that arrived while silent, or among those `hang_next` named.
    pub unanswered: AtomicUsize,
}

impl Shared {
    pub fn new(
        config: Arc<ServerConfig>,
        handler: Handler,
        protocol: Protocol,
        idle_close: Option<Duration>,
    ) -> Self {
        Self {
            config: Mutex::new(config),
            handler,
            protocol,
            idle_close,
            requests: Mutex::default(),
            arrivals: watch::Sender::new(0),
            handshakes: AtomicUsize::default(),
            handshake_errors: Mutex::default(),
            connections: Mutex::default(),
            silent: AtomicBool::default(),
            hang_next: AtomicUsize::default(),
            unanswered: AtomicUsize::default(),
        }
    }

    /// Closes every open connection.
    pub fn close_connections(&self) {
        for connection in lock(&self.connections).drain(..) {
            connection.abort();
        }
    }
}

/// Accepts connections until aborted.
pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        // Without this, Nagle's algorithm delays handshake records by tens of milliseconds.
        let _ = tcp.set_nodelay(true);
        let acceptor = TlsAcceptor::from(lock(&shared.config).clone());
        let task = tokio::spawn(handshake_and_serve(acceptor, tcp, shared.clone()));
        let mut connections = lock(&shared.connections);
        connections.retain(|c| !c.is_finished());
        connections.push(task.abort_handle());
    }
}

async fn handshake_and_serve(acceptor: TlsAcceptor, tcp: TcpStream, shared: Arc<Shared>) {
    let tls = match acceptor.accept(tcp).await {
        Ok(tls) => tls,
        Err(error) => {
            lock(&shared.handshake_errors).push(error.to_string());
            return;
        }
    };
    shared.handshakes.fetch_add(1, Ordering::SeqCst);
    serve(tls, shared).await;
}

/// What a connection's requests share: its handshake, its request count, and the signal that
/// closes it.
struct Connection {
    peer_certificates: Vec<CertificateDer<'static>>,
    tls_version: Option<rustls::ProtocolVersion>,
    alpn: Option<Vec<u8>>,
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    close: Notify,
}

async fn serve(tls: TlsStream<TcpStream>, shared: Arc<Shared>) {
    let (_, session) = tls.get_ref();
    let connection = Arc::new(Connection {
        peer_certificates: session
            .peer_certificates()
            .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
            .unwrap_or_default(),
        tls_version: session.protocol_version(),
        alpn: session.alpn_protocol().map(<[u8]>::to_vec),
        requests: AtomicUsize::default(),
        in_flight: AtomicUsize::default(),
        close: Notify::new(),
    });
    let protocol = shared.protocol;
    let state = connection.clone();
    let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
        answer(request, shared.clone(), state.clone())
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let builder = match protocol {
        Protocol::Http1 => builder.http1_only(),
        Protocol::Http2 => builder.http2_only(),
        Protocol::Both => builder,
    };
    let serve = builder.serve_connection(TokioIo::new(tls), service);
    tokio::select! {
        _ = serve => {}
        () = connection.close.notified() => {}
    }
}

async fn answer(
    request: http::Request<hyper::body::Incoming>,
    shared: Arc<Shared>,
    connection: Arc<Connection>,
) -> Result<http::Response<Body>, Infallible> {
    let hang = shared.silent.load(Ordering::SeqCst)
        || shared
            .hang_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if hang {
        shared.unanswered.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<()>().await;
    }
    let on_connection = connection.requests.fetch_add(1, Ordering::SeqCst);
    connection.in_flight.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let recorded = {
        let mut requests = lock(&shared.requests);
        let recorded = RecordedRequest {
            index: requests.len(),
            on_connection,
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
            peer_certificates: connection.peer_certificates.clone(),
            tls_version: connection.tls_version,
            alpn: connection.alpn.clone(),
            version: parts.version,
        };
        requests.push(recorded.clone());
        shared.arrivals.send_replace(requests.len());
        recorded
    };
    let response = match (shared.handler.0)(recorded).await {
        Reply::Respond(response) => response.map(reply::full),
        Reply::CutBody(response) => reply::cut(response),
        Reply::Drip(interval) => reply::drip(interval),
        Reply::Close => {
            connection.close.notify_one();
            // The connection is dropped first, and this future with it.
            std::future::pending::<()>().await;
            http::Response::new(reply::full(bytes::Bytes::new()))
        }
    };
    let remaining = connection.in_flight.fetch_sub(1, Ordering::SeqCst) - 1;
    if let Some(idle) = shared.idle_close
        && remaining == 0
    {
        close_if_idle(connection, idle);
    }
    Ok(response)
}

/// Closes `connection` if no request arrives on it within `idle` (a keep-alive timeout, as an
/// ingress has).
fn close_if_idle(connection: Arc<Connection>, idle: Duration) {
    let seen = connection.requests.load(Ordering::SeqCst);
    tokio::spawn(async move {
        tokio::time::sleep(idle).await;
        if connection.requests.load(Ordering::SeqCst) == seen
            && connection.in_flight.load(Ordering::SeqCst) == 0
        {
            connection.close.notify_one();
        }
    });
}
