//! The innermost service of an [`HttpClient`](crate::HttpClient): hyper-util's pooled client
//! over hyper-rustls (ALPN `h2` and `http/1.1`), sending one attempt of a request and reading
//! its body within the size limit.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};

use crate::{
    Attempts, HttpConfig, HttpError, SignedWith, discovery::Protocol,
    error::refused_certificate_alert, rotation::Rotation,
};

/// The pooled hyper client requests go through.
pub(crate) type HyperClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A boxed, `Send` future, as the services of the stack return.
pub(crate) type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, HttpError>> + Send>>;

/// The pooled clients of one TLS configuration: one negotiating the HTTP version (ALPN `h2`,
/// `http/1.1`), one for hosts known to speak HTTP/2 (see [`crate::discovery`]).
pub(crate) struct HyperClients {
    pub(crate) negotiating: HyperClient,
    pub(crate) http2: HyperClient,
}

/// The pooled clients using `tls` (whose ALPN is replaced).
pub(crate) fn build(tls: rustls::ClientConfig, config: &HttpConfig) -> HyperClients {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(config.connect_timeout));
    http.set_nodelay(true);
    let client = |http2_only: bool| {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http();
        let connector = if http2_only {
            connector.enable_http2().wrap_connector(http.clone())
        } else {
            connector.enable_all_versions().wrap_connector(http.clone())
        };
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .http2_only(http2_only)
            .build(connector)
    };
    HyperClients {
        negotiating: client(false),
        http2: client(true),
    }
}

/// Sends one attempt: over the material a request was [`SignedWith`], else the current one; adds the default `User-Agent`; reads the whole body.
#[derive(Clone)]
pub(crate) struct Transport {
    pub(crate) rotation: Arc<Rotation>,
}

impl tower::Service<http::Request<Bytes>> for Transport {
    type Response = http::Response<Bytes>;
    type Error = HttpError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        // hyper's client queues requests in its pool: always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<Bytes>) -> ResponseFuture {
        let config = self.rotation.config();
        let limit = config.max_response_body;
        if !request.headers().contains_key(http::header::USER_AGENT) {
            request
                .headers_mut()
                .insert(http::header::USER_AGENT, config.user_agent.clone());
        }
        let transport = match request.extensions().get::<SignedWith>() {
            Some(signer) => signer.material().clone(),
            None => self.rotation.current(),
        };
        // The Secret the material's certificate was read from, to name if the server refuses it.
        let certificate_secret = transport
            .identity
            .as_ref()
            .and(self.rotation.source())
            .and_then(|source| source.certificate.clone())
            .map(Box::new);
        Box::pin(async move {
            let uri = request.uri().clone();
            let host = transport.hosts.host(&uri);
            let response = match host.known() {
                Some(protocol) => transport.send(protocol, request).await,
                None => {
                    // Alone until the protocol is known (see `crate::discovery`); requests
                    // that waited send as soon as it is.
                    let discovering = host.discover().await;
                    match host.known() {
                        Some(protocol) => {
                            drop(discovering);
                            transport.send(protocol, request).await
                        }
                        None => {
                            let response = transport.send(Protocol::Negotiate, request).await;
                            if let Ok(response) = &response {
                                host.learn(response.version());
                            }
                            response
                        }
                    }
                }
            }
            .map_err(|source| match refused_certificate_alert(&source) {
                Some(alert) => HttpError::CertificateRefused {
                    uri: uri.clone(),
                    secret: certificate_secret,
                    alert,
                    attempts: 1,
                    source: Box::new(source),
                },
                None => HttpError::Transport {
                    uri: uri.clone(),
                    attempts: 1,
                    source: Box::new(source),
                },
            })?;
            let (parts, body) = response.into_parts();
            let status = parts.status;
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|source| {
                    if source.is::<http_body_util::LengthLimitError>() {
                        HttpError::BodyTooLarge {
                            uri: uri.clone(),
                            status,
                            limit,
                            attempts: 1,
                        }
                    } else {
                        HttpError::Body {
                            uri: uri.clone(),
                            status,
                            attempts: 1,
                            source,
                        }
                    }
                })?
                .to_bytes();
            let mut response = http::Response::from_parts(parts, body);
            // One attempt so far; the retry layer counts the others.
            response.extensions_mut().insert(Attempts(1));
            Ok(response)
        })
    }
}
