//! The platform's ingress (nginx) in front of every service: it verifies the client certificate
//! in the TLS handshake, removes any `Ssl-Client-Cert`/`Ssl-Client-Verify` a client sent, and
//! hands the verified certificate to the service in those headers.

use identity_client::{headers, principal::escape_certificate};

use crate::server::RecordedRequest;

/// The request as the service behind the ingress sees it: client-sent `Ssl-Client-*` headers
/// dropped; `Ssl-Client-Cert` set to the URL-escaped PEM of the certificate verified in the
/// handshake with `Ssl-Client-Verify: SUCCESS`, or `Ssl-Client-Verify: NONE` when the client
/// presented none.
pub fn ingress_view(request: &RecordedRequest) -> RecordedRequest {
    let mut view = request.clone();
    let headers = &mut view.headers;
    headers.remove(headers::SSL_CLIENT_CERT);
    headers.remove(headers::SSL_CLIENT_VERIFY);
    match request.peer_certificates.first() {
        Some(certificate) => {
            let escaped = escape_certificate(certificate);
            // URL-escaped PEM is visible ASCII.
            if let Ok(value) = http::HeaderValue::from_str(&escaped) {
                headers.insert(headers::SSL_CLIENT_CERT, value);
            }
            headers.insert(
                headers::SSL_CLIENT_VERIFY,
                http::HeaderValue::from_static("SUCCESS"),
            );
        }
        None => {
            headers.insert(
                headers::SSL_CLIENT_VERIFY,
                http::HeaderValue::from_static("NONE"),
            );
        }
    }
    view
}
