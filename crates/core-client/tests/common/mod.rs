//! What the tests of this crate share: the Secrets' namespace, a plain GET, an mTLS server of
//! the testing kit and the options naming it.
#![allow(dead_code, missing_docs)]

use std::time::Duration;

use bytes::Bytes;
use core_client::{HttpClient, HttpOptions};
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

/// Sends GETs to `url` every `every` until one is answered, which must be a 200: for a change
/// the client takes up in the background (a reload, a closed connection noticed). `limit` only
/// keeps a bug from hanging the test; the answer ends the wait.
pub async fn get_until_answered(http: &HttpClient, url: &str, every: Duration, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match http.send(get(url)).await {
            Ok(response) => {
                assert_eq!(response.status(), 200);
                return;
            }
            Err(_) if tokio::time::Instant::now() < deadline => tokio::time::sleep(every).await,
            Err(error) => panic!("no answer from {url} within {limit:?}: {error:?}"),
        }
    }
}
