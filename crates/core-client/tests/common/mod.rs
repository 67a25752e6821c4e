//! What the tests of this crate share: the Secrets' namespace, a plain GET, an mTLS server of
//! the testing kit and the options naming it.
#![allow(dead_code, missing_docs)]

use bytes::Bytes;
use core_client::HttpOptions;
use region_client_testing::{Ca, TestServer};

/// The namespace of every Secret.
pub const NS: &str = "unikorn";

/// A GET of `{url}/healthz`.
pub fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(format!("{url}/healthz"))
        .body(Bytes::new())
        .unwrap()
}

/// An HTTPS server on 127.0.0.1 with a certificate of `ca`, requiring a client certificate
/// issued by `clients`.
pub async fn mtls_server(ca: &Ca, clients: &Ca) -> TestServer {
    TestServer::builder(&ca.server_cert(&["127.0.0.1"]))
        .require_client_cert(clients)
        .start()
        .await
}

/// The region service at `server`, trusting the CA in Secret `region-ca`.
pub fn options(server: &TestServer) -> HttpOptions {
    HttpOptions::new("region")
        .with_host(server.url())
        .with_ca_secret(NS, "region-ca")
}
