//! The pooled hyper clients of one TLS configuration: hyper-util's legacy client over
//! hyper-rustls, one negotiating the HTTP version (ALPN `h2`, `http/1.1`) and one for hosts
//! known to speak HTTP/2, and which of them each request goes through (see
//! [`crate::discovery`]).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};

use crate::{
    HttpConfig, HttpVersion,
    discovery::{Hosts, LearningConnector, Protocol, Turn},
};

/// The connector of both clients.
type Connector = HttpsConnector<HttpConnector>;

/// The connection pools presenting and trusting one TLS configuration.
pub(crate) struct Pools {
    /// Negotiates; tells `hosts` what each new connection negotiated.
    negotiating: Client<LearningConnector<Connector>, Full<Bytes>>,
    http2: Client<Connector, Full<Bytes>>,
    hosts: Arc<Hosts>,
    /// Learned per host ([`HttpVersion::Negotiate`]) or fixed.
    version: HttpVersion,
}

impl Pools {
    /// The pools using `tls` (whose ALPN is replaced) with the connect and idle timeouts and
    /// the HTTP version of `config`.
    pub(crate) fn new(tls: rustls::ClientConfig, config: &HttpConfig) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.connect_timeout));
        http.set_nodelay(true);
        // The ALPN offered: both versions, unless one is fixed.
        let connector = |version: HttpVersion| {
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls.clone())
                .https_or_http();
            match version {
                HttpVersion::Negotiate => {
                    connector.enable_all_versions().wrap_connector(http.clone())
                }
                HttpVersion::Http1 => connector.enable_http1().wrap_connector(http.clone()),
                HttpVersion::Http2 => connector.enable_http2().wrap_connector(http.clone()),
            }
        };
        let negotiating = match config.http_version {
            HttpVersion::Http1 => HttpVersion::Http1,
            HttpVersion::Negotiate | HttpVersion::Http2 => HttpVersion::Negotiate,
        };
        let builder = |http2_only: bool| {
            let mut builder = Client::builder(TokioExecutor::new());
            builder
                .pool_idle_timeout(config.pool_idle_timeout)
                .pool_timer(TokioTimer::new())
                .timer(TokioTimer::new())
                .http2_only(http2_only);
            builder
        };
        let hosts = Arc::new(Hosts::default());
        Self {
            negotiating: builder(false).build(LearningConnector::new(
                connector(negotiating),
                hosts.clone(),
            )),
            http2: builder(true).build(connector(HttpVersion::Http2)),
            hosts,
            version: config.http_version,
        }
    }

    /// Sends `request` through the HTTP/2 pool to a host known to speak HTTP/2 (or to every
    /// host, [`HttpVersion::Http2`]), else the negotiating one; the body is still to be read.
    /// When the version is learned, the first request to a host goes alone until its
    /// connection tells the host's version; the requests that waited for it go as soon as it
    /// is known, before its answer.
    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        let protocol = match self.version {
            HttpVersion::Http2 => Protocol::Http2,
            HttpVersion::Http1 => Protocol::Negotiate,
            HttpVersion::Negotiate => match self.hosts.known(request.uri()) {
                Some(protocol) => protocol,
                None => match self.hosts.host(request.uri()).turn().await {
                    Turn::Known(protocol) => protocol,
                    Turn::Learn(learner) => {
                        let response = self.negotiating.request(request.map(Full::new)).await;
                        if let Ok(response) = &response {
                            learner.answered(response.version());
                        }
                        return response;
                    }
                },
            },
        };
        let request = request.map(Full::new);
        match protocol {
            Protocol::Http2 => self.http2.request(request).await,
            Protocol::Negotiate => self.negotiating.request(request).await,
        }
    }
}
