//! The pooled hyper clients of one TLS configuration: hyper-util's legacy client over
//! hyper-rustls, one negotiating the HTTP version (ALPN `h2`, `http/1.1`) and one for hosts
//! known to speak HTTP/2 (see [`crate::discovery`]).

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};

use crate::{HttpConfig, discovery::Protocol};

/// One pooled hyper client.
type HyperClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The connection pools presenting and trusting one TLS configuration.
pub(crate) struct Pools {
    negotiating: HyperClient,
    http2: HyperClient,
}

impl Pools {
    /// The pools using `tls` (whose ALPN is replaced) with the connect and idle timeouts of
    /// `config`.
    pub(crate) fn new(tls: rustls::ClientConfig, config: &HttpConfig) -> Self {
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
        Self {
            negotiating: client(false),
            http2: client(true),
        }
    }

    /// Sends `request` through the pool for `protocol`; the body is still to be read.
    pub(crate) async fn send(
        &self,
        protocol: Protocol,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        let client = match protocol {
            Protocol::Http2 => &self.http2,
            Protocol::Negotiate => &self.negotiating,
        };
        client.request(request.map(Full::new)).await
    }
}
