//! The hyper client under an [`HttpClient`](crate::HttpClient): hyper-util's pooled client
//! over hyper-rustls, ALPN `h2` and `http/1.1`.

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};

use crate::HttpConfig;

/// The pooled hyper client requests go through.
pub(crate) type HyperClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A pooled client using `tls` (whose ALPN is replaced by `h2`, `http/1.1`).
pub(crate) fn build(tls: rustls::ClientConfig, config: &HttpConfig) -> HyperClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(config.connect_timeout));
    http.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(config.pool_idle_timeout)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector)
}
