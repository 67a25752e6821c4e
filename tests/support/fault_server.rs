//! A TLS server (HTTP/1.1 or HTTP/2) whose every answer follows a script: answer, close the
//! connection under the request, reset the body half-way, drip the body forever, or close
//! connections once idle. For the fault tests: what a real network and ingress do to clients.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::{body::Frame, service::service_fn};
use hyper_util::rt::{TokioExecutor, TokioIo};
use test_support::Ca;
use tokio::{net::TcpListener, sync::Notify, task::AbortHandle};
use tokio_rustls::TlsAcceptor;

/// Which HTTP the server speaks (ALPN offers only that one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    Http2,
}

impl Protocol {
    pub const BOTH: [Protocol; 2] = [Protocol::Http1, Protocol::Http2];
}

/// What the server does with one request.
pub enum Action {
    /// Answers with this response.
    Respond(http::Response<Bytes>),
    /// Reads the request, then closes the connection without answering.
    Close,
    /// Sends the head and a few body bytes, then fails the body (the connection or stream is
    /// reset).
    ResetMidBody,
    /// Sends the head, then one body byte every interval, forever.
    Drip(Duration),
}

/// One request as the script sees it.
#[derive(Clone, Debug)]
pub struct Call {
    /// The request's number among all requests (from 0).
    pub index: usize,
    /// The request's number on its connection (from 0).
    pub on_connection: usize,
    pub method: http::Method,
    pub path: String,
}

type Script = Arc<dyn Fn(&Call) -> Action + Send + Sync>;
type Body = BoxBody<Bytes, std::io::Error>;

pub struct FaultServer {
    addr: SocketAddr,
    calls: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    open: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl FaultServer {
    /// Starts on 127.0.0.1, presenting a certificate of `ca`, speaking `protocol`, answering
    /// by `script`. With `idle_close`, a connection is closed when no request arrived on it for
    /// that long after its last answer (a keep-alive timeout, as an ingress has).
    pub async fn start(
        ca: &Ca,
        protocol: Protocol,
        idle_close: Option<Duration>,
        script: impl Fn(&Call) -> Action + Send + Sync + 'static,
    ) -> Self {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Single(
            ca.server_cert(&["127.0.0.1"]).certified_key(),
        )));
        config.alpn_protocols = vec![match protocol {
            Protocol::Http1 => b"http/1.1".to_vec(),
            Protocol::Http2 => b"h2".to_vec(),
        }];
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::new(script);
        let accept = tokio::spawn(accept_loop(
            listener,
            acceptor,
            protocol,
            idle_close,
            script,
            calls.clone(),
            connections.clone(),
            open.clone(),
        ))
        .abort_handle();
        Self {
            addr,
            calls,
            connections,
            open,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// Requests received (answered or not).
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Connections accepted (TLS handshakes completed).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Closes every open connection, as a server does with idle ones.
    pub fn close_connections(&self) {
        for connection in self.open.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.accept.abort();
        self.close_connections();
    }
}

#[derive(Debug)]
struct Single(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for Single {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

#[allow(clippy::too_many_arguments)]
async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    protocol: Protocol,
    idle_close: Option<Duration>,
    script: Script,
    calls: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    open: Arc<Mutex<Vec<AbortHandle>>>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let script = script.clone();
        let calls = calls.clone();
        let connections = connections.clone();
        let task = tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            connections.fetch_add(1, Ordering::SeqCst);
            serve_connection(tls, protocol, idle_close, script, calls).await;
        });
        let mut open = open.lock().unwrap();
        open.retain(|c| !c.is_finished());
        open.push(task.abort_handle());
    }
}

/// Per connection: how many requests it carried, how many are in flight, and the signal that
/// closes it.
#[derive(Default)]
struct Connection {
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    close: Notify,
}

async fn serve_connection(
    tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    protocol: Protocol,
    idle_close: Option<Duration>,
    script: Script,
    calls: Arc<AtomicUsize>,
) {
    let connection = Arc::new(Connection::default());
    let state = connection.clone();
    let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
        let state = state.clone();
        let script = script.clone();
        let calls = calls.clone();
        async move {
            let on_connection = state.requests.fetch_add(1, Ordering::SeqCst);
            state.in_flight.fetch_add(1, Ordering::SeqCst);
            let (parts, body) = request.into_parts();
            let _ = body.collect().await;
            let call = Call {
                index: calls.fetch_add(1, Ordering::SeqCst),
                on_connection,
                method: parts.method,
                path: parts.uri.path().to_owned(),
            };
            let action = script(&call);
            let response = match action {
                Action::Respond(response) => response.map(|b| Full::new(b).map_err(never).boxed()),
                Action::Close => {
                    state.close.notify_one();
                    std::future::pending::<()>().await;
                    unreachable!("the connection is dropped first");
                }
                Action::ResetMidBody => {
                    // The head and the first bytes are flushed before the failure.
                    let frames = futures_util::stream::unfold(0, |step| async move {
                        match step {
                            0 => Some((Ok(Frame::data(Bytes::from_static(b"{\"partial\":"))), 1)),
                            1 => {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                Some((Err(std::io::Error::other("reset by the fault server")), 2))
                            }
                            _ => None,
                        }
                    });
                    http::Response::new(StreamBody::new(frames).boxed())
                }
                Action::Drip(interval) => {
                    let drip = futures_util::stream::unfold((), move |()| async move {
                        tokio::time::sleep(interval).await;
                        Some((Ok(Frame::data(Bytes::from_static(b" "))), ()))
                    });
                    http::Response::new(StreamBody::new(drip).boxed())
                }
            };
            let remaining = state.in_flight.fetch_sub(1, Ordering::SeqCst) - 1;
            if let Some(idle) = idle_close
                && remaining == 0
            {
                // Close the connection if it is still idle `idle` from now.
                let state = state.clone();
                let seen = state.requests.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    tokio::time::sleep(idle).await;
                    if state.requests.load(Ordering::SeqCst) == seen
                        && state.in_flight.load(Ordering::SeqCst) == 0
                    {
                        state.close.notify_one();
                    }
                });
            }
            Ok::<_, Infallible>(response)
        }
    });
    let io = TokioIo::new(tls);
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let builder = match protocol {
        Protocol::Http1 => builder.http1_only(),
        Protocol::Http2 => builder.http2_only(),
    };
    let serve = builder.serve_connection(io, service);
    tokio::select! {
        _ = serve => {}
        () = connection.close.notified() => {}
    }
}

fn never(never: Infallible) -> std::io::Error {
    match never {}
}

/// An answer with `status`, an optional `Retry-After` and a small JSON body.
pub fn answer(status: u16, retry_after: Option<&str>) -> Action {
    let mut response = http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(value) = retry_after {
        response = response.header(http::header::RETRY_AFTER, value);
    }
    Action::Respond(response.body(Bytes::from_static(b"{}")).unwrap())
}
