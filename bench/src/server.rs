//! The server every client is measured against: HTTPS on 127.0.0.1, TLS 1.3, client
//! certificates required, answering each request with the same list-regions body.
//!
//! It is deliberately lean (no recording, no routing beyond the method): whatever it costs, it
//! costs every client alike, and the less it costs the more a client's own overhead shows.

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use region_client_testing::{Ca, Leaf};
use rustls::{RootCertStore, ServerConfig, server::WebPkiClientVerifier};
use tokio::{net::TcpListener, task::AbortHandle};
use tokio_rustls::TlsAcceptor;

/// The HTTP versions a server offers in ALPN.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum, serde::Serialize,
)]
pub enum Protocol {
    /// `http/1.1` only.
    #[value(name = "http1")]
    #[serde(rename = "HTTP/1.1")]
    Http1,
    /// `h2` (and `http/1.1`): every client here negotiates h2.
    #[value(name = "http2")]
    #[serde(rename = "HTTP/2")]
    Http2,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Http1 => "HTTP/1.1",
            Self::Http2 => "HTTP/2",
        })
    }
}

/// A running server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    accept: AbortHandle,
}

impl Server {
    /// Serves `body` as `application/json` to every request, presenting `certificate` and
    /// requiring a client certificate issued by `clients`.
    pub async fn start(
        certificate: &Leaf,
        clients: &Ca,
        protocol: Protocol,
        body: Bytes,
    ) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(clients.cert_der.clone())?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(Fixed(certificate.certified_key())));
        config.alpn_protocols = match protocol {
            Protocol::Http1 => vec![b"http/1.1".to_vec()],
            Protocol::Http2 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        };
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accept = tokio::spawn(accept_loop(listener, acceptor, body)).abort_handle();
        Ok(Self { addr, accept })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Always the same certificate.
#[derive(Debug)]
struct Fixed(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for Fixed {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, body: Bytes) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let body = body.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let body = body.clone();
                async move {
                    // Read what the client sent (nothing, for a GET), as a real server does.
                    let _ = request.into_body().collect().await;
                    let response = http::Response::builder()
                        .header(http::header::CONTENT_TYPE, "application/json")
                        .header(http::header::CACHE_CONTROL, "no-cache")
                        .body(Full::new(body));
                    Ok::<_, Infallible>(response.unwrap_or_default())
                }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}
