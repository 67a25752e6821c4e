//! [`RecordedRequest`]: one request as a [`TestServer`](super::TestServer) received it.

use bytes::Bytes;
use rustls::ProtocolVersion;
use rustls_pki_types::CertificateDer;

/// One request as the server saw it: on the wire (TLS, ALPN, HTTP version, client
/// certificate) and in HTTP (method, target, headers, the whole body).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// Its number among every request the server received, from 0.
    pub index: usize,
    /// Its number among the requests of its connection, from 0 (a request after the first on
    /// a connection came over a pooled, reused connection).
    pub on_connection: usize,
    /// The method.
    pub method: http::Method,
    /// The request target (path and query), as sent: still percent-encoded.
    pub uri: http::Uri,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// The client certificate chain presented in the handshake (empty when none).
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// The negotiated TLS version.
    pub tls_version: Option<ProtocolVersion>,
    /// The negotiated ALPN protocol.
    pub alpn: Option<Vec<u8>>,
    /// The HTTP version.
    pub version: http::Version,
}

impl RecordedRequest {
    /// The value of header `name` as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
