//! The names of the headers the platform's trust model uses, in one place (lower case, as
//! HTTP/2 sends them; HTTP/1.1 matches them case-insensitively).

/// The delegated principal: base64url JSON on the API path, a PS512 JWS on the controller path.
pub const PRINCIPAL: &str = "x-principal";

/// `true` asks the receiver to authorize as the principal rather than as the calling service
/// (API path only).
pub const IMPERSONATE: &str = "x-impersonate";

/// The URL-escaped PEM of the certificate that started a call chain, forwarded verbatim.
pub const CLIENT_CERTIFICATE: &str = "unikorn-client-certificate";

/// Set by the ingress (nginx) only: the URL-escaped PEM of the client certificate it verified.
pub const SSL_CLIENT_CERT: &str = "ssl-client-cert";

/// Set by the ingress only: `SUCCESS` when the client certificate verified.
pub const SSL_CLIENT_VERIFY: &str = "ssl-client-verify";
